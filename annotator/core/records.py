"""Plain records passed between the core's modules.

Offsets everywhere are Python string indices (Unicode code points) into the
stored article text, end exclusive. See docs/schema.md.
"""

from __future__ import annotations

import hashlib
import unicodedata
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
    # The entity the span names (entity linking): an id of the project's knowledge base,
    # NIL ("not in the knowledge base") or None (not linked).
    kb_id: str | None = None

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
    # "complete": every token outside `spans` is known not to be an entity (a manual NER
    # annotation); "partial": only `spans` are known, the other tokens are unannotated
    # (a Prodigy binary `ner` task: the answer is about its one span).
    annotation: str = "complete"
    rejected: list[Span] = field(default_factory=list)  # spans an annotator said are wrong
    flagged: bool = False  # flagged for later (Prodigy's `flagged`), with a note
    flag_note: str = ""
    # Prodigy's `_annotator_id` (else `_session_id`): who decided. A second decided task of
    # the same text by someone else turns both into versions of one article (teams).
    annotator_id: str = ""
    # Prodigy review output: the annotators' versions [(annotator, status, spans)], kept
    # as versions; the task's own answer and spans are the reviewed result.
    versions: list = field(default_factory=list)

    @property
    def input_hash(self) -> str:
        return input_hash(self.text)


def normalise_text(text: str) -> str:
    """Text exactly as stored: CRLF and lone CR become LF; nothing else changes."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def input_hash(text: str) -> str:
    """Stable identity of an article's text (hex). Used to deduplicate and to split train/dev."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


ANNOTATIONS = ("complete", "partial")
NIL = "NIL"  # a span linked to "not in the knowledge base" (spaCy's entity linker's NIL)
# Article meta key: the Prodigy entity-linking `choice` tasks an article was imported from,
# each as it was but its text, so that JSONL export writes them back (formats/prodigy.py).
CHOICE_TASKS = "prodigy_choice_tasks"
KB_ID_MAX = 200  # characters
LABEL_MAX = 64  # characters


def _check_name(value, what: str, most: int, empty: str, show: bool = False) -> str:
    """`value` without surrounding whitespace, or ValueError saying why it cannot be `what`
    ("a label name", "an entity id"): not text, empty, longer than `most`, or holding
    control characters (`show`: the value's start in that message)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValueError(empty)
    if len(value) > most:
        raise ValueError(f"{what} may have at most {most} characters (this one has {len(value)})")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        where = f" in {value[:40]!r}" if show else ""
        raise ValueError(f"{what} may not hold control characters (found U+{ord(bad):04X}{where})")
    return value


def check_label_name(name: str) -> str:
    """The label name as stored (surrounding whitespace removed), or ValueError saying why
    it cannot be a label: empty, longer than LABEL_MAX, or holding control characters."""
    return _check_name(name, "a label name", LABEL_MAX, "a label needs a name")


def check_kb_id(kb_id) -> str | None:
    """The link as stored (None: not linked; surrounding whitespace removed), or ValueError
    saying why it cannot be one: not a string, empty, longer than KB_ID_MAX, or holding
    control characters."""
    if kb_id is None:
        return None
    return _check_name(kb_id, "an entity id", KB_ID_MAX, "an entity id may not be empty", True)
