""".txt files: one article per file, UTF-8 (a BOM is ignored). The title is the first
non-empty line; the source is the file name. A file larger than the record limit is
reported without being read."""

from __future__ import annotations

from collections.abc import Iterator

from ..records import ArticleRecord, normalise_text
from .file_input import Source, decode_whole, read_whole
from .items import ReadItem, bad, good
from .text import make_title


def read_txt(src: Source) -> Iterator[ReadItem]:
    path = src.path
    data = read_whole(src, src.limit)
    if isinstance(data, str):
        yield bad(path, None, data)
        return
    text, line, error = decode_whole(data)
    del data
    if error:
        yield bad(path, line, error)
        return
    if not text.strip():
        yield bad(path, None, "the file is empty" if not text else "the file has only whitespace")
        return
    text = normalise_text(text)
    yield good(path, None, ArticleRecord(text=text, title=make_title(text), source=path.name))
