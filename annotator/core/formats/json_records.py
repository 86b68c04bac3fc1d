"""What Prodigy tasks and doccano lines share: checks of JSON values, span validation, and
the article's text, title and meta.

Decisions:
- Stored text is `normalise_text(text)`. Span offsets in the input refer to the original
  text (code points) and are remapped through the CRLF -> LF change (`offset_mapper`).
- Every imported span has source "import". Span numbers in messages are 1-based.
- A span's label must be a valid label name (`check_label_name`); it is stored stripped.
- Spans that must not overlap (an accepted record's) are checked; an exact duplicate is
  dropped silently. Other spans may overlap; the store / the review merges them later.
- A top-level `title`, else `meta.title`, gives the title; else the text's first line.
- A span may carry `kb_id` (Prodigy and spaCy both call the linked entity so): kept with
  it; null or absent is "not linked".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..records import ArticleRecord, Span, check_kb_id, check_label_name, normalise_text
from .items import RecordError
from .text import make_title, offset_mapper


def show(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), "a value")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_unicode(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        message = f"{what} contains invalid Unicode (an unpaired surrogate escape)"
        raise RecordError(message) from None


def loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}" if e.lineno > 1 else f"column {e.colno}"
        raise RecordError(f"invalid JSON: {e.msg} at {where}") from None
    except ValueError as e:  # e.g. an integer too long to convert
        raise RecordError(f"invalid JSON: {e}") from None
    except RecursionError:
        raise RecordError("invalid JSON: nested too deeply") from None


@dataclass(frozen=True, slots=True)
class RawSpan:
    number: int  # 1-based position in the input, for messages
    start: int
    end: int
    label: str
    kb_id: str | None = None  # the entity it names (entity linking), None: not linked

    def __str__(self) -> str:
        return f"span {self.number} [{self.start}, {self.end})"


def raw_span(number: int, start: Any, end: Any, label: Any, kb_id: Any = None) -> RawSpan:
    if not (is_int(start) and is_int(end)):
        for name, value in (("start", start), ("end", end)):
            if not is_int(value):
                raise RecordError(f"span {number} has {name} {show(value)}, expected an integer")
    name = _LABELS.get(label) if isinstance(label, str) else None
    if name is None:
        name = _label_name(number, label)
    if kb_id is not None:
        if not isinstance(kb_id, str):
            raise RecordError(f"span {number} has kb_id {show(kb_id)}, expected a string")
        check_unicode(kb_id, f"span {number} kb_id")
        try:
            kb_id = check_kb_id(kb_id)
        except ValueError as e:
            raise RecordError(f"span {number} has kb_id {show(kb_id)}: {e}") from None
    return RawSpan(number, start, end, name, kb_id)


_LABELS: dict[str, str] = {}  # label as given -> as stored, for labels already checked
_LABELS_MAX = 4096


def _label_name(number: int, label: Any) -> str:
    if not isinstance(label, str) or not label.strip():
        raise RecordError(f"span {number} has label {show(label)}, expected a non-empty string")
    check_unicode(label, f"span {number} label")
    try:
        name = check_label_name(label)
    except ValueError as e:
        raise RecordError(f"span {number} has label {show(label)}: {e}") from None
    if len(_LABELS) < _LABELS_MAX:
        _LABELS[label] = name
    return name


def _flag(obj: dict) -> tuple[bool, str]:
    """`flagged: true` (as Prodigy writes it) with an optional `flag_note` string."""
    flagged = obj.get("flagged", False)
    if not isinstance(flagged, bool):
        raise RecordError(f"'flagged' must be true or false, got {kind(flagged)}")
    note = obj.get("flag_note", "") if flagged else ""
    if not isinstance(note, str):
        raise RecordError(f"'flag_note' must be a string, got {kind(note)}")
    check_unicode(note, "'flag_note'")
    return flagged, note.strip()


@dataclass(slots=True)
class JsonArticle:
    """The text, title and meta of one JSON record, before its spans are known."""

    text: str  # as in the input; offsets refer to it
    title: str
    meta: dict = field(default_factory=dict)
    source: str = ""
    flag: tuple[bool, str] = (False, "")  # Prodigy's `flagged` (and our `flag_note`)

    @classmethod
    def from_json(cls, obj: dict, source: str, data_key: bool = False) -> JsonArticle:
        """`data_key`: old doccano exports hold the text in `data`."""
        if "text" in obj:
            text = obj["text"]
        elif data_key and isinstance(obj.get("data"), str):
            text = obj["data"]
        else:
            raise RecordError("missing 'text'")
        if not isinstance(text, str):
            raise RecordError(f"'text' must be a string, got {kind(text)}")
        if not text.strip():
            raise RecordError("'text' is empty")
        check_unicode(text, "'text'")
        meta = obj.get("meta")
        meta = dict(meta) if isinstance(meta, dict) else {}
        if meta:
            check_unicode(json.dumps(meta, ensure_ascii=False), "'meta'")
        given = (obj.get("title"), meta.get("title"))
        title = next((t for t in given if isinstance(t, str)), "")
        check_unicode(title, "'title'")
        return cls(text, title, meta, source, _flag(obj))

    def spans(self, raw: list[RawSpan], overlap: bool = True) -> list[Span]:
        """Bounds-checked, deduplicated, sorted spans on the stored text; `overlap=False`
        refuses overlapping spans."""
        text = self.text
        seen: dict[tuple[int, int, str], RawSpan] = {}
        for s in raw:
            if s.start < 0:
                raise RecordError(f"{s} starts before 0")
            if s.start >= s.end:
                raise RecordError(f"{s} has start >= end")
            if s.end > len(text):
                raise RecordError(f"{s} ends after the text (length {len(text)})")
            seen.setdefault((s.start, s.end, s.label), s)
        ordered = sorted(seen.values(), key=lambda s: (s.start, s.end, s.label))
        if not overlap:
            _check_no_overlap(ordered)
        remap = offset_mapper(text)
        spans = []
        for s in ordered:
            span = Span(remap(s.start), remap(s.end), s.label, "import", s.kb_id)
            if span.start >= span.end:
                raise RecordError(f"{s} covers only a carriage return")
            spans.append(span)
        return spans

    def record(self, status: str, hashes: tuple[int | None, int | None] = (None, None),
               meta: dict | None = None, **spans: Any) -> ArticleRecord:  # fmt: skip
        """The record with the normalised text and a title; `spans` give its spans,
        suggestions, rejected spans (and `annotation`)."""
        normal = normalise_text(self.text)
        return ArticleRecord(
            text=normal,
            title=make_title(self.title) or make_title(normal),
            source=self.source,
            meta=self.meta if meta is None else meta,
            status=status,
            prodigy_input_hash=hashes[0],
            prodigy_task_hash=hashes[1],
            flagged=self.flag[0],
            flag_note=self.flag[1],
            **spans,
        )


def _check_no_overlap(ordered: list[RawSpan]) -> None:
    widest: RawSpan | None = None  # the span reaching furthest right so far
    for s in ordered:
        if widest is not None and s.start < widest.end:
            first, second = sorted((widest, s), key=lambda x: x.number)
            raise RecordError(f"{first} ({first.label}) and {second} ({second.label}) overlap")
        if widest is None or s.end > widest.end:
            widest = s
