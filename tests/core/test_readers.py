"""Readers: input files -> ArticleRecords (no database, no Qt)."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from annotator.core.formats import (
    BadRecord,
    ReadItem,
    iter_paths,
    make_title,
    offset_mapper,
    read_file,
    record_from_json,
    remap_spans,
    total_bytes,
)
from annotator.core.records import Span, normalise_text

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FASHION = CORPORA / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"


def read(path: Path) -> list[ReadItem]:
    return list(read_file(path))


def records(path: Path):
    items = read(path)
    assert [str(i.error) for i in items if i.error] == []
    return [i.record for i in items]


def errors(path: Path) -> list[BadRecord]:
    return [i.error for i in read(path) if i.error]


def write_jsonl(path: Path, *objects, ensure_ascii: bool = True) -> Path:
    lines = [o if isinstance(o, str) else json.dumps(o, ensure_ascii=ensure_ascii) for o in objects]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return path


def only_error(path: Path) -> BadRecord:
    found = errors(path)
    assert len(found) == 1, found
    return found[0]


# --- offsets --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "original",
    ["no newlines", "a\r\nb\r\nc", "a\rb\r\nc", "\r\r\n\r\n", "x\r\n\r\ny\n\rz\r", "😀\r\nÅ\r\n"],
)
def test_offset_mapper_matches_normalise_text(original):
    normal = normalise_text(original)
    remap = offset_mapper(original)
    assert remap(0) == 0
    assert remap(len(original)) == len(normal)
    whole = [i for i in range(len(original) + 1) if original[i - 1 : i + 1] != "\r\n"]
    for start in whole:  # offsets that do not split a CRLF
        for end in (e for e in whole if e >= start):
            assert normal[remap(start) : remap(end)] == normalise_text(original[start:end])
    for i in set(range(len(original) + 1)) - set(whole):  # between CR and LF: before the LF
        assert remap(i) == remap(i - 1) == remap(i + 1) - 1


def test_remap_spans_keeps_label_and_source():
    original = "One\r\nTwo Gucci\r\nThree Prada"
    spans = [Span(9, 14, "BRAND", "import"), Span(22, 27, "BRAND", "import")]
    normal = normalise_text(original)
    moved = remap_spans(original, spans)
    assert [normal[s.start : s.end] for s in moved] == ["Gucci", "Prada"]
    assert moved[0] == Span(8, 13, "BRAND", "import")


def test_make_title():
    assert make_title("\n  \n  Hello world  \nsecond") == "Hello world"
    assert make_title("x" * 500) == "x" * 200
    assert make_title("   ") == ""


# --- .txt -----------------------------------------------------------------------------


def test_txt_one_article_per_file(tmp_path):
    path = tmp_path / "story.txt"
    path.write_bytes(b"\xef\xbb\xbf\r\n  The headline \r\nBody line\r\n")
    [item] = read(path)
    assert item.error is None and item.line is None
    assert item.record.text == "\n  The headline \nBody line\n"
    assert item.record.title == "The headline"
    assert item.record.source == "story.txt"
    assert item.record.status == "pending"
    assert item.record.spans == [] and item.record.suggestions == []


def test_txt_title_is_truncated(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("T" * 300 + "\nbody", encoding="utf-8")
    [record] = records(path)
    assert record.title == "T" * 200
    assert record.text == "T" * 300 + "\nbody"


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n"])
def test_txt_empty_is_bad(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    [item] = read(path)
    assert item.record is None
    assert str(item.error).startswith(f"{path}: the file ")


def test_txt_invalid_utf8_names_line_and_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"first line\nsecond caf\xe9\n")
    error = only_error(path)
    assert error.line == 2
    assert str(error) == f"{path}:2: invalid UTF-8: byte 0xe9 at file offset 21"


# --- .jsonl: Prodigy --------------------------------------------------------------------


def test_prodigy_answers_and_fields(tmp_path):
    text = "Gucci and Prada"
    spans = [
        {"start": 0, "end": 5, "label": "BRAND", "token_start": 0, "token_end": 0, "x": 1},
        {"start": 10, "end": 15, "label": "BRAND"},
    ]
    base = {"text": text, "spans": spans, "_input_hash": 12, "_task_hash": -34, "other": 1}
    path = write_jsonl(
        tmp_path / "tasks.jsonl",
        {**base, "answer": "accept", "meta": {"title": "Meta title", "section": "x"}},
        {**base, "answer": "reject"},
        {**base, "answer": "ignore", "title": "Top title", "meta": {"title": "no"}},
        base,
    )
    accepted, rejected, skipped, pending = records(path)
    expected = [Span(0, 5, "BRAND", "import"), Span(10, 15, "BRAND", "import")]
    assert [r.status for r in (accepted, rejected, skipped, pending)] == [
        "accepted", "rejected", "skipped", "pending",
    ]  # fmt: skip
    for r in (accepted, rejected, skipped):
        assert r.spans == expected and r.suggestions == []
    assert pending.spans == [] and pending.suggestions == expected
    assert accepted.title == "Meta title" and skipped.title == "Top title"
    assert rejected.title == text  # no title given: first line of the text
    assert accepted.meta == {"title": "Meta title", "section": "x"}
    assert (accepted.prodigy_input_hash, accepted.prodigy_task_hash) == (12, -34)
    assert accepted.source == "tasks.jsonl"


def test_prodigy_without_spans_or_hashes(tmp_path):
    path = write_jsonl(tmp_path / "plain.jsonl", {"text": "Just text", "answer": "accept"})
    [record] = records(path)
    assert record.status == "accepted" and record.spans == []
    assert record.prodigy_input_hash is None and record.prodigy_task_hash is None


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_emoji_before_span_offsets_are_code_points(tmp_path, ensure_ascii):
    text = "😀👍🏽 Love my Gucci loafers"
    start = text.index("Gucci")
    span = {"start": start, "end": start + 5, "label": "BRAND"}
    path = write_jsonl(
        tmp_path / "emoji.jsonl",
        {"text": text, "spans": [span], "answer": "accept"},
        ensure_ascii=ensure_ascii,
    )
    [record] = records(path)
    [s] = record.spans
    assert record.text[s.start : s.end] == "Gucci"


def test_crlf_spans_are_remapped(tmp_path):
    original = "Title\r\n\r\nI bought Prada.\r\nThen Gucci\rand Dior."
    wanted = ["Prada", "Gucci", "Dior"]
    spans = [
        {"start": original.index(w), "end": original.index(w) + len(w), "label": "B"}
        for w in wanted
    ]
    spans.append({"start": 0, "end": original.index("Then") + 4, "label": "WIDE"})
    path = write_jsonl(tmp_path / "crlf.jsonl", {"text": original, "spans": spans})
    [record] = records(path)
    assert record.text == normalise_text(original)
    assert "\r" not in record.text
    got = {s.label + ":" + record.text[s.start : s.end] for s in record.suggestions}
    assert got == {"B:Prada", "B:Gucci", "B:Dior", "WIDE:Title\n\nI bought Prada.\nThen"}


def test_blank_lines_skipped_and_line_numbers_kept(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_text('\n{"text": "one"}\n   \n\r\n{"text": "two"}\n{"text": ""}\n\n', "utf-8")
    items = read(path)
    assert [(i.line, i.record.text if i.record else None) for i in items] == [
        (2, "one"), (5, "two"), (6, None),
    ]  # fmt: skip
    assert str(items[2].error) == f"{path}:6: 'text' is empty"


def test_jsonl_with_crlf_line_endings_and_bom(tmp_path):
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "one"}\r\n{"text": "two"}\r\n')
    assert [r.text for r in records(path)] == ["one", "two"]


def test_jsonl_invalid_utf8_line_is_reported_and_rest_is_read(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n{"text": "also ok"}\n')
    items = read(path)
    assert [i.record.text for i in items if i.record] == ["ok", "also ok"]
    [error] = [i.error for i in items if i.error]
    assert error.line == 2
    assert "invalid UTF-8: byte 0xe9 at column 14 (file offset 28)" in error.message


# --- .jsonl: doccano ----------------------------------------------------------------------


def test_doccano_label_triples(tmp_path):
    path = write_jsonl(
        tmp_path / "doccano.jsonl",
        {"id": 1, "text": "EU rejects German call", "label": [[11, 17, "MISC"], [0, 2, "ORG"]]},
        {"text": "No entities", "labels": []},
        {"data": "Old doccano Berlin", "label": [[12, 18, "LOC"]]},
    )
    first, second, third = records(path)
    assert first.status == "pending" and first.spans == []
    assert first.suggestions == [Span(0, 2, "ORG", "import"), Span(11, 17, "MISC", "import")]
    assert second.status == "pending" and second.suggestions == []
    assert third.text == "Old doccano Berlin" and third.suggestions[0].label == "LOC"


def test_doccano_entities_objects(tmp_path):
    entities = [
        {"id": 7, "label": "PER", "start_offset": 0, "end_offset": 5},
        {"id": 8, "label": "LOC", "start_offset": 15, "end_offset": 21},
    ]
    path = write_jsonl(
        tmp_path / "doccano2.jsonl",
        {"id": 3, "text": "Alice lives in Berlin", "entities": entities, "relations": []},
    )
    [record] = records(path)
    assert record.status == "pending"
    assert [record.text[s.start : s.end] for s in record.suggestions] == ["Alice", "Berlin"]
    assert all(s.source == "import" for s in record.suggestions)


def test_pending_spans_may_overlap_and_duplicates_are_dropped(tmp_path):
    spans = [[0, 10, "ORG"], [0, 4, "PER"], [0, 10, "ORG"]]
    path = write_jsonl(tmp_path / "o.jsonl", {"text": "Bank of Xyz", "label": spans})
    [record] = records(path)
    assert record.suggestions == [Span(0, 4, "PER", "import"), Span(0, 10, "ORG", "import")]


# --- validation ---------------------------------------------------------------------------

GOOD = {"text": "Gucci and Prada", "answer": "accept"}


def span(start, end, label="B"):
    return {"start": start, "end": end, "label": label}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "x",', "invalid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "expected a JSON object, got an array"),
        ('"just a string"', "expected a JSON object, got a string"),
        ({"answer": "accept"}, "missing 'text'"),
        ({"text": 5}, "'text' must be a string, got a number"),
        ({"text": None}, "'text' must be a string, got null"),
        ({"text": " \n "}, "'text' is empty"),
        ('{"text": "bad \\ud83d surrogate"}', "'text' contains invalid Unicode"),
        ({**GOOD, "spans": {"start": 0}}, "'spans' must be a list, got an object"),
        ({**GOOD, "spans": ["x"]}, "span 1 must be an object, got a string"),
        ({**GOOD, "spans": [span(0, 5), {"start": 0, "label": "B"}]}, "span 2 has no 'end'"),
        ({**GOOD, "spans": [{"end": 3}]}, "span 1 has no 'start' or 'label'"),
        ({**GOOD, "spans": [span("0", 5)]}, 'span 1 has start "0", expected an integer'),
        ({**GOOD, "spans": [span(0, 5.0)]}, "span 1 has end 5.0, expected an integer"),
        ({**GOOD, "spans": [span(True, 5)]}, "span 1 has start true, expected an integer"),
        ({**GOOD, "spans": [span(-1, 5)]}, "span 1 [-1, 5) starts before 0"),
        ({**GOOD, "spans": [span(10, 16)]}, "span 1 [10, 16) ends after the text (length 15)"),
        ({**GOOD, "spans": [span(0, 5), span(8, 8)]}, "span 2 [8, 8) has start >= end"),
        ({**GOOD, "spans": [span(5, 3)]}, "span 1 [5, 3) has start >= end"),
        ({**GOOD, "spans": [span(0, 5, "")]}, 'span 1 has label "", expected a non-empty'),
        ({**GOOD, "spans": [span(0, 5, 7)]}, "span 1 has label 7, expected a non-empty string"),
        ({**GOOD, "spans": [span(0, 5, None)]}, "span 1 has label null, expected a non-empty"),
        (
            {**GOOD, "spans": [span(10, 15), span(0, 5), span(3, 9, "C")]},
            "span 2 [0, 5) (B) and span 3 [3, 9) (C) overlap",
        ),
        ({**GOOD, "answer": "maybe"}, 'unknown answer "maybe" (expected accept, reject or ignore)'),
        ({**GOOD, "answer": ["accept"]}, "unknown answer"),
        ({"text": "abc", "label": "POSITIVE"}, "'label' must be a list, got a string"),
        ({"text": "abc", "label": [[0, 1]]}, "span 1 in 'label' must be [start, end, label]"),
        ({"text": "abc", "entities": [{"start_offset": 0}]}, "span 1 in 'entities' must be"),
        ({"text": "abc", "label": [[0, 9, "X"]]}, "span 1 [0, 9) ends after the text"),
    ],
)
def test_validation_errors_have_file_and_line(tmp_path, line, message):
    path = write_jsonl(tmp_path / "data.jsonl", GOOD, line, GOOD)
    items = read(path)
    assert [i.line for i in items] == [1, 2, 3]
    assert items[0].record and items[2].record
    bad = items[1]
    assert bad.record is None and bad.line == 2
    assert bad.error.path == str(path) and bad.error.line == 2
    assert message in bad.error.message
    assert str(bad.error).startswith(f"{path}:2: ")
    assert "\n" not in str(bad.error)


def test_overlap_allowed_in_rejected_record(tmp_path):
    path = write_jsonl(
        tmp_path / "r.jsonl", {**GOOD, "answer": "reject", "spans": [span(0, 5), span(3, 9)]}
    )
    [record] = records(path)
    assert record.status == "rejected" and len(record.spans) == 2


def test_span_of_only_a_carriage_return_is_bad():
    with pytest.raises(ValueError, match="covers only a carriage return"):
        record_from_json({"text": "a\r\nb", "spans": [span(1, 2)], "answer": "accept"})


def test_bad_record_str_without_line():
    assert str(BadRecord("a.txt", None, "the file is empty")) == "a.txt: the file is empty"
    assert str(BadRecord("a.jsonl", 17, "oops")) == "a.jsonl:17: oops"


# --- .json ---------------------------------------------------------------------------------


def test_json_array_and_single_object_and_jsonl(tmp_path):
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"text": "one"}, {"text": 2}, {"text": "three"}], indent=2))
    items = read(array)
    assert [i.record.text for i in items if i.record] == ["one", "three"]
    assert [str(i.error) for i in items if i.error] == [
        f"{array}: item 2: 'text' must be a string, got a number"
    ]
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"text": "solo", "answer": "accept"}, indent=2))
    assert [r.status for r in records(single)] == ["accepted"]
    lines = write_jsonl(tmp_path / "lines.json", {"text": "a"}, "{", {"text": "b"})
    items = read(lines)
    assert [(i.line, bool(i.record)) for i in items] == [(1, True), (2, False), (3, True)]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"text": "a"},\n  oops\n]')
    assert str(only_error(broken)).startswith(f"{broken}: invalid JSON: Expecting value at line 3")


# --- .csv ----------------------------------------------------------------------------------


def test_csv_columns_meta_and_line_numbers(tmp_path):
    path = tmp_path / "news.csv"
    path.write_bytes(
        b"\xef\xbb\xbfTitle,Text,URL,Section,empty\r\n"
        b'First,"Para one.\r\n\r\nPara two, with comma.",http://a.example/1,World,\r\n'
        b"\r\n"
        b",Untitled body,,,\r\n"
        b'Third,"She said ""hi""",,,\r\n'
    )
    items = read(path)
    assert [i.line for i in items] == [2, 6, 7]
    first, second, third = (i.record for i in items)
    assert first.text == "Para one.\n\nPara two, with comma."
    assert first.title == "First"
    assert first.source == "http://a.example/1"
    assert first.meta == {"URL": "http://a.example/1", "Section": "World"}
    assert second.title == "Untitled body" and second.source == "news.csv"
    assert second.meta == {}
    assert third.text == 'She said "hi"'
    assert all(r.status == "pending" for r in (first, second, third))


