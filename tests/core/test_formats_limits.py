"""What reading refuses or flags: files that are not regular files, records too large to
hold, articles longer than spaCy's max_length (issue 8, items 13 and 16)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from annotator.core.formats import (
    MAX_RECORD_BYTES,
    SPACY_MAX_LENGTH,
    iter_paths,
    read_file,
    total_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
LIMIT = f"larger than {MAX_RECORD_BYTES // 1_000_000} MB"
unix_only = pytest.mark.skipif(sys.platform == "win32", reason="named pipes and /dev/zero")

# Reads in a fresh process with 1 GiB of address space: a read that never ends runs out of
# memory quickly instead of taking the machine with it, and a blocked open is killed by the
# timeout, so either regression fails the test rather than hanging the suite.
CHILD = r"""
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from annotator.core.formats import iter_paths, read_file, total_bytes
out = {"total": total_bytes(sys.argv[1:]), "items": []}
for path in iter_paths(sys.argv[1:]):
    for item in read_file(path):
        out["items"].append([
            os.path.basename(item.path),
            item.error.message if item.error else None,
            item.record.text if item.record else None,
        ])
print(json.dumps(out))
"""


def read_in_child(*paths: Path) -> dict:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *map(str, paths)],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("reading did not finish within a minute: it waits on something")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def write_jsonl(path: Path, *objects) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for obj in objects:
            f.write(json.dumps(obj) + "\n")
    return path


def traced(path: Path, **kwargs) -> tuple[list, int]:
    """The items read from `path` and the peak of Python's allocations while reading."""
    tracemalloc.start()
    try:
        items = list(read_file(path, **kwargs))
        return items, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- not regular files (13) -------------------------------------------------------------


