"""Training on the project's accepted articles: real spaCy training on small data."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.train import registry
from annotator.core.train.scoring import score_spans
from annotator.core.train.trainer import TrainOptions, train_ner

FIRST = ["Anna", "Tom", "Lisa", "Omar", "Mei", "Carl", "Ines", "Raj", "Olga", "Ken"]
LAST = ["Berg", "Kane", "Ford", "Haddad", "Lin", "Jung", "Sousa", "Patel", "Ivanova", "Ito"]
NAMES = [f"{a} {b}" for a in FIRST for b in LAST]  # many unseen in dev: decisions can't cover
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli"]
CITIES = ["Paris", "Berlin", "Madrid", "Oslo", "Lima", "Quito"]


def make_project(path, n=60, seed=0) -> Project:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        who, org, city = rng.choice(NAMES), rng.choice(ORGS), rng.choice(CITIES)
        text = f"{who} joined {org} in {city} last week, story {i}."
        a = len(who) + 8
        b = a + len(org) + 4
        records.append(ArticleRecord(text=text, status="accepted", spans=[
            Span(0, len(who), "PERSON"), Span(a, a + len(org), "ORG"),
            Span(b, b + len(city), "GPE")]))  # fmt: skip
    records += [ArticleRecord(text=f"{rng.choice(NAMES)} flew to {rng.choice(CITIES)} ({i}).")
                for i in range(20)]  # fmt: skip
    p = Project(path)
    p.ensure_labels(["PERSON", "ORG", "GPE"])
    p.add_records(records)
    p.set_setting("model", None)  # no model in use: any trained model beats it
    return p


def test_scoring_by_hand():
    gold = {(0, 4, "ORG"), (10, 15, "GPE")}
    pred = {(0, 4, "ORG"), (10, 14, "GPE"), (20, 25, "DATE")}
    s = score_spans([(gold, pred)], ["ORG", "GPE"])
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 1)
    assert s["p"] == s["r"] == s["f"] == 0.5
    assert s["per_label"]["ORG"]["f"] == 1.0 and s["per_label"]["GPE"]["f"] == 0.0


def test_a_trained_model_is_registered_and_used_for_suggestions(tmp_path):
    from annotator.core.suggest.service import SuggestionService

    p = make_project(tmp_path / "news.annotator.db", n=150)  # dev enough to be confident
    result = train_ner(p, TrainOptions(base="blank", max_epochs=6))
    assert result.scores["f"] > 0.5 and result.baseline["none"]
    assert result.scores["suggestions"]["f"] > result.baseline["suggestions"]["f"]
    record = registry.save(p, result)
    assert record.activated and record.path.endswith("news.annotator-models/model-1")
    assert p.get_setting("model") == record.path
    assert registry.all_models(p)[0].scores["f"] == result.scores["f"]
    pending = p.next_article_id()
    service = SuggestionService.from_project(p)
    service.load(p)
    service.compute(p, pending)
    assert service.suggester.model_name == record.path
    machine = p.cached_suggestions(pending, service.fingerprint)  # decisions win overlaps later
    assert any(s.source == "model" and s.label == "PERSON" for s in machine), machine


def test_a_worse_model_is_kept_but_not_switched_to(tmp_path):
    p = make_project(tmp_path / "p.db", n=150)
    good = registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=6)))
    assert good.activated
    worse = train_ner(p, TrainOptions(base="blank", max_epochs=1))
    assert worse.baseline is not None and worse.scores["f"] < worse.baseline["f"]
    record = registry.save(p, worse)
    assert not record.activated
    assert p.get_setting("model") == good.path  # still the better one
    registry.activate(p, record.id)  # unless the user says so
    assert p.get_setting("model") == record.path


def test_too_few_articles_is_a_clear_error(tmp_path):
    from annotator.core.errors import ProjectError

    p = make_project(tmp_path / "p.db", n=3)
    with pytest.raises(ProjectError, match="accept more articles"):
        train_ner(p, TrainOptions(base="blank"))


def test_a_killed_training_leaves_nothing_registered(tmp_path):
    path = tmp_path / "p.db"
    make_project(path, n=200).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotator", "train", "--db", str(path), "--base", "blank",
         "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = proc.stdout.readline()  # the first progress line: training is under way
    assert json.loads(line)["step"] >= 0, proc.stderr.read()
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Project(path) as p:
        assert registry.all_models(p) == []
        assert p.get_setting("model") is None
    folder = registry.models_dir(path)
    assert not folder.exists() or not any(f.name.startswith("model-") for f in folder.iterdir())


def test_a_model_is_adopted_only_when_better_with_confidence(tmp_path):
    """Nine dev articles where the model saves 2 corrections are not enough to adopt it;
    the paired bootstrap's interval says why, in the result."""
    from annotator.core.train.adoption import describe, paired_bootstrap

    small = paired_bootstrap([0] * 9, [0, 0, 1, 0, 0, 0, 1, 0, 0])
    assert small["difference"] == -2 and small["interval"][1] == 0 and not small["adopt"]
    large = paired_bootstrap([0] * 30, [0, 1, 0] * 10)
    assert large["difference"] == -10 and large["interval"][1] < 0 and large["adopt"]
    worse = paired_bootstrap([1, 0, 2] * 10, [0, 0, 1] * 10)
    assert worse["difference"] == 20 and not worse["adopt"]
    assert describe(small) == ("corrections on 9 dev articles: 0 with it, 2 with the model in "
                               "use (-2; 95% interval -5 to +0): not used: it does not need "
                               "fewer corrections with 95% confidence")
    p = make_project(tmp_path / "p.db", n=60)
    result = train_ner(p, TrainOptions(base="blank", max_epochs=6))
    case = result.scores["adoption"]
    assert case["articles"] == len(result.scores["suggestions"]["per_article"])
    assert result.better == case["adopt"]


