"""Which files to read, and reading one: dispatch by suffix (case-insensitive).

`read_file` yields one `ReadItem` per input record: either a record or a `BadRecord`
(path, line, one-line message) for the user. Nothing here raises on bad input.
Only regular files are read (symlinks are followed to them): a named pipe, a device, a
socket is reported and skipped without being read, so a folder holding one neither hangs
nor reads without end.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .csv_table import read_csv
from .file_input import MAX_RECORD_BYTES, NotRegularFile, Progress, Source, open_regular
from .items import ReadItem, bad
from .json_files import read_json, read_jsonl
from .plain_text import read_txt

SUFFIXES = (".txt", ".jsonl", ".json", ".csv")

_READERS: dict[str, Callable[[Source], Iterator[ReadItem]]] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl,
    ".json": read_json,
    ".csv": read_csv,
}


def iter_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files to read: files as given, folders searched recursively for known suffixes.

    Folder contents are sorted; hidden files and folders (name starting with ".") are
    skipped there. A file named explicitly is yielded whatever its suffix, so that
    `read_file` reports it. Each file is yielded once. Whatever is not a regular file is
    yielded too, for `read_file` to report (without opening it).
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
    """Total size of the regular files `iter_paths(paths)` yields (for a progress bar)."""
    total = 0
    for path in iter_paths(paths):
        try:
            info = path.stat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            total += info.st_size
    return total


def read_file(
    path: str | Path,
    on_bytes: Callable[[int], None] | None = None,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[ReadItem]:
    """Read one file, yielding a `ReadItem` per record (or one for a file-level problem).

    `on_bytes(n)` receives the bytes of this file consumed so far, for a progress bar.
    A record of more than `max_record_bytes` bytes of input is reported and skipped.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        kind = f"'{path.suffix}'" if path.suffix else "without an extension"
        yield bad(path, None, f"unsupported file type {kind} (expected {', '.join(SUFFIXES)})")
        return
    progress = Progress(on_bytes)
    try:
        f, size = open_regular(path)
        with f:
            yield from reader(Source(path, f, size, progress, max_record_bytes))
    except NotRegularFile as e:
        yield bad(path, None, str(e))
    except OSError as e:
        yield bad(path, None, f"cannot read the file: {e.strerror or e}")
    progress.done()
