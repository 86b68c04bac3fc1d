"""Streaming readers: input files become `ArticleRecord`s. No database, no Qt.

`read_file` yields one `ReadItem` per input record: either a record or a `BadRecord`
(path, line, one-line message) for the user. Nothing here raises on bad input.

Formats (chosen by suffix, case-insensitive):

- `.txt`: one article per file. The title is the first non-empty line.
- `.jsonl`: one JSON object per line, read line by line in binary (flat memory, invalid
  UTF-8 reported with its line number). Blank lines are skipped. Two shapes, per line:
  - Prodigy task (has `spans`, `answer`, `tokens`, `_input_hash` or `_task_hash`):
    `answer` accept/reject/ignore -> accepted/rejected/skipped with the spans in
    `record.spans`; no answer -> pending with the spans in `record.suggestions`.
  - doccano (has `label`, `labels` or `entities`, as `[start, end, "LABEL"]` triples or
    `{"start_offset", "end_offset", "label"}` objects; old exports with `data` instead of
    `text` are accepted). doccano has no review status, so these records are imported as
    *pending* with their spans as suggestions: the annotator reviews them.
  Other keys are ignored; a top-level `title`, else `meta.title`, gives the title.
- `.json`: JSON Lines under another name (streamed), or one JSON array of such objects or
  one (pretty-printed) object; those two are loaded whole, and array items are numbered
  in messages as "item N" since they have no line of their own.
- `.csv`: a header with a `text` column (required) and optional `title`, `source`, `url`
  (matched case-insensitively); other non-empty fields go into `meta`. The line number
  of a record is the line where it starts (quoted fields may span lines).

Decisions:
- Stored text is `normalise_text(text)`. Span offsets in the input refer to the original
  text (code points) and are remapped through the CRLF -> LF change (`offset_mapper`).
- Every imported span has source "import". Span numbers in messages are 1-based.
- Spans of an accepted record must not overlap (an exact duplicate is dropped silently).
  Spans of other records may overlap; the store / the review merges them later.
- Without an explicit title the first non-empty line of the text is used, so titles are
  never empty; titles are cut to 200 characters. `source` is the file name (CSV: the
  `source` column, else the `url` column, else the file name; `url` is also kept in meta).
- A UTF-8 BOM at the start of a file is ignored.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .records import ArticleRecord, Span, normalise_text

SUFFIXES = (".txt", ".jsonl", ".json", ".csv")
TITLE_MAX = 200
PROGRESS_STEP = 256 * 1024  # on_bytes is called at most once per this many bytes (and at the end)
ANSWER_STATUS = {"accept": "accepted", "reject": "rejected", "ignore": "skipped"}
_PRODIGY_KEYS = frozenset({"spans", "answer", "tokens", "_input_hash", "_task_hash"})
_DOCCANO_KEYS = ("label", "labels", "entities")


@dataclass(frozen=True, slots=True)
class BadRecord:
    """One problem in the input, reported to the user."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class ReadItem:
    """What a reader yields for each input record: a record, or an error."""

    path: str
    line: int | None
    record: ArticleRecord | None
    error: BadRecord | None


class _Bad(ValueError):
    """A problem with one record; the message is shown to the user."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _good(path: Path, line: int | None, record: ArticleRecord) -> ReadItem:
    return ReadItem(str(path), line, record, None)


def _bad(path: Path, line: int | None, message: str) -> ReadItem:
    return ReadItem(str(path), line, None, BadRecord(str(path), line, message))


# --- paths ------------------------------------------------------------------------------


def iter_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files to read: files as given, folders searched recursively for known suffixes.

    Folder contents are sorted; hidden files and folders (name starting with ".") are
    skipped there. A file named explicitly is yielded whatever its suffix, so that
    `read_file` reports it. Each file is yielded once.
    """
    seen: set[str] = set()
    for given in paths:
        given = Path(given)
        for path in _walk(given) if given.is_dir() else [given]:
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                yield path


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            Path(root, name)
            for name in files
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES
        ]
    return sorted(found)


def total_bytes(paths: Iterable[str | Path]) -> int:
    """Total size of the files `iter_paths(paths)` yields (for a progress bar)."""
    total = 0
    for path in iter_paths(paths):
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


# --- offsets and small helpers ---------------------------------------------------------


def offset_mapper(original: str) -> Callable[[int], int]:
    """Map an offset into `original` to the same place in `normalise_text(original)`.

    Only CRLF changes length (a lone CR becomes LF in place): each CR of a CRLF that lies
    before the offset shifts it left by one.
    """
    removed = []  # indices of the CRs that normalisation drops
    i = original.find("\r\n")
    while i != -1:
        removed.append(i)
        i = original.find("\r\n", i + 2)
    if not removed:
        return lambda offset: offset
    return lambda offset: offset - bisect_left(removed, offset)