def test_only_the_model_in_use_the_best_and_the_newest_keep_their_folders(tmp_path):
    from pathlib import Path

    from annotator.core.errors import ProjectError

    p = make_project(tmp_path / "p.db", n=150)
    records = [registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=e)))
               for e in (4, 1, 1, 1)]  # fmt: skip
    on_disk = [Path(r.path).is_dir() for r in registry.all_models(p)]
    kept = registry.kept(p)
    assert on_disk == [r.id in kept for r in records]
    assert {records[-1].id, records[-2].id} <= kept and len(kept) <= 4
    assert records[0].activated and records[0].id in kept  # in use (and the best)
    assert len(registry.all_models(p)) == 4  # records and scores stay
    gone = [r for r in records if r.id not in kept]
    assert gone, "four trainings keep at most three folders here"
    with pytest.raises(ProjectError, match="folder .* is missing"):
        registry.activate(p, gone[0].id)


def test_the_learning_curve_trains_on_nested_shares_of_the_same_articles(tmp_path):
    """25/50/75% of the training articles the model had, scored on its dev articles, even
    when articles are accepted meanwhile (the snapshot); each point stored as it is done."""
    from annotator.core.train import curve

    p = make_project(tmp_path / "p.db", n=150)
    options = TrainOptions(base="blank", max_epochs=3)
    with curve.snapshot(p) as frozen:
        assert frozen is not p
        result = train_ner(frozen, options)
        record = registry.save(p, result)
        more = make_project(tmp_path / "more.db", n=40, seed=7)  # accepted in the meantime
        p.add_records([ArticleRecord(text=a.text, status="accepted", spans=spans)
                       for a, spans in more.iter_articles_with_spans(["accepted"])])  # fmt: skip
        assert p.counts()["accepted"] == 190
        seen = []
        points = curve.learning_curve(frozen, p, record.id, options, result.seconds,
                                      done=seen.append)  # fmt: skip
    assert seen == points and [pt["fraction"] for pt in points] == [0.25, 0.5, 0.75]
    n = record.train_articles
    assert [pt["train_articles"] for pt in points] == [round(f * n) for f in (0.25, 0.5, 0.75)]
    assert {pt["dev_articles"] for pt in points} == {record.dev_articles}
    assert all(0 <= pt["f"] <= 1 and pt["corrections"] >= 0 for pt in points)
    stored = registry.get(p, record.id)
    assert stored.scores["curve"] == points and stored.scores["f"] == record.f
    drawn = curve.points(stored)
    assert [pt["fraction"] for pt in drawn] == [0.25, 0.5, 0.75, 1.0]
    assert drawn[-1]["f"] == record.f and drawn[-1]["train_articles"] == n
    # A share too small to train on is kept as skipped, and not drawn.
    points = curve.learning_curve(p, p, record.id, options, 1.0, fractions=(0.02, 0.25))
    assert "skipped" in points[0] and "accept more articles" in points[0]["skipped"]
    assert [pt["fraction"] for pt in curve.points(registry.get(p, record.id))] == [0.25, 1.0]


