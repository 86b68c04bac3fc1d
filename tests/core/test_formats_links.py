"""Links in every exchange format (issue 19): Prodigy's entity-linking `choice` tasks in and
back out equal, `kb_id` on any task's spans, `ent.kb_id_` in the spaCy export (and `spacy
debug data` on it), the CoNLL column and the HF field. Real files, real spaCy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import spacy
from spacy.tokens import DocBin

from annotator.core.export import export_project
from annotator.core.importing import import_paths
from annotator.core.project import Project
from annotator.core.records import NIL, STATUSES, ArticleRecord, Span
from annotator.core.store.kb import KbEntry

URL = "https://www.wikidata.org/wiki/"
CANDIDATES = [("Q48226", "American philosopher, essayist, and poet"),
              ("Q215952", "Brazilian footballer"),
              ("Q312545", "Australian tennis player")]  # fmt: skip
OPTIONS = ([{"id": q, "html": f"<a href='{URL}{q}'>{q}: {d}</a>"} for q, d in CANDIDATES]
           + [{"id": "NIL_otherLink", "text": "Link not in options"},
              {"id": "NIL_ambiguous", "text": "Need more context"}])  # fmt: skip


def el_task(text: str, start: int, end: int, label: str, answer: str | None,
            accept: list[str], input_hash: int, task_hash: int,
            score: float = 1) -> dict:  # fmt: skip
    """A task as Prodigy's entity_linker.manual recipe saves it (spaCy's nel_emerson
    project's emerson_annotated_text.jsonl has this form)."""
    task = {"text": text, "_input_hash": input_hash, "_task_hash": task_hash,
            "spans": [{"start": start, "end": end, "text": text[start:end], "rank": 0,
                       "label": label, "score": score, "source": "en_core_web_lg",
                       "input_hash": input_hash}],
            "meta": {"score": score}, "options": OPTIONS, "_session_id": None,
            "_view_id": "choice", "accept": accept}  # fmt: skip
    if answer is not None:
        task["answer"] = answer
    return task


TENNIS = "Interestingly, Emerson is one of only five tennis players to win slam sets twice."
ESSAY = "Emerson anonymously published his first essay, \"Nature\", on September 9, 1836."
BOTH = "Emerson met Emerson in Brazil, far from the Australian Emerson fans."
REJECTED = "The Emerson Quartet played Bach."
OPEN = "Emerson scored one goal during the tournament."
TASKS = [
    el_task(TENNIS, 15, 22, "ORG", "accept", ["Q312545"], 2024197919, -1926469210),
    el_task(ESSAY, 0, 7, "PERSON", "accept", ["NIL_ambiguous"], 51486229, 218573374, 0.73),
    # one task per mention of one text: one article with several linked spans
    el_task(BOTH, 0, 7, "PERSON", "accept", ["Q312545"], -231625133, 2036713379),
    el_task(BOTH, 12, 19, "PERSON", "accept", ["Q215952"], -231625133, 245444839, 0.8),
    el_task(BOTH, 55, 62, "PERSON", "ignore", [], -231625133, 416140596),
    el_task(REJECTED, 4, 11, "ORG", "reject", [], 1700080637, 1571692792),
    el_task(OPEN, 0, 7, "PERSON", None, [], 1982975395, 2040733775),
]


def write_jsonl(path: Path, tasks: list[dict]) -> Path:
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def add_entities(project: Project, ids) -> None:
    project.kb.add([KbEntry(q, q) for q in ids])


