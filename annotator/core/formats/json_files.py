""".jsonl and .json files: Prodigy tasks and doccano lines.

- `.jsonl`: one JSON object per line, read line by line in binary (flat memory, invalid
  UTF-8 reported with its line number). Blank lines are skipped. Per line, a Prodigy task
  (see `prodigy`) or a doccano line (see `doccano`). A line of more than the record limit
  is reported and skipped without being held in memory.
- `.json`: JSON Lines under another name (streamed), or one JSON array of such objects or
  one (pretty-printed) object; those two are loaded whole (an object up to the record
  limit, an array up to `MAX_DOCUMENT_BYTES`), and array items are numbered in messages
  as "item N" since they have no line of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..records import ArticleRecord
from . import doccano, prodigy
from .file_input import (
    MAX_DOCUMENT_BYTES,
    Progress,
    Source,
    decode_line,
    decode_whole,
    raw_lines,
    read_whole,
    too_large,
)
from .items import ReadItem, RecordError, bad, good
from .json_records import JsonArticle, kind, loads


def record_from_json(obj: Any, source: str = "") -> ArticleRecord:
    """One Prodigy task or doccano line as a record. Raises `ValueError` when it is bad."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {kind(obj)}")
    if doccano.is_doccano(obj, prodigy.KEYS):
        return doccano.record(obj, JsonArticle.from_json(obj, source, data_key=True))
    return prodigy.record(obj, JsonArticle.from_json(obj, source))


def read_jsonl(src: Source) -> Iterator[ReadItem]:
    path, name, limit = src.path, src.path.name, src.limit
    for number, offset, raw, size in raw_lines(src.file, src.progress, limit):
        if raw is None:
            yield bad(path, number, too_large("line", size, limit))
            continue
        line, error = decode_line(raw, number, offset)
        if error:
            yield bad(path, number, error)
        elif line.strip():
            try:
                yield good(path, number, record_from_json(loads(line), name))
            except RecordError as e:
                yield bad(path, number, str(e))


def read_json(src: Source) -> Iterator[ReadItem]:
    path = src.path
    head, whole = _first_line(src)
    src.file.seek(0)
    if head.startswith(b"{") and (not whole or _is_object(head)):
        yield from read_jsonl(src)  # JSON Lines (a first line too long to parse counts)
        return
    array = head.startswith(b"[")
    limit = max(MAX_DOCUMENT_BYTES, src.limit) if array else src.limit
    data = read_whole(src, limit)
    if isinstance(data, str):
        if array:
            data += "; save the array as JSON Lines (.jsonl) to import it"
        yield bad(path, None, data)
        return
    text, line, error = decode_whole(data)
    if error:
        yield bad(path, line, error)
        return
    try:
        if not text.strip():
            raise RecordError("the file is empty")
        value = loads(text)
    except RecordError as e:
        yield bad(path, e.line, str(e))
        return
    del data, text
    if isinstance(value, dict):  # one (pretty-printed) object
        try:
            yield good(path, None, record_from_json(value, path.name))
        except RecordError as e:
            yield bad(path, None, str(e))
    elif isinstance(value, list):
        for number, obj in enumerate(value, 1):
            try:
                yield good(path, None, record_from_json(obj, path.name))
            except RecordError as e:
                yield bad(path, None, f"item {number}: {e}")
    else:
        yield bad(path, None, f"expected a JSON object or array, got {kind(value)}")


def _first_line(src: Source) -> tuple[bytes, bool]:
    """The first non-blank line, stripped (b"" if none), and whether it was read whole
    (else only its first bytes: it is longer than the record limit)."""
    for _, _, raw, size in raw_lines(src.file, Progress(None), src.limit, _head):
        line = raw.removeprefix(b"\xef\xbb\xbf").strip()
        if line:
            return line, size <= src.limit
    return b"", True


def _head(piece: bytes) -> bytes:
    return piece[:16]


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(loads(line), dict)
    except RecordError:
        return False