def test_accepted_since_counts_articles_accepted_by_people_not_imported(tmp_path):
    from annotator.core.train import retrain

    p = make_project(tmp_path / "p.db", n=60)  # 60 accepted by import, no events
    assert retrain.last_training_mark(p) == 0
    assert retrain.accepted_since(p, 0) == 0
    pending = p.article_ids("pending")
    for aid in pending[:3]:
        p.set_status(aid, "accepted")
    p.set_status(pending[3], "rejected")
    assert retrain.accepted_since(p, 0) == 3
    assert retrain.accepted_since(p, 0, limit=2) == 2
    undone = p.set_status(pending[4], "accepted")
    p.undo_status(undone)  # accepted, then undone: not accepted now
    p.set_status(pending[0], "accepted")  # accepted again: counts once
    assert retrain.accepted_since(p, 0) == 3
    record = registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=1)))
    assert retrain.last_training_mark(p) == retrain.training_mark(p, record) > 0
    assert retrain.accepted_since(p, retrain.last_training_mark(p)) == 0
    p.set_status(pending[5], "accepted")
    assert retrain.accepted_since(p, retrain.last_training_mark(p)) == 1


def test_the_train_command_says_what_decided_and_draws_the_curve(tmp_path):
    """`annotator train`: the adoption numbers against "no model (patterns and decisions)"
    (never "F 0.000"), then the curve; --json prints the result before the curve, and a
    kill during the curve keeps the model and the points done; --no-curve skips it."""
    path = tmp_path / "p.db"
    make_project(path, n=150).close()
    cmd = [sys.executable, "-m", "annotator", "train", "--db", str(path), "--base", "blank"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    with Project(path) as p:
        record = registry.all_models(p)[-1]
    case = record.scores["adoption"]
    assert (f"corrections on {case['articles']} dev articles: {case['with']} with it, "
            f"{case['without']} with no model (patterns and decisions)") in out, out
    assert "F 0.000" not in out and "the model in use" not in out
    assert out.index("saved in") < out.index("learning curve 25%: ")
    lines = [line for line in out.splitlines() if line.startswith("learning curve ")]
    assert [line.split(":")[0] for line in lines] == [f"learning curve {s}%" for s in
                                                      (25, 50, 75)]  # fmt: skip
    assert [pt["fraction"] for pt in record.scores["curve"]] == [0.25, 0.5, 0.75]
    listed = subprocess.run([sys.executable, "-m", "annotator", "models", "list", "--db",
                             str(path)], capture_output=True, text=True, check=True).stdout
    assert f"{record.train_articles} train / {record.dev_articles} dev articles" in listed
    assert "learning curve (dev F): 25% " in listed and "100% " in listed

    proc = subprocess.Popen([*cmd, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    kinds = []
    for line in proc.stdout:
        item = json.loads(line)
        kinds.append(next(k for k in ("model", "curve_start", "curve", "epoch") if k in item))
        if kinds[-1] == "model":
            assert item["adoption"] == item["scores"]["adoption"] and item["baseline_none"] in (
                True, False) and item["train_articles"] + item["dev_articles"] == 150
        if kinds[-1] == "curve":
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert kinds[-3:] == ["model", "curve_start", "curve"] and set(kinds[:-3]) == {"epoch"}
    with Project(path) as p:
        second = registry.all_models(p)[-1]
    assert second.id == 2 and [pt["fraction"] for pt in second.scores["curve"]] == [0.25]

    subprocess.run([*cmd, "--no-curve"], capture_output=True, text=True, check=True)
    with Project(path) as p:
        third = registry.all_models(p)[-1]
    assert third.id == 3 and "curve" not in third.scores
