"""One plain sentence for a person, whatever went wrong underneath: no PySide wrapper
text ("Error calling Python override of …"), no SQL, no "[Errno 28]" (an OSError goes
through `annotator.core.os_errors.describe`)."""

from __future__ import annotations

import re
import sqlite3

from annotator.core.os_errors import describe
from annotator.core.project import ConflictError, ProjectError, StorageError

_WRAPPER = re.compile(r"^Error calling Python override of [\w:]+\(\):\s*")

LOCKED = ("the project file is locked by another program (an import, another window, the "
          "command line); try again in a moment")  # fmt: skip
READ_ONLY = "the project file is read-only; save a copy somewhere you can write to"
DISK_FULL = "the disk is full; free some space and try again"
CLASH = "it clashes with what is stored in the project file (changed elsewhere?)"
CONFLICT = "the article was changed in another window"


def is_storage(exc: BaseException) -> bool:
    """The file could not be read or written (locked, read-only, full, damaged): worth a
    dialog, unlike a problem with what was asked."""
    return isinstance(exc, StorageError) or not isinstance(exc, ProjectError)


def reason(exc: BaseException, where=None) -> str:
    """Why it failed, as a clause that can follow "…: ". Core messages are already
    sentences for people; SQLite's are translated; an OSError is described, naming `where`
    when it names no file itself."""
    text = _WRAPPER.sub("", str(exc)).strip()
    if isinstance(exc, ConflictError):
        return CONFLICT
    if isinstance(exc, sqlite3.IntegrityError):
        return CLASH
    if isinstance(exc, sqlite3.Error):
        low = text.lower()
        if "locked" in low or "busy" in low:
            return LOCKED
        if "readonly" in low or "read-only" in low:
            return READ_ONLY
        if "full" in low:
            return DISK_FULL
        return f"the project file could not be written ({text or type(exc).__name__})"
    if isinstance(exc, ProjectError):
        return text or "the project file could not be changed"
    if isinstance(exc, OSError):
        return describe(exc, where)
    return text or type(exc).__name__


def sentence(exc: BaseException, where=None) -> str:
    """`reason` as a sentence of its own, for a dialog: capitalised, with a full stop."""
    text = reason(exc, where).rstrip(".")
    return text[:1].upper() + text[1:] + "."


def not_saved(what: str, exc: BaseException) -> str:
    """`Not saved (label ORG): the project file is locked …` in one sentence."""
    return f"Not saved ({what}): {reason(exc).rstrip('.')}."
