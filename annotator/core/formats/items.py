"""What the readers yield: a `ReadItem` per input record, holding a record or a `BadRecord`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..records import ArticleRecord
from .text import SPACY_MAX_LENGTH, length_warning


def where(path: str, line: int | None) -> str:
    """`path:line`, or the path alone for a problem with the whole file."""
    return path if line is None else f"{path}:{line}"


@dataclass(frozen=True, slots=True)
class BadRecord:
    """One problem in the input, reported to the user."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{where(self.path, self.line)}: {self.message}"


@dataclass(slots=True)
class ReadItem:
    """What a reader yields for each input record: a record, or an error.

    `warnings` are notes about a good record that the user should see (as `where: note`),
    e.g. an article longer than spaCy's default max_length."""

    path: str
    line: int | None
    record: ArticleRecord | None
    error: BadRecord | None
    warnings: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return where(self.path, self.line)


class RecordError(ValueError):
    """A problem with one record; the message is shown to the user."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def good(path: Path, line: int | None, record: ArticleRecord) -> ReadItem:
    if len(record.text) <= SPACY_MAX_LENGTH:
        return ReadItem(str(path), line, record, None)
    return ReadItem(str(path), line, record, None, [length_warning(record.text)])


def bad(path: Path, line: int | None, message: str) -> ReadItem:
    return ReadItem(str(path), line, None, BadRecord(str(path), line, message))