def test_csv_source_column_wins(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("text,source,url\nbody,Reuters,http://x\n", encoding="utf-8")
    [record] = records(path)
    assert record.source == "Reuters" and record.meta == {"url": "http://x"}


def test_csv_without_text_column(tmp_path):
    path = tmp_path / "notext.csv"
    path.write_text("title,body\na,b\n", encoding="utf-8")
    error = only_error(path)
    assert str(error) == f"{path}:1: no 'text' column in the header (title, body)"


def test_csv_bad_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        b"text,title\n"
        b"good one,t\n"
        b"   ,empty text\n"
        b"a,b,c\n"
        b'"caf\xe9\nlatin1",x\n'
        b"good two,t\n"
        b'"never closed,x\n'
        b"lost,x\n"
    )
    items = read(path)
    assert [i.record.text for i in items if i.record] == ["good one", "good two"]
    assert [str(i.error) for i in items if i.error] == [
        f"{path}:3: 'text' is empty",
        f"{path}:4: the row has 3 fields but the header has 2",
        f"{path}:5: invalid UTF-8: byte 0xe9 at column 5 (file offset 47)",
        f"{path}:8: malformed CSV: unexpected end of data; the rest of the file was not read",
    ]


def test_csv_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert str(only_error(path)) == f"{path}: the file is empty"


