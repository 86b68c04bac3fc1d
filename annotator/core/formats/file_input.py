"""Bytes in: opening only regular files, size limits, progress, line-by-line reading.

Nothing here holds more than about `MAX_RECORD_BYTES` of one record: a longer line is read
on in pieces of `CHUNK` bytes and dropped (or squeezed, see `raw_lines`), so a huge file or
a file without newlines costs time, never memory. Devices, pipes and sockets are never read.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_RECORD_BYTES = 10_000_000  # input bytes of one record (a .txt file, a line, a CSV record)
MAX_DOCUMENT_BYTES = 250_000_000  # a .json array, which is parsed whole
CHUNK = 1 << 20  # lines are read in pieces of at most this many bytes
PROGRESS_STEP = 256 * 1024  # on_bytes is called at most once per this many bytes (and at the end)

_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class NotRegularFile(OSError):
    """The path is a pipe, a device, a socket or a folder (after following symlinks)."""

    def __init__(self, kind: str):
        super().__init__(f"not a regular file but {kind}: skipped")


def special_kind(mode: int) -> str | None:
    """What a non-regular file is ("a named pipe"...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """The open file (binary) and its size; `NotRegularFile` for anything else.

    Checked before opening (opening a device can have effects; opening a pipe blocks until
    a writer comes) and again on the open file (the path may change in between): the
    non-blocking open returns at once even if it is a pipe by then.
    """
    kind = special_kind(os.stat(path).st_mode)
    if kind:
        raise NotRegularFile(kind)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        kind = special_kind(info.st_mode)
        if kind:
            raise NotRegularFile(kind)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def too_large(what: str, size: int, limit: int) -> str:
    """The message for a record (or file) over the limit; `size` is what it has."""
    shown = f"{limit // 1_000_000} MB" if limit % 1_000_000 == 0 else f"{limit:,} bytes"
    return f"the {what} is larger than {shown} ({size:,} bytes): skipped"


class Progress:
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


@dataclass(slots=True)
class Source:
    """An open input file, as the format readers get it."""

    path: Path
    file: BinaryIO
    size: int  # bytes, when it was opened
    progress: Progress
    limit: int  # MAX_RECORD_BYTES unless a caller asks for another


Squeeze = Callable[[bytes], bytes]


def raw_lines(
    f: BinaryIO, progress: Progress, limit: int, squeeze: Squeeze | None = None
) -> Iterator[tuple[int, int, bytes | None, int]]:
    """(line number, file offset, bytes, size in bytes) per line, newline included.

    A line of more than `limit` bytes (size > limit) is not kept: its bytes are None, or,
    with `squeeze`, what `squeeze` returns for each piece of it (in order), joined.
    """
    readline = f.readline
    number = offset = 0
    while raw := readline(CHUNK):
        number += 1
        size = len(raw)
        if size == CHUNK and raw[-1] != 10:  # no newline yet: a long line
            raw, size = _long_line(readline, raw, limit, squeeze)
        elif size > limit:  # only with a limit below CHUNK
            raw = squeeze(raw) if squeeze else None
        progress.advance(size)
        yield number, offset, raw, size
        offset += size


def _long_line(
    readline: Callable[[int], bytes], piece: bytes, limit: int, squeeze: Squeeze | None
) -> tuple[bytes | None, int]:
    kept: list[bytes] = []
    size, over = 0, False
    while True:
        size += len(piece)
        if not over and size > limit:
            over = True
            kept = [squeeze(p) for p in kept] if squeeze else []
        if not over:
            kept.append(piece)
        elif squeeze:
            kept.append(squeeze(piece))
        if len(piece) < CHUNK or piece[-1] == 10:
            break
        piece = readline(CHUNK)
    if over and not squeeze:
        return None, size
    return b"".join(kept), size


def decode_line(raw: bytes, number: int, offset: int) -> tuple[str, str | None]:
    """The decoded line (a BOM on line 1 dropped) and a UTF-8 error message or None; bad
    bytes become U+FFFD."""
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw, offset = raw[3:], offset + 3
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        column = len(raw[: e.start].decode("utf-8", "replace")) + 1
        message = (
            f"invalid UTF-8: byte 0x{raw[e.start]:02x} at column {column}"
            f" (file offset {offset + e.start})"
        )
        return raw.decode("utf-8", "replace"), message


def decode_whole(data: bytes) -> tuple[str, int | None, str | None]:
    """A whole file decoded (BOM dropped), or its UTF-8 error: (text, line, message)."""
    skip = 3 if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8"), None, None
    except UnicodeDecodeError as e:
        at = skip + e.start
        line = data.count(b"\n", 0, at) + 1
        return "", line, f"invalid UTF-8: byte 0x{data[at]:02x} at file offset {at}"


def read_whole(src: Source, limit: int, what: str = "file") -> bytes | str:
    """All of the file's bytes, or the too-large message (the file is then not read)."""
    if src.size <= limit:
        data = src.file.read(limit + 1)  # + 1: the file may have grown since it was opened
        src.progress.advance(len(data))
        if len(data) <= limit:
            return data
        size = max(src.size, len(data))
    else:
        src.progress.advance(src.size)
        size = src.size
    return too_large(what, size, limit)
