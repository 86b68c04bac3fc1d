"""Reading knowledge-base files: CSV and JSONL, one entity per record.

CSV (`.csv`): `id,name,description` then any number of alias columns, as spaCy's
entity-linking tutorial writes `entities.csv` (no header); or with a header whose first
columns are `id` (or `qid`) and `name`: then a column named `label` (or `type`) is the
entity's label, `description` its description, and every other column an alias.
JSONL (`.jsonl`): one object a line, `{"id", "name", "description", "aliases": [...],
"label"}`; `id` a string (an integer is taken as its digits), `name` a non-empty string,
`description` and `label` strings or null, `aliases` a list of strings or null; other
keys are ignored.

UTF-8, a BOM tolerated. Every problem is a `BadRecord` with the file and line: a missing
id, an empty name, a wrong type, bad JSON, bytes that are not UTF-8, the reserved id NIL,
a line too long, and an id given twice in one file (the first is kept, the later line
reported). Nothing here raises on bad input.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..formats.file_input import NotRegularFile, Progress, decode_line, open_regular, raw_lines
from ..formats.items import BadRecord
from ..records import check_label_name
from ..store.kb import NIL, KbEntry

SUFFIXES = (".csv", ".jsonl")
MAX_LINE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class KbItem:
    """One record of a file: an entry, or the problem with it."""

    path: str
    line: int | None
    entry: KbEntry | None
    error: BadRecord | None = None


class EntryError(ValueError):
    """What is wrong with one record (the message is shown with its file and line)."""


def read_kb_file(path: str | Path, on_bytes: Callable[[int], None] | None = None
                 ) -> Iterator[KbItem]:  # fmt: skip
    """The entries of one file, in order, each with its line; an id seen before in the
    file is reported, not yielded again."""
    path = Path(path)
    reader = {".csv": _read_csv, ".jsonl": _read_jsonl}.get(path.suffix.lower())
    if path.is_dir():
        yield _bad(path, None, "a folder, not a file: name the .csv or .jsonl files in it")
        return
    if reader is None:
        kind = f"'{path.suffix}'" if path.suffix else "without an extension"
        yield _bad(path, None, f"unsupported file type {kind} (expected .csv or .jsonl)")
        return
    progress = Progress(on_bytes)
    seen: dict[str, int] = {}
    try:
        f, size = open_regular(path)
        with f:
            if size == 0:
                yield _bad(path, None, "the file is empty")
                return
            for item in reader(path, f, progress):
                entry = item.entry
                if entry is not None:
                    first = seen.setdefault(entry.id, item.line or 0)
                    if first != (item.line or 0):
                        item = _bad(path, item.line, f"id {entry.id} is given again (first on "
                                    f"line {first}): this line was skipped")  # fmt: skip
                yield item
    except NotRegularFile as e:
        yield _bad(path, None, str(e))
    except OSError as e:
        yield _bad(path, None, f"cannot read the file: {e.strerror or e}")
    progress.done()


def _bad(path: Path, line: int | None, message: str) -> KbItem:
    return KbItem(str(path), line, None, BadRecord(str(path), line, message))


def _lines(f, progress: Progress, bad: dict[int, str]) -> Iterator[tuple[int, str]]:
    """(line number, decoded line); a line's problem (not UTF-8, too long) is noted in
    `bad` and the line given as empty."""
    for number, offset, raw, _size in raw_lines(f, progress, MAX_LINE_BYTES):
        if raw is None:
            bad[number] = f"the line is longer than {MAX_LINE_BYTES // 1_000_000} MB"
            yield number, "\n"
            continue
        line, error = decode_line(raw, number, offset)
        if error:
            bad[number] = error
        yield number, line


# ---- JSONL ------------------------------------------------------------------------------
def _read_jsonl(path: Path, f, progress: Progress) -> Iterator[KbItem]:
    bad: dict[int, str] = {}
    for number, line in _lines(f, progress, bad):
        if number in bad:
            yield _bad(path, number, bad[number])
            continue
        if not line.strip():
            continue
        try:
            yield KbItem(str(path), number, _json_entry(line))
        except EntryError as e:
            yield _bad(path, number, str(e))


def _json_entry(line: str) -> KbEntry:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise EntryError(f"invalid JSON: {e.msg} at column {e.colno}") from None
    except (ValueError, RecursionError) as e:
        raise EntryError(f"invalid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise EntryError(f"expected an object {{\"id\", \"name\", ...}}, got {_kind(obj)}")
    raw_id = obj.get("id")
    if raw_id is None:
        raise EntryError("missing 'id'")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str):
        raise EntryError(f"'id' must be a string, got {_kind(raw_id)}")
    name = obj.get("name")
    if name is None:
        raise EntryError("missing 'name'")
    if not isinstance(name, str):
        raise EntryError(f"'name' must be a string, got {_kind(name)}")
    description = obj.get("description")
    if description is not None and not isinstance(description, str):
        raise EntryError(f"'description' must be a string, got {_kind(description)}")
    aliases = obj.get("aliases")
    if aliases is None:
        aliases = []
    if not isinstance(aliases, list):
        raise EntryError(f"'aliases' must be a list of strings, got {_kind(aliases)}")
    for i, alias in enumerate(aliases, 1):
        if not isinstance(alias, str):
            raise EntryError(f"alias {i} must be a string, got {_kind(alias)}")
    label = obj.get("label")
    if label is not None and not isinstance(label, str):
        raise EntryError(f"'label' must be a string, got {_kind(label)}")
    unpaired = "\\ud" in line or "\\uD" in line  # only a JSON escape can make a surrogate
    return make_entry(raw_id, name, description or "", aliases, label, unpaired)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), "null")


# ---- CSV --------------------------------------------------------------------------------
def _read_csv(path: Path, f, progress: Progress) -> Iterator[KbItem]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    bad: dict[int, str] = {}
    last = 0

    def lines() -> Iterator[str]:
        nonlocal last
        for number, line in _lines(f, progress, bad):
            last = number
            yield line

    reader = csv.reader(lines(), strict=True)
    start, columns = 1, None
    try:
        for row in reader:
            first, start = start, last + 1
            problem = next((bad[n] for n in range(first, last + 1) if n in bad), None)
            if problem is not None:
                yield _bad(path, next(n for n in range(first, last + 1) if n in bad), problem)
                continue
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _header(row)
                if columns is not None:
                    continue
                columns = {}
            try:
                yield KbItem(str(path), first, _csv_entry(row, columns))
            except EntryError as e:
                yield _bad(path, first, str(e))
    except csv.Error as e:
        yield _bad(path, start, f"malformed CSV: {e}; the rest of the file was not read")


def _header(row: list[str]) -> dict[str, int] | None:
    """The columns of a header row (`id`/`qid`, `name`...), or None for a data row."""
    cells = [c.strip().lower() for c in row]
    if len(cells) < 2 or cells[0] not in ("id", "qid") or cells[1] != "name":
        return None
    columns: dict[str, int] = {"id": 0, "name": 1}
    for i, cell in enumerate(cells[2:], 2):
        key = "label" if cell == "type" else cell
        if key in ("description", "label") and key not in columns:
            columns[key] = i
    return columns


def _csv_entry(row: list[str], columns: dict[str, int]) -> KbEntry:
    if len(row) < 2:
        raise EntryError("expected id,name[,description,alias...]: the row has one field")
    if columns:  # a header named the columns
        own = set(columns.values())
        get = {k: row[i] if i < len(row) else "" for k, i in columns.items()}
        aliases = [c for i, c in enumerate(row) if i not in own]
        return make_entry(get["id"], get["name"], get.get("description", ""), aliases,
                          get.get("label") or None)  # fmt: skip
    description = row[2] if len(row) > 2 else ""
    return make_entry(row[0], row[1], description, row[3:], None)


# ---- both -------------------------------------------------------------------------------
def make_entry(raw_id: str, name: str, description: str, aliases: list[str],
               label: str | None, unpaired: bool = False) -> KbEntry:  # fmt: skip
    """A checked entry: id and name non-empty, no control characters in the id, the id
    not NIL, a label that could be a label's name, no unpaired surrogate (looked for when
    `unpaired`: the input could hold one); whitespace around values removed."""
    entity_id = raw_id.strip()
    if not entity_id:
        raise EntryError("missing id")
    if entity_id == NIL:
        raise EntryError("the id NIL is reserved (it marks a mention not in the knowledge "
                         "base)")  # fmt: skip
    if any(ord(c) < 32 or ord(c) == 127 for c in entity_id):
        raise EntryError(f"id {entity_id!r} holds control characters")
    name = " ".join(name.split())
    if not name:
        raise EntryError(f"entity {entity_id} has an empty name")
    label = (label or "").strip() or None
    if label is not None:
        try:
            label = check_label_name(label)
        except ValueError as e:
            raise EntryError(f"entity {entity_id}: label {label!r}: {e}") from None
    for text in (entity_id, name, description, label or "", *aliases) if unpaired else ():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise EntryError("invalid Unicode (an unpaired surrogate escape)") from None
    cleaned = tuple(" ".join(a.split()) for a in aliases)
    return KbEntry(entity_id, name, description.strip(), tuple(a for a in cleaned if a),
                   label)  # fmt: skip
