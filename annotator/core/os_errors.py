"""An operating-system error in plain words: which file, what happened, what to do.

`describe(exc)` is the one place where the command line and the window turn an `OSError`
into a sentence for a person ("the disk holding /x/y is full: free some space and try
again"), never "[Errno 28] No space left on device". It returns a clause that can follow
"error: " or "Export failed: ". Anything that is not an OSError comes back as its own text.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

SHOWN = 160  # characters of a path shown (a too-long name is cut in the middle)

Sentence = Callable[[str | None, str | None], str]


def _name(value: object) -> str | None:
    """`exc.filename` as text (None for a file descriptor or nothing)."""
    if value is None or isinstance(value, int):
        return None
    if isinstance(value, bytes):
        return os.fsdecode(value)
    return str(value)


def _shown(path: str) -> str:
    return path if len(path) <= SHOWN else f"{path[: SHOWN // 2]}…{path[-SHOWN // 2 :]}"


def file_in_the_way(path: str) -> str | None:
    """The nearest part of `path` that exists as a file where a folder is needed: one of
    its folders (`path` itself is not looked at)."""
    for parent in Path(path).parents:
        if str(parent) in ("", "."):
            return None
        try:
            if parent.exists():  # False, not an error, beyond a file (ENOTDIR)
                return None if parent.is_dir() else str(parent)
        except OSError:
            return None
    return None


def _missing_folder(path: str) -> str | None:
    """The outermost folder of `path` that does not exist (None: they all do)."""
    missing = None
    for parent in Path(path).parents:
        if str(parent) in ("", "."):
            break
        try:
            if parent.exists():
                break
        except OSError:
            break
        missing = str(parent)
    return missing


def _not_a_folder(f: str | None, _: str | None) -> str:
    if f is None:
        return "a part of the path is a file, not a folder: check the path"
    blocker = file_in_the_way(f)
    if blocker is not None:
        return f"{blocker} is a file, not a folder: check the path"
    if os.path.lexists(f) and not os.path.isdir(f):
        return f"{f} is a file, not a folder: give a folder"
    return f"{f} goes through a file where a folder should be: check the path"


def _missing(f: str | None, _: str | None) -> str:
    if f is None:
        return "a file or folder it needs does not exist: check the path"
    folder = _missing_folder(f)
    if folder is not None:
        return f"the folder {folder} does not exist: create it, or check the path {f}"
    return f"{f} does not exist: check the path"


def _with(with_file: str, without: str) -> Sentence:
    """A sentence naming the file ({f}, and {f2} the second one) when it is known."""

    def sentence(f: str | None, f2: str | None) -> str:
        if f is None:
            return without
        return with_file.format(f=f, f2=f2 if f2 is not None else "the other place")

    return sentence


_DISK_FULL = _with("the disk holding {f} is full: free some space and try again",
                   "the disk is full: free some space and try again")  # fmt: skip
_NO_PERMISSION = _with(
    "you do not have permission to use {f}: check its permissions, or choose another place",
    "you do not have permission to do that here: check the permissions, or choose another "
    "place",
)
_IN_USE = _with("{f} is in use by another program: close it and try again",
                "a file is in use by another program: close it and try again")  # fmt: skip
_TOO_MANY_OPEN = _with(
    "too many files are open at once (opening {f}): close other programs and try again",
    "too many files are open at once: close other programs and try again",
)

SENTENCES: dict[int, Sentence] = {
    errno.ENOSPC: _DISK_FULL,
    errno.EROFS: _with(
        "{f} is on a read-only disk or share: nothing can be written there; choose a place "
        "you can write to",
        "the disk or share is read-only: nothing can be written there; choose a place you "
        "can write to",
    ),
    errno.EACCES: _NO_PERMISSION,
    errno.EPERM: _NO_PERMISSION,
    errno.ENOTDIR: _not_a_folder,
    errno.EISDIR: _with("{f} is a folder, not a file: give the name of a file",
                        "a folder was given where a file is needed: give the name of a file"),
    errno.ENOENT: _missing,
    errno.EEXIST: _with("{f} already exists: choose another name, or move it away",
                        "it already exists: choose another name, or move it away"),
    errno.ENOTEMPTY: _with("{f} is a folder that is not empty: choose another place, or "
                           "empty it", "a folder is not empty: choose another place"),
    errno.ENAMETOOLONG: _with(
        "the name {f} is too long for the file system: choose a shorter name or folder",
        "a file name is too long for the file system: choose a shorter name or folder",
    ),
    errno.EMFILE: _TOO_MANY_OPEN,
    errno.ENFILE: _TOO_MANY_OPEN,
    errno.EIO: _with(
        "the disk reported an error reading or writing {f}: check the disk (or the network "
        "share) and try again",
        "the disk reported an error: check the disk (or the network share) and try again",
    ),
    errno.EXDEV: _with(
        "{f} and {f2} are on different disks, so one cannot be moved onto the other: choose "
        "a place on the same disk",
        "the two places are on different disks: choose a place on the same disk",
    ),
    errno.ELOOP: _with("{f} goes round a loop of symbolic links: fix the link",
                       "a path goes round a loop of symbolic links: fix the link"),
    errno.EBUSY: _IN_USE,
    errno.ETXTBSY: _IN_USE,
    errno.EFBIG: _with("{f} would be larger than its disk allows for one file: choose "
                       "another disk", "a file would be larger than its disk allows"),
}
for _code, _sentence in (("EDQUOT", _with(
        "your disk quota is used up (writing {f}): free some space, or ask for a larger "
        "quota, and try again",
        "your disk quota is used up: free some space, or ask for a larger quota, and try "
        "again")),
        ("ESTALE", _with(
            "{f} is on a network share that is no longer there: reconnect it and try again",
            "a network share is no longer there: reconnect it and try again"))):  # fmt: skip
    if hasattr(errno, _code):  # not on every system
        SENTENCES[getattr(errno, _code)] = _sentence


def describe(exc: BaseException, where: str | os.PathLike | None = None) -> str:
    """`exc` as one plain sentence naming the file, and what to do; no "[Errno N]".
    `where`: the file or folder to name when the error does not say (a failed write
    names none)."""
    if not isinstance(exc, OSError):
        return str(exc).strip() or type(exc).__name__
    f, f2 = _name(exc.filename), _name(exc.filename2)
    if f is None and where is not None:
        f = os.fspath(where)
    f = _shown(f) if f is not None else None
    f2 = _shown(f2) if f2 is not None else None
    sentence = SENTENCES.get(exc.errno) if exc.errno is not None else None
    if sentence is not None:
        return sentence(f, f2)
    if exc.errno is None or not exc.strerror:  # raised with a message of its own
        return str(exc).strip() or type(exc).__name__
    why = exc.strerror[:1].lower() + exc.strerror[1:]
    return f"{f}: {why}" if f is not None else why