def assert_same_tasks(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for number, (g, w) in enumerate(zip(got, want, strict=True), 1):
        assert set(g) == set(w), f"task {number}: keys {sorted(set(g) ^ set(w))}"
        for key in w:
            assert g[key] == w[key], f"task {number}, {key!r}: {g[key]!r} != {w[key]!r}"


def export_tasks(project: Project, out: Path) -> list[dict]:
    export_project(project, out, format="jsonl", statuses=STATUSES)
    return read_jsonl(out)


# ---- Prodigy ---------------------------------------------------------------------------------


def test_choice_tasks_import_as_linked_spans(tmp_path):
    with Project(tmp_path / "p.db") as p:
        report = import_paths(p, [write_jsonl(tmp_path / "el.jsonl", TASKS)])
        assert (report.imported, report.merged, report.bad) == (5, 2, [])
        assert report.unknown_kb_ids == {"Q312545": 2, "Q215952": 1}  # kept, and said
        by_text = {p.article(a).text: a for a in report.article_ids}

        def state(text):
            aid = by_text[text]
            art = p.article(aid)
            return (art.status, art.annotation,
                    [(s.start, s.end, s.label, s.kb_id) for s in p.spans(aid)])  # fmt: skip

        assert state(TENNIS) == ("accepted", "partial", [(15, 22, "ORG", "Q312545")])
        assert state(ESSAY) == ("accepted", "partial", [(0, 7, "PERSON", NIL)])  # NIL_ambiguous
        assert state(BOTH) == ("accepted", "partial", [(0, 7, "PERSON", "Q312545"),
                                                       (12, 19, "PERSON", "Q215952")])
        assert p.imported_suggestions(by_text[BOTH]) == [Span(55, 62, "PERSON", "import")]
        assert state(REJECTED) == ("accepted", "partial", [])  # the mention is wrong
        assert p.dismissed(by_text[REJECTED]) == {(4, 11, "ORG")}
        assert state(OPEN) == ("pending", "partial", [])
        assert p.imported_suggestions(by_text[OPEN]) == [Span(0, 7, "PERSON", "import")]
        assert p.article(by_text[TENNIS]).meta["score"] == 1  # the task's meta


def test_a_choice_file_round_trips_equal(tmp_path):
    source = write_jsonl(tmp_path / "el.jsonl", TASKS)
    with Project(tmp_path / "p.db") as p:
        add_entities(p, ["Q48226", "Q215952", "Q312545"])
        import_paths(p, [source])
        assert_same_tasks(export_tasks(p, tmp_path / "out.jsonl"), TASKS)
        import_paths(p, [source])  # the same file again adds nothing
        assert_same_tasks(export_tasks(p, tmp_path / "again.jsonl"), TASKS)

        # a link changed in the project: the task says so, nothing else changes
        both = p.article_ids(search="met Emerson")[0]
        first, second = p.spans(both)
        p.set_link(first.id, "Q48226")
        p.set_link(second.id, NIL)
        tennis = p.article_ids(search="tennis")[0]
        p.set_link(p.spans(tennis)[0].id, None)
        got = export_tasks(p, tmp_path / "changed.jsonl")
        want = [dict(t) for t in TASKS]
        want[0]["accept"] = []  # not linked any more
        want[2]["accept"] = ["Q48226"]
        want[3]["accept"] = ["NIL_otherLink"]  # NIL: the task's first NIL option
        assert_same_tasks(got, want)

    with Project(tmp_path / "q.db") as q:  # and the written file comes in as it went out
        import_paths(q, [tmp_path / "changed.jsonl"])
        both = q.article_ids(search="met Emerson")[0]
        assert [s.kb_id for s in q.spans(both)] == ["Q48226", NIL]


def test_choice_tasks_are_written_as_one_task_once_the_spans_changed(tmp_path):
    with Project(tmp_path / "p.db") as p:
        import_paths(p, [write_jsonl(tmp_path / "el.jsonl", TASKS[2:5])])
        (aid,) = p.article_ids()
        p.add_label("GPE")
        p.add_span(aid, Span(23, 29, "GPE"))  # Brazil: the tasks no longer say it all
        (task,) = export_tasks(p, tmp_path / "out.jsonl")
        assert task["_view_id"] == "ner"  # still a partial annotation
        assert [(s["start"], s["label"], s.get("kb_id")) for s in task["spans"]] == [
            (0, "PERSON", "Q312545"), (12, "PERSON", "Q215952"), (23, "GPE", None)]
        assert "prodigy_choice_tasks" not in task["meta"]


def test_any_tasks_spans_may_carry_kb_id(tmp_path):
    text = "Emerson toured Europe in 1833."
    manual = {"text": text, "_view_id": "ner_manual", "answer": "accept",
              "spans": [{"start": 0, "end": 7, "label": "PERSON", "kb_id": "Q48226"},
                        {"start": 15, "end": 21, "label": "LOC", "kb_id": "NIL"},
                        {"start": 25, "end": 29, "label": "DATE"}]}  # fmt: skip
    bad = {"text": "Bad kb id.", "answer": "accept",
           "spans": [{"start": 0, "end": 3, "label": "X", "kb_id": 7}]}  # fmt: skip
    with Project(tmp_path / "p.db") as p:
        report = import_paths(p, [write_jsonl(tmp_path / "m.jsonl", [manual, bad])])
        assert report.imported == 1
        assert [str(b) for b in report.bad] == [
            f"{tmp_path / 'm.jsonl'}:2: span 1 has kb_id 7, expected a string"]
        (aid,) = report.article_ids
        assert [s.kb_id for s in p.spans(aid)] == ["Q48226", NIL, None]
        (task,) = export_tasks(p, tmp_path / "out.jsonl")
        assert [s.get("kb_id") for s in task["spans"]] == ["Q48226", NIL, None]
        assert task["_view_id"] == "ner_manual"


# ---- spaCy, CoNLL, Hugging Face ----------------------------------------------------------------

NAMES = ["Emerson", "Laver", "Rosewall", "Court", "Hoad"]
CITIES = ["Sydney", "Paris", "London", "Brisbane"]


def linked_project(path: Path, n: int = 120) -> Project:
    p = Project(path)
    p.add_label("PERSON")
    p.add_label("GPE")
    add_entities(p, [f"Q{i}" for i in range(len(NAMES))] + ["Q100"])
    records = []
    for i in range(n):
        who, city = NAMES[i % len(NAMES)], CITIES[i % len(CITIES)]
        text = f"{who} won in {city} in {1950 + i}."
        records.append(ArticleRecord(text=text, status="accepted", spans=[
            Span(0, len(who), "PERSON", kb_id=f"Q{i % len(NAMES)}"),
            Span(len(who) + 8, len(who) + 8 + len(city), "GPE",
                 kb_id=NIL if city == "Paris" else None)]))  # fmt: skip
    records += [ArticleRecord(text=f"Nothing happened on day {i}.", status="accepted")
                for i in range(n // 4)]  # fmt: skip
    p.add_records(records)
    return p


def test_spacy_export_sets_kb_id_on_every_linked_entity(tmp_path):
    with linked_project(tmp_path / "p.db") as p:
        report = export_project(p, tmp_path / "corpus", format="spacy", seed=1)
    nlp = spacy.blank("en")
    ents = [e for split in ("train", "dev") for d in DocBin().from_disk(
        tmp_path / "corpus" / f"{split}.spacy").get_docs(nlp.vocab) for e in d.ents]  # fmt: skip
    assert len(ents) == 240
    for e in ents:
        if e.label_ == "PERSON":
            assert e.kb_id_ == f"Q{NAMES.index(e.text)}"
        else:
            assert e.kb_id_ == (NIL if e.text == "Paris" else "")
    manifest = json.loads((tmp_path / "corpus" / "manifest.json").read_text())
    assert sum(manifest["linked_entities"].values()) == 120 + 30 == sum(report.linked.values())
    debug = subprocess.run([sys.executable, "-m", "spacy", "debug", "data", "config.cfg"],
                           cwd=tmp_path / "corpus", capture_output=True, text=True,
                           encoding="utf-8", timeout=300,
                           env={**os.environ, "PYTHONIOENCODING": "utf-8"})  # fmt: skip
    output = debug.stdout + debug.stderr
    assert debug.returncode == 0, output
    assert [line for line in output.splitlines() if "✘" in line] == [], output


def test_conll_and_hf_carry_the_link_in_a_column_and_a_field(tmp_path):
    with linked_project(tmp_path / "p.db", 6) as p:
        export_project(p, tmp_path / "conll", format="conll", dev_split=0)
        export_project(p, tmp_path / "hf", format="hf", dev_split=0)
    blocks = (tmp_path / "conll" / "train.conll").read_text().split("\n\n")
    assert blocks[1].splitlines() == ["Laver\tB-PERSON\tQ1", "won\tO\t_", "in\tO\t_",
                                      "Paris\tB-GPE\tNIL", "in\tO\t_", "1951\tO\t_", ".\tO\t_"]
    rows = [json.loads(line) for line in (tmp_path / "hf" / "train.jsonl").read_text()
            .splitlines()]  # fmt: skip
    assert set(rows[0]) == {"id", "tokens", "ner_tags", "kb_ids"}
    assert rows[0]["tokens"][:4] == ["Emerson", "won", "in", "Sydney"]
    assert rows[0]["kb_ids"] == ["Q0", None, None, None, None, None, None]
    assert rows[1]["kb_ids"][3] == NIL


def test_a_project_without_links_keeps_two_columns_and_three_fields(tmp_path):
    with Project(tmp_path / "p.db") as p:
        p.add_label("PERSON")
        p.add_records([ArticleRecord(text="Emerson won.", status="accepted",
                                     spans=[Span(0, 7, "PERSON")])])  # fmt: skip
        export_project(p, tmp_path / "conll", format="conll", dev_split=0)
        export_project(p, tmp_path / "hf", format="hf", dev_split=0)
    assert (tmp_path / "conll" / "train.conll").read_text().splitlines()[0] == "Emerson\tB-PERSON"
    (row,) = [json.loads(line) for line in (tmp_path / "hf" / "train.jsonl").read_text()
              .splitlines()]  # fmt: skip
    assert set(row) == {"id", "tokens", "ner_tags"}


GOLFER, PUBLISHER = "Q2146908", "Q7381115"
COCHRAN = [
    ("Russ Cochran captured his first major title with his son as caddie.", GOLFER),
    ("Russ Cochran his reprints include EC Comics.", PUBLISHER),
    ("Russ Cochran has been publishing comic art.", PUBLISHER),
    ("Russ Cochran was a member of University of Kentucky's golf team.", GOLFER),
    ("Russ Cochran reprinted the comics in hardcover volumes.", PUBLISHER),
]


def test_entity_linker_trains_on_the_spacy_export(tmp_path):
    """End to end: mentions linked in the project (as the window links them), exported
    with `export --format spacy`, the knowledge base written by kb/spacy_kb.py, and
    spaCy's entity_linker trained on the exported documents predicts each one's entity."""
    from linker_training import train_linker_and_predict
    from spacy.training import Example

    from annotator.core.annotation import SetLink, accept_edit, shown_spans
    from annotator.core.kb.spacy_kb import write_spacy_kb

    with Project(tmp_path / "p.db") as p:
        p.add_label("PERSON")
        p.kb.add([KbEntry(GOLFER, "Russ Cochran", "American golfer"),
                  KbEntry(PUBLISHER, "Russ Cochran", "American publisher of comics")])
        for text, kb_id in COCHRAN:
            (aid,) = p.add_records([ArticleRecord(text=text)]).ids
            (mention,) = shown_spans(p, aid, [Span(0, 12, "PERSON", "model")])
            SetLink(aid, mention, kb_id).apply(p, "ann")
            accept_edit(aid, shown_spans(p, aid)).apply(p, "ann")
        export_project(p, tmp_path / "corpus", format="spacy", dev_split=0)
        nlp = spacy.blank("en")
        write_spacy_kb(p, tmp_path / "kb", nlp, vectors="hash")
    docs = list(DocBin().from_disk(tmp_path / "corpus" / "train.spacy").get_docs(nlp.vocab))
    assert [[e.kb_id_ for e in d.ents] for d in docs] == [[k] for _, k in COCHRAN]
    examples = [Example.from_dict(nlp.make_doc(d.text), {
        "entities": [(e.start_char, e.end_char, e.label_) for e in d.ents],
        "links": {(e.start_char, e.end_char): {e.kb_id_: 1.0} for e in d.ents},
        "sent_starts": [1] + [0] * (len(d) - 1)}) for d in docs]  # fmt: skip

    patterns = [{"label": "PERSON", "pattern": [{"LOWER": "russ"}, {"LOWER": "cochran"}]}]
    predicted = train_linker_and_predict(nlp, examples, tmp_path / "kb", patterns,
                                         [text for text, _ in COCHRAN])  # fmt: skip
    assert predicted == [[kb_id] for _, kb_id in COCHRAN]
