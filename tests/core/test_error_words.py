"""Raw errno texts never reach the user ("[Errno 28] No space left on device"): an OSError
is said in plain words, naming the file and what to do (`annotator.core.os_errors`), on
the command line as in the window (tests/gui/test_window_read_only.py).

The errors are real where this machine can make them (a file where a folder should be, a
full file system); the rest are built exactly as the OS raises them (errno, its text, the
file)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from read_only_places import tiny_file_system

from annotator.core.os_errors import describe
from annotator.core.project import Project
from annotator.core.records import ArticleRecord


def raised(call) -> OSError:
    with pytest.raises(OSError) as caught:
        call()
    return caught.value


def plain(text: str) -> bool:
    return "Errno" not in text and "Traceback" not in text and "\n" not in text.strip()


def afile(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a folder")
    return path


def a_loop(tmp_path: Path) -> Path:
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    return tmp_path / "loop"


def full_folder(tmp_path: Path) -> Path:
    (tmp_path / "full" / "x").mkdir(parents=True)
    return tmp_path / "full"


REAL = {  # id: (a real failing call on tmp_path, words the sentence must hold)
    "a-file-where-a-folder-should-be": (
        lambda t: open(afile(t) / "x.db", "w"), ["{t}/afile is a file, not a folder"]),
    "a-folder-where-a-file-should-be": (
        lambda t: open(t, "w"), ["{t} is a folder, not a file"]),
    "a-missing-folder": (
        lambda t: open(t / "no" / "such" / "x.txt", "w"),
        ["the folder {t}/no does not exist", "{t}/no/such/x.txt"]),
    "a-missing-file": (lambda t: open(t / "gone.txt"), ["{t}/gone.txt does not exist"]),
    "already-there": (lambda t: os.mkdir(afile(t)), ["{t}/afile already exists"]),
    "not-empty": (lambda t: os.rmdir(full_folder(t)), ["{t}/full is a folder that is not empty"]),
    "name-too-long": (lambda t: open(t / ("a" * 300), "w"), ["too long", "choose a shorter"]),
    "symlink-loop": (lambda t: open(a_loop(t)), ["{t}/loop goes round a loop of symbolic"]),
}


@pytest.mark.parametrize("case", REAL)
def test_real_os_errors_are_said_in_plain_words(tmp_path, case):
    call, words = REAL[case]
    exc = raised(lambda: call(tmp_path))
    assert "[Errno" in str(exc)  # what reached the user before
    said = describe(exc)
    assert plain(said), said
    for w in words:
        assert w.format(t=tmp_path) in said, said


AS_RAISED = {  # (errno name, filename, filename2): words
    ("ENOSPC", "/data/x.db", None): ["the disk holding /data/x.db is full", "free some space"],
    ("ENOSPC", None, None): ["the disk is full: free some space and try again"],
    ("EDQUOT", "/home/a/x.db", None): ["disk quota is used up", "/home/a/x.db"],
    ("EROFS", "/media/cd/x.db", None): ["/media/cd/x.db is on a read-only disk",
                                        "choose a place you can write to"],
    ("EACCES", "/srv/x.db", None): ["you do not have permission to use /srv/x.db"],
    ("EPERM", "/srv/x.db", None): ["you do not have permission to use /srv/x.db"],
    ("EIO", "/mnt/nas/x.db", None): ["the disk reported an error", "/mnt/nas/x.db"],
    ("EXDEV", "/a/x", "/b/y"): ["/a/x and /b/y are on different disks"],
    ("EMFILE", "/a/x", None): ["too many files are open", "close other programs"],
    ("EBUSY", "/a/x", None): ["/a/x is in use by another program"],
    ("EINVAL", "/a/x", None): ["/a/x: invalid argument"],  # no sentence of its own
}


@pytest.mark.parametrize("case", AS_RAISED, ids=lambda c: c[0] + ("" if c[1] else "-unnamed"))
def test_os_errors_as_the_system_raises_them_are_said_in_plain_words(case):
    name, f, f2 = case
    code = getattr(errno, name, None)
    if code is None:
        pytest.skip(f"{name} does not exist on this system")
    exc = OSError(code, os.strerror(code), f, None, f2) if f2 else (
        OSError(code, os.strerror(code), f) if f else OSError(code, os.strerror(code)))
    said = describe(exc)
    assert plain(said), said
    for w in AS_RAISED[case]:
        assert w in said, said
    assert os.strerror(code) not in said or name == "EINVAL"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)],
                          capture_output=True, text=True)  # fmt: skip


def test_the_cli_says_a_path_through_a_file_or_at_a_folder_in_plain_words(tmp_path):
    blocker = afile(tmp_path)
    wrong = blocker / "x.db"
    said = {
        "init": run("init", "--db", wrong, "--labels", "ORG"),
        "stats": run("stats", "--db", wrong),
        "train": run("train", "--db", tmp_path / "p.db", "--out", blocker),
        "folder": run("stats", "--db", tmp_path),
    }
    for name, done in said.items():
        assert done.returncode == 1, name
        assert plain(done.stderr), done.stderr
    line = f"annotator: error: {blocker} is a file, not a folder: check the path\n"
    assert said["init"].stderr == said["stats"].stderr == line
    assert said["train"].stderr == f"annotator: error: {blocker} is a file, not a folder: give " \
                                   "a folder\n"  # fmt: skip
    assert said["folder"].stderr == f"annotator: error: {tmp_path}: is a folder, not a project " \
                                    "file\n"  # fmt: skip
    assert blocker.read_text() == "not a folder" and not (tmp_path / "p.db").exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 kB file system (skipped where mounting one is not allowed)."""
    with tiny_file_system(tmp_path / "tiny") as target:
        yield target


def test_a_write_to_a_full_disk_is_said_in_plain_words(tiny_disk):
    target = tiny_disk / "big.bin"
    exc = raised(lambda: target.write_bytes(b"x" * 200_000))
    assert exc.errno == errno.ENOSPC and "[Errno 28]" in str(exc)
    assert describe(exc) == "the disk is full: free some space and try again"
    assert describe(exc, where=target) == (f"the disk holding {target} is full: free some "
                                           "space and try again")  # fmt: skip


def test_an_export_to_a_full_disk_fails_in_one_plain_line(tmp_path, tiny_disk):
    db = tmp_path / "big.db"
    with Project(db) as p:
        p.add_label("PERSON")
        text = "Angela Merkel met Emmanuel Macron in Paris on Monday. " * 150
        ids = p.add_records([ArticleRecord(text=f"{i}. {text}") for i in range(40)]).ids
        for aid in ids:
            p.set_status(aid, "accepted")
    done = run("export", "--db", db, "--out", tiny_disk / "tasks.jsonl", "--format", "jsonl")
    assert done.returncode == 1
    assert done.stderr == "annotator: error: the disk is full: free some space and try again\n"
    assert list(tiny_disk.iterdir()) == []  # nothing half-written left behind
