"""The core's exceptions. Messages are plain sentences for a person to read; callers that
must act on a kind of error (a dialog asking "delete them too?") use the class and its
attributes, never the wording."""

from __future__ import annotations


class ProjectError(Exception):
    """A problem with the project file or an operation on it, the user's to fix."""


class NotAProjectError(ProjectError):
    """The file is not an Annotator project (another program's database, not SQLite...).
    Nothing in it was changed."""


class NewerProjectError(ProjectError):
    """The file was made by a newer version of Annotator. Nothing in it was changed."""


class ConflictError(ProjectError):
    """The article changed elsewhere (another window, the command line) since it was read."""


class StorageError(ProjectError):
    """SQLite could not write: the file is locked too long, read-only, or the disk is full."""


class LabelNameError(ProjectError):
    """A label name that cannot be used (empty, control characters, too long)."""


class LabelInUseError(ProjectError):
    """A label cannot be removed while spans use it."""

    def __init__(self, label: str, spans: int):
        super().__init__(f"label {label} is used by {spans} spans")
        self.label, self.spans = label, spans


class SpanError(ProjectError):
    """A span that cannot be stored: unknown label, outside the text, on no token, or
    overlapping another span."""

    def __init__(self, message: str, span=None, reason: str = ""):
        super().__init__(message)
        self.span, self.reason = span, reason
