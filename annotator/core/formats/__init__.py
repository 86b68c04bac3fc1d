"""Input files -> `ArticleRecord`s, streamed. No database, no Qt.

Formats (chosen by suffix, case-insensitive): `.txt` (plain_text), `.jsonl` and `.json`
with Prodigy tasks (prodigy) or doccano lines (doccano), `.csv` (csv_table). `reading`
picks the files and the reader; `file_input` opens only regular files and reads lines
within `MAX_RECORD_BYTES`; `json_records` holds what Prodigy and doccano share.
"""

from __future__ import annotations

from .file_input import MAX_DOCUMENT_BYTES, MAX_RECORD_BYTES
from .items import BadRecord, ReadItem
from .json_files import record_from_json
from .reading import SUFFIXES, iter_paths, read_file, total_bytes
from .text import SPACY_MAX_LENGTH, TITLE_MAX, make_title, offset_mapper, remap_spans

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_RECORD_BYTES",
    "SPACY_MAX_LENGTH",
    "SUFFIXES",
    "TITLE_MAX",
    "BadRecord",
    "ReadItem",
    "iter_paths",
    "make_title",
    "offset_mapper",
    "read_file",
    "record_from_json",
    "remap_spans",
    "total_bytes",
]