def remap_spans(original: str, spans: Iterable[Span]) -> list[Span]:
    """`spans` over `original`, moved onto `normalise_text(original)`."""
    remap = offset_mapper(original)
    return [Span(remap(s.start), remap(s.end), s.label, s.source) for s in spans]


def make_title(text: str) -> str:
    """First non-empty line, stripped, cut to TITLE_MAX characters."""
    start, n = 0, len(text)
    while start < n:  # scan line by line without splitting the whole (maybe huge) text
        end = text.find("\n", start)
        end = n if end == -1 else end
        line = text[start:end].strip()
        if line:
            return line[:TITLE_MAX].rstrip()
        start = end + 1
    return ""


def _show(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), "a value")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_unicode(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Bad(f"{what} contains invalid Unicode (an unpaired surrogate escape)") from None


def _utf8_error(raw: bytes, error: UnicodeDecodeError, file_offset: int) -> str:
    column = len(raw[: error.start].decode("utf-8", "replace")) + 1
    return (
        f"invalid UTF-8: byte 0x{raw[error.start]:02x} at column {column}"
        f" (file offset {file_offset + error.start})"
    )


class _Progress:
    def __init__(self, callback: Callable[[int], None] | None):
        self.callback = callback
        self.consumed = self.reported = 0

    def advance(self, n: int) -> None:
        self.consumed += n
        if self.callback and self.consumed - self.reported >= PROGRESS_STEP:
            self.reported = self.consumed
            self.callback(self.consumed)

    def done(self) -> None:
        if self.callback and self.consumed != self.reported:
            self.reported = self.consumed
            self.callback(self.consumed)


def _lines(f: BinaryIO, progress: _Progress) -> Iterator[tuple[int, str, str | None]]:
    """(line number, decoded line, UTF-8 error message or None); bad bytes become U+FFFD."""
    offset = 0
    for number, raw in enumerate(f, 1):
        progress.advance(len(raw))
        start = offset
        offset += len(raw)
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, start = raw[3:], start + 3
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as e:
            yield number, raw.decode("utf-8", "replace"), _utf8_error(raw, e, start)


# --- dispatch ---------------------------------------------------------------------------


def read_file(
    path: str | Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ReadItem]:
    """Read one file, yielding a `ReadItem` per record (or one for a file-level problem).

    `on_bytes(n)` receives the bytes of this file consumed so far, for a progress bar.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        kind = f"'{path.suffix}'" if path.suffix else "without an extension"
        yield _bad(path, None, f"unsupported file type {kind} (expected {', '.join(SUFFIXES)})")
        return
    progress = _Progress(on_bytes)
    try:
        yield from reader(path, progress)
    except OSError as e:
        yield _bad(path, None, f"cannot read the file: {e.strerror or e}")
    progress.done()


def _decode_whole(data: bytes) -> str:
    skip = 3 if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        at = skip + e.start
        line = data.count(b"\n", 0, at) + 1
        raise _Bad(f"invalid UTF-8: byte 0x{data[at]:02x} at file offset {at}", line) from None


def _read_txt(path: Path, progress: _Progress) -> Iterator[ReadItem]:
    data = path.read_bytes()
    progress.advance(len(data))
    try:
        text = _decode_whole(data)
    except _Bad as e:
        yield _bad(path, e.line, str(e))
        return
    if not text.strip():
        yield _bad(path, None, "the file is empty" if not text else "the file has only whitespace")
        return
    text = normalise_text(text)
    yield _good(path, None, ArticleRecord(text=text, title=make_title(text), source=path.name))


def _read_jsonl(path: Path, progress: _Progress) -> Iterator[ReadItem]:
    with open(path, "rb") as f:
        yield from _jsonl_items(path, f, progress)


def _jsonl_items(path: Path, f: BinaryIO, progress: _Progress) -> Iterator[ReadItem]:
    for number, line, error in _lines(f, progress):
        if error:
            yield _bad(path, number, error)
        elif line.strip():
            try:
                yield _good(path, number, record_from_json(_loads(line), path.name))
            except _Bad as e:
                yield _bad(path, number, str(e))


def _read_json(path: Path, progress: _Progress) -> Iterator[ReadItem]:
    with open(path, "rb") as f:
        if _looks_like_jsonl(f):
            f.seek(0)
            yield from _jsonl_items(path, f, progress)
            return
        f.seek(0)
        data = f.read()
    progress.advance(len(data))
    try:
        text = _decode_whole(data)
        if not text.strip():
            raise _Bad("the file is empty")
        value = _loads(text)
    except _Bad as e:
        yield _bad(path, e.line, str(e))
        return
    if isinstance(value, dict):  # one (pretty-printed) object
        try:
            yield _good(path, None, record_from_json(value, path.name))
        except _Bad as e:
            yield _bad(path, None, str(e))
    elif isinstance(value, list):
        for number, obj in enumerate(value, 1):
            try:
                yield _good(path, None, record_from_json(obj, path.name))
            except _Bad as e:
                yield _bad(path, None, f"item {number}: {e}")
    else:
        yield _bad(path, None, f"expected a JSON object or array, got {_kind(value)}")


def _looks_like_jsonl(f: BinaryIO) -> bool:
    """True when the first non-blank line of `f` is a complete JSON object on its own."""
    for raw in f:
        line = raw.removeprefix(codecs.BOM_UTF8).strip()
        if line:
            try:
                return line.startswith(b"{") and isinstance(json.loads(line), dict)
            except (ValueError, RecursionError):
                return False
    return False


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}" if e.lineno > 1 else f"column {e.colno}"
        raise _Bad(f"invalid JSON: {e.msg} at {where}") from None
    except ValueError as e:  # e.g. an integer too long to convert
        raise _Bad(f"invalid JSON: {e}") from None
    except RecursionError:
        raise _Bad("invalid JSON: nested too deeply") from None


# --- JSON records -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RawSpan:
    number: int  # 1-based position in the input, for messages
    start: int
    end: int
    label: str

    def __str__(self) -> str:
        return f"span {self.number} [{self.start}, {self.end})"


def record_from_json(obj: Any, source: str = "") -> ArticleRecord:
    """One Prodigy task or doccano line as a record. Raises `ValueError` when it is bad."""
    if not isinstance(obj, dict):
        raise _Bad(f"expected a JSON object, got {_kind(obj)}")
    doccano = not (_PRODIGY_KEYS & obj.keys()) and any(k in obj for k in _DOCCANO_KEYS)
    if "text" in obj:
        text = obj["text"]
    elif doccano and isinstance(obj.get("data"), str):
        text = obj["data"]  # doccano 1.x exports
    else:
        raise _Bad("missing 'text'")
    if not isinstance(text, str):
        raise _Bad(f"'text' must be a string, got {_kind(text)}")
    if not text.strip():
        raise _Bad("'text' is empty")
    _check_unicode(text, "'text'")

    meta = obj.get("meta")
    meta = dict(meta) if isinstance(meta, dict) else {}
    if meta:
        _check_unicode(json.dumps(meta, ensure_ascii=False), "'meta'")
    title = next((t for t in (obj.get("title"), meta.get("title")) if isinstance(t, str)), "")
    _check_unicode(title, "'title'")

    if doccano:
        key = next(k for k in _DOCCANO_KEYS if k in obj)
        raw = _doccano_spans(obj[key], key)
        status = "pending"
    else:
        raw = _prodigy_spans(obj.get("spans", []))
        status = _status(obj.get("answer"))
    raw = _checked(raw, text, status)

    remap = offset_mapper(text)
    spans = []
    for s in raw:
        span = Span(remap(s.start), remap(s.end), s.label, "import")
        if span.start >= span.end:
            raise _Bad(f"{s} covers only a carriage return")
        spans.append(span)
    normal = normalise_text(text)
    return ArticleRecord(
        text=normal,
        title=make_title(title) or make_title(normal),
        source=source,
        meta=meta,
        status=status,
        spans=spans if status != "pending" else [],
        suggestions=spans if status == "pending" else [],
        prodigy_input_hash=_int_or_none(obj.get("_input_hash")),
        prodigy_task_hash=_int_or_none(obj.get("_task_hash")),
    )


def _int_or_none(value: Any) -> int | None:
    return value if _is_int(value) else None


def _status(answer: Any) -> str:
    if answer is None:
        return "pending"
    if isinstance(answer, str) and answer in ANSWER_STATUS:
        return ANSWER_STATUS[answer]
    raise _Bad(f"unknown answer {_show(answer)} (expected accept, reject or ignore)")


def _prodigy_spans(value: Any) -> list[_RawSpan]:
    if not isinstance(value, list):
        raise _Bad(f"'spans' must be a list, got {_kind(value)}")
    spans = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise _Bad(f"span {number} must be an object, got {_kind(item)}")
        missing = [k for k in ("start", "end", "label") if k not in item]
        if missing:
            raise _Bad(f"span {number} has no {' or '.join(repr(k) for k in missing)}")
        spans.append(_raw_span(number, item["start"], item["end"], item["label"]))
    return spans


def _doccano_spans(value: Any, key: str) -> list[_RawSpan]:
    if not isinstance(value, list):
        raise _Bad(f"'{key}' must be a list, got {_kind(value)}")
    spans = []
    for number, item in enumerate(value, 1):
        if isinstance(item, list) and len(item) == 3:
            spans.append(_raw_span(number, *item))
        elif isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
            spans.append(_raw_span(number, item["start_offset"], item["end_offset"], item["label"]))
        else:
            raise _Bad(
                f"span {number} in '{key}' must be [start, end, label] or an object with"
                f" start_offset, end_offset and label, got {_show(item)}"
            )
    return spans


def _raw_span(number: int, start: Any, end: Any, label: Any) -> _RawSpan:
    for name, value in (("start", start), ("end", end)):
        if not _is_int(value):
            raise _Bad(f"span {number} has {name} {_show(value)}, expected an integer")
    if not isinstance(label, str) or not label.strip():
        raise _Bad(f"span {number} has label {_show(label)}, expected a non-empty string")
    _check_unicode(label, f"span {number} label")
    return _RawSpan(number, start, end, label)


def _checked(spans: list[_RawSpan], text: str, status: str) -> list[_RawSpan]:
    """Bounds-checked, deduplicated, sorted; and non-overlapping for an accepted record."""
    seen: dict[tuple[int, int, str], _RawSpan] = {}
    for s in spans:
        if s.start < 0:
            raise _Bad(f"{s} starts before 0")
        if s.start >= s.end:
            raise _Bad(f"{s} has start >= end")
        if s.end > len(text):
            raise _Bad(f"{s} ends after the text (length {len(text)})")
        seen.setdefault((s.start, s.end, s.label), s)
    ordered = sorted(seen.values(), key=lambda s: (s.start, s.end, s.label))
    if status == "accepted":
        widest: _RawSpan | None = None  # the span reaching furthest right so far
        for s in ordered:
            if widest is not None and s.start < widest.end:
                first, second = sorted((widest, s), key=lambda x: x.number)
                raise _Bad(f"{first} ({first.label}) and {second} ({second.label}) overlap")
            if widest is None or s.end > widest.end:
                widest = s
    return ordered


# --- CSV --------------------------------------------------------------------------------


def _read_csv(path: Path, progress: _Progress) -> Iterator[ReadItem]:
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # articles can be long
    bad_lines: dict[int, str] = {}

    with open(path, "rb") as f:

        def lines() -> Iterator[str]:
            for number, line, error in _lines(f, progress):
                if error:
                    bad_lines[number] = error
                yield line

        reader = csv.reader(lines(), strict=True)  # an unclosed quote is an error
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                yield _bad(path, None, "the file is empty")
                return
            if 1 in bad_lines:
                yield _bad(path, 1, bad_lines[1])
                return
            columns = [name.strip() for name in header]
            index: dict[str, int] = {}
            for i, name in enumerate(columns):
                index.setdefault(name.lower(), i)
            if "text" not in index:
                yield _bad(path, 1, f"no 'text' column in the header ({', '.join(columns)})")
                return
            start = reader.line_num + 1
            for row in reader:
                first, last, start = start, reader.line_num, reader.line_num + 1
                if not any(field.strip() for field in row):
                    continue  # blank line
                bad = next((n for n in range(first, last + 1) if n in bad_lines), None)
                if bad is not None:
                    yield _bad(path, bad, bad_lines[bad])
                    continue
                try:
                    yield _good(path, first, _csv_record(row, columns, index, path.name))
                except _Bad as e:
                    yield _bad(path, first, str(e))
        except csv.Error as e:
            yield _bad(path, start, f"malformed CSV: {e}; the rest of the file was not read")


def _csv_record(row: list[str], columns: list[str], index: dict[str, int], name: str):
    if len(row) > len(columns):
        raise _Bad(f"the row has {len(row)} fields but the header has {len(columns)}")
    row = row + [""] * (len(columns) - len(row))

    def get(column: str) -> str:
        return row[index[column]] if column in index else ""

    text = get("text")
    if not text.strip():
        raise _Bad("'text' is empty")
    text = normalise_text(text)
    own = {index[c] for c in ("text", "title", "source") if c in index}
    meta: dict[str, str] = {}
    for i, (column, value) in enumerate(zip(columns, row, strict=True)):
        if i not in own and value.strip():
            meta.setdefault(column, value)
    source = get("source").strip() or get("url").strip() or name
    return ArticleRecord(
        text=text,
        title=make_title(get("title")) or make_title(text),
        source=source,
        meta=meta,
    )


_READERS: dict[str, Callable[[Path, _Progress], Iterator[ReadItem]]] = {
    ".txt": _read_txt,
    ".jsonl": _read_jsonl,
    ".json": _read_json,
    ".csv": _read_csv,
}