@unix_only
def test_folder_with_a_named_pipe_and_a_socket_is_read_without_waiting(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", {"text": "Gucci and Prada"})
    os.mkfifo(tmp_path / "pipe.jsonl")
    os.mkfifo(tmp_path / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock.csv"))
        result = read_in_child(tmp_path)
    finally:
        server.close()
    assert result["items"] == [
        ["a.jsonl", None, "Gucci and Prada"],
        ["pipe.jsonl", "not a regular file but a named pipe: skipped", None],
        ["pipe.txt", "not a regular file but a named pipe: skipped", None],
        ["sock.csv", "not a regular file but a socket: skipped", None],
    ]
    assert result["total"] == (tmp_path / "a.jsonl").stat().st_size


@unix_only
def test_links_to_devices_are_never_read_and_links_to_files_are_followed(tmp_path):
    for name in ("zero.txt", "zero.jsonl", "zero.json", "zero.csv"):
        (tmp_path / name).symlink_to("/dev/zero")
    (tmp_path / "null.jsonl").symlink_to("/dev/null")
    (tmp_path / "story.txt").write_text("The headline\nBody", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link.txt").symlink_to(tmp_path / "story.txt")
    (tmp_path / "sub" / "broken.txt").symlink_to(tmp_path / "missing.txt")
    result = read_in_child(tmp_path, tmp_path / "zero.txt")
    device = "not a regular file but a character device: skipped"
    assert result["items"][:6] == [
        ["null.jsonl", device, None],
        ["story.txt", None, "The headline\nBody"],
        ["broken.txt", "cannot read the file: No such file or directory", None],
        ["link.txt", None, "The headline\nBody"],
        ["zero.csv", device, None],
        ["zero.json", device, None],
    ]
    assert result["items"][6:] == [["zero.jsonl", device, None], ["zero.txt", device, None]]
    assert result["total"] == 2 * len("The headline\nBody")


# --- records too large (13) -------------------------------------------------------------


def test_jsonl_line_larger_than_the_limit_is_skipped_without_holding_it(tmp_path):
    huge = "x" * (MAX_RECORD_BYTES * 5 // 2)
    path = write_jsonl(tmp_path / "big.jsonl", {"text": "first"}, {"text": huge}, {"text": "last"})
    seen: list[int] = []
    items, peak = traced(path, on_bytes=seen.append)
    assert [(i.line, i.record and i.record.text) for i in items] == [
        (1, "first"), (2, None), (3, "last"),
    ]  # fmt: skip
    error = items[1].error
    assert str(error).startswith(f"{path}:2: the line is {LIMIT} (")
    assert error.message.endswith(f"({len(huge) + 13:,} bytes): skipped")
    assert peak < MAX_RECORD_BYTES * 3 // 2, f"peak {peak / 1e6:.1f} MB"
    assert seen[-1] == path.stat().st_size


def test_json_whose_first_line_is_too_large_is_read_as_json_lines(tmp_path):
    huge = "x" * (MAX_RECORD_BYTES + 1)
    path = write_jsonl(tmp_path / "big.json", {"text": huge}, {"text": "second"})
    items = list(read_file(path))
    assert [(i.line, i.record and i.record.text) for i in items] == [(1, None), (2, "second")]
    assert LIMIT in items[0].error.message


def test_txt_larger_than_the_limit_is_not_read(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"T" * (MAX_RECORD_BYTES + 1))
    seen: list[int] = []
    [item], peak = traced(path, on_bytes=seen.append)
    assert item.record is None and item.line is None
    assert str(item.error) == (
        f"{path}: the file is {LIMIT} ({MAX_RECORD_BYTES + 1:,} bytes): skipped"
    )
    assert peak < MAX_RECORD_BYTES // 10, f"peak {peak / 1e6:.1f} MB"
    assert seen == [MAX_RECORD_BYTES + 1]
    path.write_bytes(b"T" * MAX_RECORD_BYTES)  # at the limit: read
    [item] = read_file(path)
    assert len(item.record.text) == MAX_RECORD_BYTES


def test_json_object_larger_than_the_limit_is_not_read_but_a_large_array_is(tmp_path):
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"text": "x" * MAX_RECORD_BYTES}, indent=2), encoding="utf-8")
    [item], peak = traced(single)
    assert item.record is None and LIMIT in item.error.message
    assert peak < MAX_RECORD_BYTES // 10, f"peak {peak / 1e6:.1f} MB"
    array = tmp_path / "array.json"  # many records, each small: the file may be larger
    count = MAX_RECORD_BYTES // 1000 + 10
    array.write_text(json.dumps([{"text": f"{i} " + "y" * 990} for i in range(count)]))
    assert array.stat().st_size > MAX_RECORD_BYTES
    items = list(read_file(array))
    assert len(items) == count and all(i.record for i in items)


def test_csv_record_larger_than_the_limit_is_skipped_and_the_rest_read(tmp_path):
    path = tmp_path / "big.csv"
    quoted = 'He said ""yes"", then, later,\r\nno.\r\n' * (MAX_RECORD_BYTES // 30)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("text,title\r\ngood,one\r\n")
        f.write(f'"{quoted}",big\r\n')  # line 3, spanning many lines, with quotes and commas
        first_after = 3 + quoted.count("\n") + 1
        f.write('after,"two, ""quoted"""\r\n')
        f.write("y" * (MAX_RECORD_BYTES + 5) + ",long\r\n")  # one physical line
        f.write("end,three\r\n")
    seen: list[int] = []
    items, peak = traced(path, on_bytes=seen.append)
    got = [(i.line, i.record.text if i.record else i.error.message) for i in items]
    assert got == [
        (2, "good"),
        (3, f"the record is {LIMIT} ({len(quoted) + 8:,} bytes): skipped"),
        (first_after, "after"),
        (first_after + 1, f"the record is {LIMIT} ({MAX_RECORD_BYTES + 12:,} bytes): skipped"),
        (first_after + 2, "end"),
    ]
    assert items[2].record.title == 'two, "quoted"'
    assert seen[-1] == path.stat().st_size
    assert peak < MAX_RECORD_BYTES * 8, f"peak {peak / 1e6:.1f} MB"


# --- longer than spaCy's max_length (16) ----------------------------------------------------


def test_article_longer_than_spacy_max_length_carries_a_warning(tmp_path):
    long = "word " * (SPACY_MAX_LENGTH // 5) + "!"
    crlf = "a\r\n" * (SPACY_MAX_LENGTH // 2)  # 1.5M characters in, exactly 1M stored
    jsonl = write_jsonl(tmp_path / "a.jsonl", {"text": "short"}, {"text": long}, {"text": crlf})
    (tmp_path / "b.txt").write_text(long, encoding="utf-8")
    (tmp_path / "c.csv").write_text(f"text\n{long}\n", encoding="utf-8")
    warning = (
        f"article has {SPACY_MAX_LENGTH + 1:,} characters; spaCy's default limit is"
        " 1,000,000: export and suggestions process it in pieces"
    )
    items = [item for path in iter_paths([tmp_path]) for item in read_file(path)]
    assert [(Path(i.path).name, i.line, i.warnings) for i in items] == [
        ("a.jsonl", 1, []),
        ("a.jsonl", 2, [warning]),
        ("a.jsonl", 3, []),
        ("b.txt", None, [warning]),
        ("c.csv", 2, [warning]),
    ]
    assert all(i.record and not i.error for i in items)
    assert items[1].where == f"{jsonl}:2"
    assert total_bytes([tmp_path]) > 0


LONG = "d" * 50  # more than the 40-byte limit below


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f'ab"c{LONG},t\nok,t\n', [(2, None), (3, "ok")]),  # a quote inside an unquoted field
        (f'"a ""b"", c\n{LONG}\n""e"" f",t\nok,t\n', [(2, None), (5, "ok")]),
        (f'"abc\n{LONG}",t\r\n\r\nok,t\r\n', [(2, None), (5, "ok")]),  # passes it in quotes
        (f'"{LONG}\n""x"",\n",t\nok,"q ""r"""\n', [(2, None), (5, "ok")]),
        (f"short,t\n{LONG},t", [(2, "short"), (3, None)]),  # no newline at the end
        (f'{LONG},"a\nb"\nok,t\n', [(2, None), (4, "ok")]),
    ],
)
def test_csv_skips_a_long_record_exactly_to_its_end(tmp_path, body, expected):
    path = tmp_path / "t.csv"
    path.write_bytes(f"text,title\n{body}".encode())
    items = list(read_file(path, max_record_bytes=40))
    assert [(i.line, i.record and i.record.text) for i in items] == expected
    for item in items:
        assert item.record or "the record is larger than 40 bytes (" in item.error.message


@pytest.mark.parametrize(
    "body",
    [
        f'"{LONG}"x,t\nok,t\n',  # text after a closing quote
        f'"a\n{LONG}"x,t\nok,t\n',
        f"{LONG}\rx,t\nok,t\n",  # a lone CR in an unquoted field
        f'"a\n{LONG}"\rx,t\nok,t\n',
        f'"{LONG}\nnever closed,t\n',
        f'ok,t\n"a\n{LONG}\nnever closed',
    ],
)
def test_csv_malformed_inside_a_long_record_fails_as_without_a_limit(tmp_path, body):
    path = tmp_path / "m.csv"
    path.write_bytes(f"text,title\n{body}".encode())
    limited = [(i.line, i.error and i.error.message) for i in read_file(path, max_record_bytes=40)]
    whole = [(i.line, i.error and i.error.message) for i in read_file(path)]
    assert limited[-1] == whole[-1]
    assert "malformed CSV" in limited[-1][1]
    assert limited[:-1] == [(2, None)] * (len(limited) - 1) == whole[:-1]


def test_csv_header_larger_than_the_limit(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(f"text,{LONG}\nok\n", encoding="utf-8")
    [item] = read_file(path, max_record_bytes=40)
    assert str(item.error) == f"{path}:1: the header is larger than 40 bytes (56 bytes): skipped"
