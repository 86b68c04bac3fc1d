"""Read-only places for real, for the tests of read-only projects, whoever runs them.

File permissions do not stop root (these tests run as root here, as a normal user in most
CI), so a place is made read-only in the first way that works:

- not root: `chmod` (the folder 0o555, its files 0o444), undone afterwards;
- root: a read-only bind mount (`mount --bind`, then `mount -o remount,bind,ro`): writes
  through it fail with EROFS, for root too; unmounted afterwards;
- root where mounting is not allowed (a container without CAP_SYS_ADMIN), and only for
  commands run in a child process (`in_process=False`): the child runs as nobody (uid
  65534) on root's files, which nobody may read but not write.

Where none works (root, no mount, nobody cannot run this Python) the test is skipped,
saying why.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NOBODY = 65534
_mountable: bool | None = None


def _mount_read_only(source: Path, target: Path) -> bool:
    """Bind `source` read-only at `target` (a folder on a folder, a file on a file)."""
    done = subprocess.run(["mount", "--bind", str(source), str(target)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        return False
    done = subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], capture_output=True)
    if done.returncode != 0:
        _unmount(target)
        return False
    return True


def _unmount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)  # still in use


def can_mount(scratch: Path) -> bool:
    """True when this process may make read-only bind mounts (tried once)."""
    global _mountable
    if _mountable is None:
        if os.geteuid() != 0 or shutil.which("mount") is None:
            _mountable = False
        else:
            src, dst = scratch / "mount-probe-src", scratch / "mount-probe-dst"
            src.mkdir(exist_ok=True)
            dst.mkdir(exist_ok=True)
            _mountable = _mount_read_only(src, dst)
            if _mountable:
                _unmount(dst)
    return _mountable


def nobody_can_run_python() -> bool:
    try:
        done = subprocess.run([sys.executable, "-c", "import annotator"], user=NOBODY,
                              group=NOBODY, capture_output=True, cwd="/")  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def digest(folder: Path) -> dict[str, str]:
    """Every file of `folder` and its bytes' hash (a -shm file is SQLite's shared memory,
    which readers write to, so only its presence counts)."""
    out = {}
    for path in sorted(folder.iterdir()):
        if path.is_file():
            keep = not path.name.endswith("-shm")
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest() if keep else "shm"
    return out


class ReadOnlyPlace:
    """`work`: a folder the test fills (writable); `with place as view:` the same files,
    read-only through `view` (a folder), until the block ends. `file_only=True`: only
    the file named `file_only_name` is read-only; its folder stays writable."""

    def __init__(self, tmp_path: Path, *, in_process: bool = True, file_only: str | None = None):
        self.tmp_path, self.file_only = tmp_path, file_only
        self.how = self._choose(in_process)
        if self.how == "nobody":  # somewhere nobody can reach (tmp_path is root's, 0o700)
            self._own = Path(tempfile.mkdtemp(prefix="annotator-ro-"))
            self._own.chmod(0o755)
            self.work = self._own / "work"
        else:
            self._own = None
            self.work = tmp_path / "work"
        self.work.mkdir()
        self.view = self.work
        self._mounted: Path | None = None
        self._modes: dict[Path, int] = {}

    def _choose(self, in_process: bool) -> str:
        if os.geteuid() != 0:
            return "chmod"
        if can_mount(self.tmp_path):
            return "mount"
        if not in_process and nobody_can_run_python():
            return "nobody"
        pytest.skip("running as root, and this system allows neither a read-only mount nor "
                    "running this Python as nobody: root ignores file permissions")

    def __enter__(self) -> Path:
        if self.how == "mount":
            if self.file_only:
                target = self.work / self.file_only
            else:
                target = self.tmp_path / "read-only-view"
                target.mkdir()
                self.view = target
            if not _mount_read_only(self.work / self.file_only if self.file_only
                                    else self.work, target):  # fmt: skip
                pytest.skip("the read-only mount failed")
            self._mounted = target
        else:  # chmod: the user's own files; nobody: root's files, nobody's folder
            paths = [self.work / self.file_only] if self.file_only else [
                *self.work.iterdir(), self.work]  # fmt: skip
            for path in paths:
                self._modes[path] = stat.S_IMODE(path.stat().st_mode)
                path.chmod(0o555 if path.is_dir() else 0o444)
            if self.how == "nobody" and self.file_only:
                os.chown(self.work, NOBODY, NOBODY)  # the folder writable, the file not
                self.work.chmod(0o755)
        return self.view

    def __exit__(self, *exc) -> None:
        if self._mounted is not None:
            _unmount(self._mounted)
            self._mounted = None
        for path, mode in self._modes.items():
            path.chmod(mode)
        if self.how == "nobody" and self.file_only:
            os.chown(self.work, 0, 0)
        self.view = self.work

    def writable_folder(self) -> Path:
        """A new folder the commands `run` may write to (an export's output)."""
        folder = (self._own or self.tmp_path) / "out"
        folder.mkdir()
        if self.how == "nobody":
            os.chown(folder, NOBODY, NOBODY)
        return folder

    def cleanup(self) -> None:
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)

    def run(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        """The command line in a child process (as nobody in the "nobody" way)."""
        who = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if self.how == "nobody" \
            else {}  # fmt: skip
        return subprocess.run([sys.executable, "-m", "annotator", *args], capture_output=True,
                              text=True, env=env, cwd="/", **who)  # fmt: skip


@contextmanager
def tiny_file_system(target: Path, size: str = "64k") -> Iterator[Path]:
    """A real file system of `size` (tmpfs) at `target`, as full as a disk gets; the test
    is skipped where this system does not allow mounting one (not root, a container
    without CAP_SYS_ADMIN)."""
    target.mkdir(exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        _unmount(target)
