"""Prodigy review exports as Prodigy writes them: texts the annotators agreed on come as one
version credited to both sessions (reviewed in the app, or stored by review --auto-accept as
a copy of the first annotator's task), texts they differ on as one version each. Agreement
counts every text both decided; figures worked out by hand. Kappa and alpha on decisions
that are all the same are undefined, and said so."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.project import Project
from annotator.core.team.agreement import agreement, cohen_kappa, krippendorff_alpha, report_lines
from annotator.core.team.review import disagreement_order, versions

runner = CliRunner()
A, B = "news_ner-alice", "news_ner-bob"


def span(text: str, part: str, label: str) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "label": label}


def version(text: str, sessions: list[str], answer: str, *spans) -> dict:
    """One version of a review task, as Prodigy's review recipe builds it: a copy of an
    annotated task with the sessions that gave it."""
    return {"text": text, "spans": [span(text, p, lab) for p, lab in spans], "answer": answer,
            "_view_id": "ner_manual", "_session_id": sessions[0], "_annotator_id": sessions[0],
            "sessions": sessions, "default": True}  # fmt: skip


def reviewed(text: str, chosen: dict, *versions_: dict) -> dict:
    """A task the reviewer decided in the app."""
    return {"text": text, "spans": chosen["spans"], "answer": chosen["answer"],
            "_view_id": "review", "view_id": "ner_manual", "_session_id": "news_ner-rev",
            "_annotator_id": "news_ner-rev", "versions": list(versions_)}  # fmt: skip


def auto_accepted(text: str, only: dict) -> dict:
    """What review --auto-accept stores for a text all annotators agreed on: the first
    annotator's task (its _view_id and _annotator_id) with the versions, no reviewer."""
    return {**only, "versions": [only], "view_id": "ner_manual"}


T = ["Angela Merkel met Reuters staff in Paris.",
     "Apple opened an office in London.",
     "Berlin is cold in winter.",
     "Madrid is warm.",
     "Olaf Scholz spoke in Hamburg."]  # fmt: skip


def review_file(path):
    same0 = version(T[0], [A, B], "accept", ("Angela Merkel", "PERSON"), ("Reuters", "ORG"),
                    ("Paris", "GPE"))  # fmt: skip
    same2 = version(T[2], [A, B], "accept", ("Berlin", "GPE"))
    same3 = version(T[3], [B, A], "accept")  # agreed: nothing to mark
    a1 = version(T[1], [A], "accept", ("Apple", "ORG"), ("London", "GPE"))
    b1 = version(T[1], [B], "accept", ("Apple", "ORG"), ("London", "ORG"))
    a4 = version(T[4], [A], "accept", ("Olaf Scholz", "PERSON"), ("Hamburg", "GPE"))
    b4 = version(T[4], [B], "reject")
    tasks = [
        auto_accepted(T[0], same0),
        reviewed(T[1], a1, a1, b1),
        reviewed(T[2], same2, same2),  # agreed, yet reviewed in the app (no --auto-accept)
        auto_accepted(T[3], same3),
        reviewed(T[4], a4, a4, b4),
    ]
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    return path


def test_a_review_export_credits_each_version_to_every_session(tmp_path):
    db = tmp_path / "review.annotator.db"
    result = runner.invoke(app, ["import", "--db", str(db), str(review_file(tmp_path / "r.jsonl"))],
                           catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "kept 10 annotators' versions" in result.stderr  # 5 texts, both annotators each
    with Project(db) as p:
        ids = {p.article(i).text: i for i in p.article_ids()}
        for text in T:
            got = versions(p, ids[text])
            assert [v.annotator for v in got] == [A, B], text
        assert [s.label for s in versions(p, ids[T[0]])[1].spans] == ["PERSON", "ORG", "GPE"]
        assert {v.status for v in versions(p, ids[T[4]])} == {"accepted", "rejected"}
        reviewers = dict(p.store.conn.execute("SELECT id, reviewed_by FROM articles"))
        assert reviewers[ids[T[1]]] == "news_ner-rev"
        assert reviewers[ids[T[0]]] == "review --auto-accept"
        assert all(p.article(i).status == "accepted" for i in ids.values())

        got = agreement(p)
    # Every text both decided counts: 5. Spans on the 4 both accepted (T0-T3):
    # alice 3 + 2 + 1 + 0 = 6, bob 3 + 2 + 1 + 0 = 6, the same 3 + 1 + 1 = 5 -> F1 10/12.
    assert got["overlap_articles"] == 5
    assert got["spans"] == {"same": 5, "first": 6, "second": 6}
    assert got["span_f1"] == pytest.approx(10 / 12, abs=1e-4)
    pair = got["pairs"][0]
    assert pair["articles"] == 5 and pair["decisions"] == 5 and pair["decisions_agreeing"] == 4
    # accept/reject: AA AA AA AA AR -> p_o 4/5, p_e = (5·4 + 0·1)/25 = 0.8 -> kappa 0
    assert pair["cohen_kappa"] == pytest.approx(0.0, abs=1e-4)
    # the two texts that differ, the most first: T4 (decisions differ) then T1 (F1 1/2)
    assert [(d["article_id"], d["disagreement"]) for d in got["disagreements"]] == [
        (ids[T[4]], 1.0), (ids[T[1]], 0.5)]
    assert got["disagreeing_articles"] == 2 and got["disagreeing_reviewed"] == 2
    with Project(db) as p:  # the queue's filter lists the same two (reviewed, so after none)
        assert disagreement_order(p) == [ids[T[4]], ids[T[1]]]


def test_kappa_and_alpha_are_undefined_when_every_decision_is_the_same(tmp_path):
    assert cohen_kappa([("accepted", "accepted")] * 5) is None
    assert krippendorff_alpha([["accepted", "accepted"]] * 5) is None
    # and the report says why, not 1.000
    src = tmp_path / "agree.jsonl"
    only = [version(t, [A, B], "accept", (t.split()[0], "GPE")) for t in T[2:4]]
    src.write_text("".join(json.dumps(auto_accepted(o["text"], o)) + "\n" for o in only))
    db = tmp_path / "agree.annotator.db"
    assert runner.invoke(app, ["import", "--db", str(db), str(src)]).exit_code == 0
    with Project(db) as p:
        got = agreement(p)
    assert got["pairs"][0]["cohen_kappa"] is None and got["krippendorff_alpha"] is None
    text = "\n".join(report_lines(got))
    assert "Krippendorff's alpha (accept/reject): n/a: every decision was accept" in text
    assert "Cohen's kappa n/a: every decision was accept" in text
    assert "1.000" not in text.split("span F1")[0]  # only span F1 may be perfect
    out = runner.invoke(app, ["agreement", "--db", str(db)], catch_exceptions=False).stdout
    assert "n/a: every decision was accept" in out
