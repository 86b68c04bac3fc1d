"""Prodigy tasks by kind (`_view_id`), and label names checked at import (issue 8, 18 and 19)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from annotator.core.formats import read_file
from annotator.core.records import CHOICE_TASKS, LABEL_MAX, Span

TEXT = "Gucci and Prada opened in Milan"
GUCCI = {"start": 0, "end": 5, "label": "BRAND"}
PRADA = {"start": 10, "end": 15, "label": "BRAND"}
MILAN = {"start": 26, "end": 31, "label": "GPE"}
TOKENS = [{"text": "Gucci", "start": 0, "end": 5, "id": 0}]


def imported(*spans: dict) -> list[Span]:
    return [Span(s["start"], s["end"], s["label"], "import") for s in spans]


def read_tasks(tmp_path: Path, *tasks: dict) -> list:
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    return list(read_file(path))


def read_one(tmp_path: Path, task: dict):
    [item] = read_tasks(tmp_path, task)
    assert item.error is None, str(item.error)
    return item.record


def task(view: str | None, answer: str | None = "accept", spans=(GUCCI,), **extra) -> dict:
    out = {"text": TEXT, "spans": list(spans), "_input_hash": 1, "_task_hash": 2, **extra}
    if view is not None:
        out["_view_id"] = view
    if answer is not None:
        out["answer"] = answer
    return out


# --- complete annotations -------------------------------------------------------------------


@pytest.mark.parametrize("view", ["ner_manual", "spans_manual", "relations", "review", None])
@pytest.mark.parametrize(
    ("answer", "status"), [("accept", "accepted"), ("reject", "rejected"), ("ignore", "skipped")]
)
def test_manual_tasks_are_complete_annotations(tmp_path, view, answer, status):
    record = read_one(tmp_path, task(view, answer, spans=[GUCCI, PRADA], tokens=TOKENS))
    assert (record.status, record.annotation) == (status, "complete")
    assert record.spans == imported(GUCCI, PRADA)
    assert record.suggestions == [] and record.rejected == []
    assert (record.prodigy_input_hash, record.prodigy_task_hash) == (1, 2)


def test_unanswered_manual_task_is_pending_with_suggestions(tmp_path):
    record = read_one(tmp_path, task("ner_manual", None, spans=[PRADA]))
    assert (record.status, record.annotation) == ("pending", "complete")
    assert record.spans == [] and record.suggestions == imported(PRADA)


# --- binary ner tasks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "annotation", "where"),
    [
        ("accept", "accepted", "partial", "spans"),
        ("reject", "accepted", "partial", "rejected"),
        ("ignore", "skipped", "partial", "suggestions"),
        (None, "pending", "complete", "suggestions"),
    ],
)
def test_binary_ner_task_is_about_its_one_span(tmp_path, answer, status, annotation, where):
    record = read_one(tmp_path, task("ner", answer, spans=[MILAN], meta={"score": 0.4}))
    assert (record.status, record.annotation) == (status, annotation)
    lists = {"spans": record.spans, "rejected": record.rejected, "suggestions": record.suggestions}
    assert lists == {name: imported(MILAN) if name == where else [] for name in lists}
    assert record.meta == {"score": 0.4}


def test_rejected_binary_spans_may_overlap(tmp_path):
    wide = {"start": 0, "end": 15, "label": "ORG"}
    record = read_one(tmp_path, task("ner", "reject", spans=[GUCCI, wide]))
    assert record.rejected == imported(GUCCI, wide) and record.spans == []


# --- choice and other kinds of task -----------------------------------------------------------


def test_entity_linking_choice_task_is_its_span_linked(tmp_path):
    """Issue 19: a choice task with spans and options with ids links its span (it used to
    come in pending, the answer kept in meta)."""
    options = [{"id": "Q1", "text": "Gucci (brand)"}, {"id": "Q2", "text": "Guccio Gucci"}]
    given = task("choice", "accept", spans=[GUCCI], options=options, accept=["Q1"],
                 meta={"a": 1})  # fmt: skip
    record = read_one(tmp_path, given)
    assert (record.status, record.annotation) == ("accepted", "partial")
    assert record.spans == [Span(0, 5, "BRAND", "import", "Q1")]
    assert record.suggestions == [] and record.rejected == []
    assert record.meta == {"a": 1, CHOICE_TASKS: [{k: v for k, v in given.items()
                                                   if k != "text"}]}  # fmt: skip


def test_choice_task_with_other_options_is_pending_with_its_answer_kept_in_meta(tmp_path):
    options = [{"id": 1, "text": "fashion"}, {"id": 2, "text": "sport"}]  # not entity ids
    record = read_one(
        tmp_path,
        task("choice", "accept", spans=[GUCCI], options=options, accept=[1], meta={"a": 1}),
    )
    assert (record.status, record.annotation) == ("pending", "complete")
    assert record.spans == [] and record.rejected == []
    assert record.suggestions == imported(GUCCI)
    assert record.meta == {
        "a": 1,
        "prodigy": {"view_id": "choice", "answer": "accept", "accept": [1], "options": options},
    }


def test_choice_task_without_spans_or_answer(tmp_path):
    record = read_one(tmp_path, task("choice", None, spans=[]))
    assert (record.status, record.suggestions) == ("pending", [])
    assert record.meta == {"prodigy": {"view_id": "choice", "answer": None, "accept": []}}


@pytest.mark.parametrize("view", ["classification", "image_manual", "text", "blocks"])
def test_other_kinds_of_task_without_spans_are_bad(tmp_path, view):
    without_key = {"text": TEXT, "_view_id": view}
    items = read_tasks(tmp_path, task(view, "accept", spans=[], label="SPORTS"), without_key)
    assert [i.record for i in items] == [None, None]
    for number, item in enumerate(items, 1):
        assert str(item.error) == (
            f'{item.path}:{number}: a Prodigy "{view}" task with no spans is not an entity'
            " annotation (expected ner_manual, spans_manual, relations, review, ner or choice)"
        )


def test_other_kinds_of_task_with_spans_are_read_like_choice(tmp_path):
    record = read_one(tmp_path, task("classification", "reject", spans=[GUCCI], label="FASHION"))
    assert (record.status, record.annotation) == ("pending", "complete")
    assert record.suggestions == imported(GUCCI) and record.spans == []
    assert record.meta["prodigy"] == {
        "view_id": "classification", "answer": "reject", "accept": [], "label": "FASHION",
    }  # fmt: skip


def test_view_id_must_be_a_string(tmp_path):
    [item] = read_tasks(tmp_path, task(["ner"], "accept"))
    assert item.error.message == "'_view_id' must be a string, got an array"


def test_real_fashion_brands_export_is_complete_and_accepted(corpora):
    path = corpora / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"
    items = list(read_file(path))
    assert [str(i.error) for i in items if i.error] == []
    assert Counter((i.record.status, i.record.annotation) for i in items) == {
        ("accepted", "complete"): 1235
    }
    assert sum(len(i.record.spans) for i in items) == 527
    assert all(not i.record.rejected and not i.record.suggestions for i in items)


# --- label names (19) -------------------------------------------------------------------------

BAD_LABELS = [
    ("ORG\nX", "a label name may not hold control characters (found U+000A)"),
    ("ORG\x07", "a label name may not hold control characters (found U+0007)"),
    ("OR\u200bG", "a label name may not hold control characters (found U+200B)"),
    ("L" * 100_000, f"a label name may have at most {LABEL_MAX} characters (this one has 100000)"),
]


@pytest.mark.parametrize(("label", "why"), BAD_LABELS)
def test_bad_label_names_in_prodigy_tasks_are_bad_records(tmp_path, label, why):
    bad = {**PRADA, "label": label}
    items = read_tasks(tmp_path, task("ner_manual", spans=[GUCCI, bad]), task("ner_manual"))
    assert items[0].record is None and items[1].record is not None
    message = str(items[0].error)
    assert message.startswith(f"{items[0].path}:1: span 2 has label ")
    assert message.endswith(f": {why}")
    assert "\n" not in message and len(message) < 400


@pytest.mark.parametrize(("label", "why"), BAD_LABELS)
@pytest.mark.parametrize("shape", ["triple", "object"])
def test_bad_label_names_in_doccano_lines_are_bad_records(tmp_path, label, why, shape):
    if shape == "triple":
        line = {"text": TEXT, "label": [[0, 5, "ORG"], [10, 15, label]]}
    else:
        entities = [{"start_offset": s, "end_offset": e, "label": lab}
                    for s, e, lab in [(0, 5, "ORG"), (10, 15, label)]]  # fmt: skip
        line = {"text": TEXT, "entities": entities}
    [item] = read_tasks(tmp_path, line)
    assert item.record is None
    assert item.error.message.startswith("span 2 has label ")
    assert item.error.message.endswith(f": {why}")


def test_label_names_are_stored_without_surrounding_spaces(tmp_path):
    record = read_one(tmp_path, task("ner_manual", spans=[{**GUCCI, "label": " BRAND "}]))
    assert record.spans == imported(GUCCI)