# --- paths, dispatch, progress -------------------------------------------------------------


def test_iter_paths_recurses_sorted_and_skips_hidden(tmp_path):
    for name in [
        "b.txt", "a.jsonl", "sub/c.csv", "sub/deeper/d.JSON", "sub/notes.md",
        ".hidden.txt", ".git/e.txt", "sub/.cache/f.jsonl",
    ]:  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text('{"text": "x"}')
    found = [p.relative_to(tmp_path).as_posix() for p in iter_paths([tmp_path])]
    assert found == ["a.jsonl", "b.txt", "sub/c.csv", "sub/deeper/d.JSON"]
    explicit = list(iter_paths([tmp_path / "sub/notes.md", tmp_path, str(tmp_path / "b.txt")]))
    assert explicit[0] == tmp_path / "sub/notes.md"
    assert len(explicit) == 5  # b.txt given twice, yielded once
    assert total_bytes([tmp_path]) == 4 * len('{"text": "x"}')


def test_unknown_extension_and_missing_file(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("hello")
    assert "unsupported file type '.md'" in str(only_error(notes))
    missing = tmp_path / "missing.jsonl"
    assert str(only_error(missing)).startswith(f"{missing}: cannot read the file: ")
    assert "without an extension" in only_error(tmp_path / "README").message


def test_on_bytes_reports_progress_up_to_the_file_size(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", *({"text": "x" * 1000} for _ in range(1000)))
    seen: list[int] = []
    assert len(list(read_file(path, on_bytes=seen.append))) == 1000
    assert seen == sorted(seen) and len(seen) >= 3
    assert seen[-1] == path.stat().st_size
    for name, content in [("a.txt", "hello"), ("a.csv", "text\nhi\n"), ("a.json", "[]")]:
        seen.clear()
        (tmp_path / name).write_text(content)
        list(read_file(tmp_path / name, on_bytes=seen.append))
        assert seen[-1] == len(content)


# --- real data and scale -------------------------------------------------------------------


def test_real_prodigy_export():
    if not FASHION.exists():
        pytest.skip(f"shared corpus not found at {FASHION} (only present in the workplace)")
    items = read(FASHION)
    assert [str(i.error) for i in items if i.error] == []
    statuses = Counter(i.record.status for i in items)
    assert statuses == {"accepted": 1235}
    labels = Counter(s.label for i in items for s in i.record.spans)
    assert labels == {"FASHION_BRAND": 527}
    raw = [json.loads(line) for line in FASHION.read_text("utf-8").splitlines()]
    for item, task in zip(items, raw, strict=True):
        record = item.record
        assert record.prodigy_input_hash == task["_input_hash"]
        expected = [task["text"][s["start"] : s["end"]] for s in task["spans"]]
        assert sorted(record.text[s.start : s.end] for s in record.spans) == sorted(expected)


def test_large_jsonl_streams_in_flat_memory(tmp_path):
    path = tmp_path / "big.jsonl"
    text = "Gucci and Prada were there. " * 180  # ~5 KB per line
    line = json.dumps({"text": text, "spans": [span(0, 5), span(10, 15)], "answer": "accept"})
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(50 * 1024 * 1024 // len(line)):
            f.write(line + "\n")
    size = path.stat().st_size
    assert size > 45 * 1024 * 1024

    began = time.perf_counter()
    tracemalloc.start()
    try:
        count = spans = 0
        for item in read_file(path):
            count += 1
            spans += len(item.record.spans)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 9000 and spans == 2 * count
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while reading {size / 1e6:.0f} MB"
    assert time.perf_counter() - began < 10
