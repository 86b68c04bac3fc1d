"""Plain records passed between the core's modules.

Offsets everywhere are Python string indices (Unicode code points) into the
stored article text, end exclusive. See docs/schema.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

STATUSES = ("pending", "accepted", "rejected", "skipped")
# Where a span came from. "decision" = propagated from the project's own accepted spans.
SPAN_SOURCES = ("model", "pattern", "decision", "human", "import")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str
    source: str = "human"

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(slots=True)
class ArticleRecord:
    """One article as read from an input file, before it is stored."""

    text: str
    title: str = ""
    source: str = ""  # where it came from, e.g. the file name
    meta: dict = field(default_factory=dict)
    status: str = "pending"
    spans: list[Span] = field(default_factory=list)  # confirmed spans
    suggestions: list[Span] = field(default_factory=list)  # pre-suggested spans (pending)
    prodigy_input_hash: int | None = None  # kept when a Prodigy export is imported
    prodigy_task_hash: int | None = None

    @property
    def input_hash(self) -> str:
        return input_hash(self.text)


def normalise_text(text: str) -> str:
    """Text exactly as stored: CRLF and lone CR become LF; nothing else changes."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def input_hash(text: str) -> str:
    """Stable identity of an article's text (hex). Used to deduplicate and to split train/dev."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
