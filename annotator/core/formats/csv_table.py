""".csv files: one article per row.

A header with a `text` column (required) and optional `title`, `source`, `url` (matched
case-insensitively); other non-empty fields go into `meta`. `source` is the `source`
column, else the `url` column, else the file name (`url` is also kept in meta). The line
number of a record is the line where it starts (quoted fields may span lines).

A record of more than the record limit is reported and skipped, and the rest of the file
is read: from the line where it passes the limit, its bytes go to a `RecordSkipper`, not
to the parser, so no more than the limit of it is ever held.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

from ..records import ArticleRecord, normalise_text
from .csv_skip import RecordSkipper
from .file_input import Source, decode_line, raw_lines, too_large
from .items import ReadItem, RecordError, bad, good
from .text import make_title


@dataclass(slots=True)
class _Budget:
    """The record being parsed: its bytes so far, whether it is over the limit, and the
    skipper following it once it is."""

    size: int = 0
    over: bool = False
    line: int = 0  # the last line read (the parser's line_num misses skipped lines)
    skip: RecordSkipper | None = None

    def squeeze(self, piece: bytes) -> bytes:
        """For `raw_lines`: the pieces of a line longer than the limit go to the skipper."""
        if self.skip is None:  # the record's earlier lines, if any, went to the parser
            self.skip = RecordSkipper(quoted=self.size > 0)
        return self.skip.feed(piece)


def read_csv(src: Source) -> Iterator[ReadItem]:
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # articles can be long
    path, limit = src.path, src.limit
    bad_lines: dict[int, str] = {}
    budget = _Budget()

    def lines() -> Iterator[str]:
        for number, offset, raw, size in raw_lines(src.file, src.progress, limit, budget.squeeze):
            budget.size += size
            budget.line = number
            if budget.skip is None and budget.size > limit:  # this line passes the limit
                budget.skip = RecordSkipper(quoted=budget.size > size)
                budget.skip.feed(raw)
            elif budget.skip is not None and size <= limit:  # (longer lines: fed by squeeze)
                budget.skip.feed(raw)
            if budget.skip is None:
                line, error = decode_line(raw, number, offset)
                if error:
                    bad_lines[number] = error
                yield line
                continue
            budget.over = True
            closing = budget.skip.closing()
            if closing is not None:
                budget.skip = None
                yield closing
        if budget.skip is not None:
            budget.skip.finish()
            if closing := budget.skip.closing():
                yield closing

    reader = csv.reader(lines(), strict=True)  # an unclosed quote is an error
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            yield bad(path, None, "the file is empty")
            return
        if budget.over:
            yield bad(path, 1, too_large("header", budget.size, limit))
            return
        if 1 in bad_lines:
            yield bad(path, 1, bad_lines[1])
            return
        columns = [name.strip() for name in header]
        index: dict[str, int] = {}
        for i, name in enumerate(columns):
            index.setdefault(name.lower(), i)
        if "text" not in index:
            yield bad(path, 1, f"no 'text' column in the header ({', '.join(columns)})")
            return
        start = budget.line + 1
        budget.size, budget.over = 0, False
        for row in reader:
            first, last, start = start, budget.line, budget.line + 1
            size, over = budget.size, budget.over
            budget.size, budget.over = 0, False
            if over:
                yield bad(path, first, too_large("record", size, limit))
                continue
            if not any(field.strip() for field in row):
                continue  # blank line
            error = next((n for n in range(first, last + 1) if n in bad_lines), None)
            if error is not None:
                yield bad(path, error, bad_lines[error])
                continue
            try:
                yield good(path, first, _record(row, columns, index, path.name))
            except RecordError as e:
                yield bad(path, first, str(e))
    except csv.Error as e:
        yield bad(path, start, f"malformed CSV: {e}; the rest of the file was not read")


def _record(row: list[str], columns: list[str], index: dict[str, int], name: str):
    if len(row) > len(columns):
        raise RecordError(f"the row has {len(row)} fields but the header has {len(columns)}")
    row = row + [""] * (len(columns) - len(row))

    def get(column: str) -> str:
        return row[index[column]] if column in index else ""

    text = get("text")
    if not text.strip():
        raise RecordError("'text' is empty")
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
