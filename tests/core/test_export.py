"""The export writers (annotator.core.formats.docbin, annotator.core.formats.prodigy_tasks):
spaCy DocBin and Prodigy JSONL, no database, no Qt. Exporting a project (output-path safety,
whole-or-nothing sets, the CLI) is in test_export_project.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

import annotator
from annotator.core.formats.docbin import ExportArticle, ExportError, export_spacy, is_dev
from annotator.core.formats.prodigy_tasks import export_jsonl, set_hashes, task_hash
from annotator.core.formats.prodigy_tasks import input_hash as prodigy_input_hash
from annotator.core.records import Span, input_hash, normalise_text

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
FASHION = CORPORA / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"
needs_fashion = pytest.mark.skipif(
    not FASHION.exists(),
    reason=f"real Prodigy export not found at {FASHION} (../shared/corpora is absent outside "
    "this workplace)",
)


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en")


def art(text: str, spans=(), status="accepted", id=1, title="", meta=None, **kw) -> ExportArticle:
    spans = [s if isinstance(s, Span) else Span(*s) for s in spans]
    return ExportArticle(
        id=id,
        text=text,
        title=title,
        meta=meta or {},
        status=status,
        input_hash=input_hash(text),
        spans=spans,
        **kw,
    )


def span_of(text: str, needle: str, label: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return Span(start, start + len(needle), label)


def read_docs(path: Path, nlp) -> list:
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def all_docs(out: Path, nlp) -> list:
    return read_docs(out / "train.spacy", nlp) + read_docs(out / "dev.spacy", nlp)


def load_manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def fashion_articles() -> list[ExportArticle]:
    out = []
    with FASHION.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            task = json.loads(line)
            out.append(
                art(
                    task["text"],
                    [Span(s["start"], s["end"], s["label"]) for s in task.get("spans") or []],
                    id=i + 1,
                    meta=task.get("meta") or {},
                    prodigy_input_hash=task["_input_hash"],
                    prodigy_task_hash=task["_task_hash"],
                )
            )
    return out


# --------------------------------------------------------------------------- spaCy export


def test_spans_become_ents_with_exact_text_and_labels(nlp, tmp_path):
    t1 = "Apple Inc. opened an office in Berlin on Monday, said Tim Cook."
    t2 = "Hooray 😀 Zelensky visited Kyiv 🇺🇦 and then Lyman."  # astral chars before spans
    t3 = "Troops reached New\u00a0York and the Zaporizhzhia\u00a0region."  # non-breaking spaces
    t4 = normalise_text("Line one mentions NATO.\r\nLine two mentions Peskov.\rEnd.")
    cases = [
        (
            t1,
            [
                span_of(t1, "Apple Inc.", "ORG"),
                span_of(t1, "Berlin", "GPE"),
                span_of(t1, "Tim Cook", "PERSON"),
            ],
        ),
        (
            t2,
            [
                span_of(t2, "Zelensky", "PERSON"),
                span_of(t2, "Kyiv", "GPE"),
                span_of(t2, "Lyman", "GPE"),
            ],
        ),
        (t3, [span_of(t3, "New\u00a0York", "GPE"), span_of(t3, "Zaporizhzhia", "GPE")]),
        (t4, [span_of(t4, "NATO", "ORG"), span_of(t4, "Peskov", "PERSON")]),
    ]
    assert "\r" not in t4
    articles = [art(t, s, id=i) for i, (t, s) in enumerate(cases)]
    report = export_spacy(articles, tmp_path, nlp, dev_split=0.0)
    assert report.ok and report.misaligned == []
    docs = read_docs(tmp_path / "train.spacy", nlp)
    assert read_docs(tmp_path / "dev.spacy", nlp) == []
    assert [d.text for d in docs] == [t for t, _ in cases]
    for doc, (text, spans) in zip(docs, cases, strict=True):
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            (s.start, s.end, s.label) for s in spans
        ]
        assert [e.text for e in doc.ents] == [text[s.start : s.end] for s in spans]
        # The article was reviewed in full: every other token is "outside", none missing.
        assert all(t.ent_iob_ in ("B", "I", "O") for t in doc)
    assert report.counts == {
        "train": {"articles": 4, "spans": 10},
        "dev": {"articles": 0, "spans": 0},
    }
    assert report.labels["train"] == {"GPE": 5, "ORG": 2, "PERSON": 3}


def test_accepts_language_code_or_nlp_object(tmp_path):
    text = "Reuters reported from Kyiv."
    a = art(text, [span_of(text, "Kyiv", "GPE")])
    r1 = export_spacy([a], tmp_path / "code", "en", dev_split=0.0)
    r2 = export_spacy([a], tmp_path / "obj", spacy.blank("en"), dev_split=0.0)
    assert r1.lang == r2.lang == "en"
    assert (tmp_path / "code" / "train.spacy").read_bytes() == (
        tmp_path / "obj" / "train.spacy"
    ).read_bytes()


def test_misaligned_span_is_reported_not_dropped_silently(nlp, tmp_path):
    text = "Officials in Zaporizhzhia and Kyiv said so."
    bad = Span(13, 18, "GPE")  # "Zapor": inside a token
    good = span_of(text, "Kyiv", "GPE")
    report = export_spacy([art(text, [bad, good], id=7)], tmp_path, nlp, dev_split=0.0)
    assert not report.ok
    [m] = report.misaligned
    assert (m.article_id, m.start, m.end, m.label, m.text, m.problem) == (
        7,
        13,
        18,
        "GPE",
        "Zapor",
        "misaligned",
    )
    assert (m.hint_start, m.hint_end) == (13, 25)
    assert "Zaporizhzhia" in m.hint
    assert m.input_hash == input_hash(text)
    [doc] = read_docs(tmp_path / "train.spacy", nlp)
    assert [(e.text, e.label_) for e in doc.ents] == [("Kyiv", "GPE")]
    # The misaligned span's token is unknown (missing), not taught as "outside".
    zap = next(t for t in doc if t.text == "Zaporizhzhia")
    assert zap.ent_iob_ == ""
    manifest = load_manifest(tmp_path)
    assert manifest["problems"] == {"misaligned": 1}
    [entry] = manifest["misaligned"]
    assert entry["article_id"] == 7 and entry["start"] == 13 and entry["end"] == 18
    assert entry["text"] == "Zapor" and entry["label"] == "GPE"
    assert report.counts["train"]["spans"] == 1
    assert any("could not be exported" in w for w in manifest["warnings"])


def test_strict_raises_and_writes_nothing(nlp, tmp_path):
    text = "Officials in Zaporizhzhia and Kyiv said so."
    good = art("Peskov spoke.", [Span(0, 6, "PERSON")], id=1)
    bad = art(text, [Span(13, 18, "GPE"), span_of(text, "Kyiv", "GPE")], id=2)
    out = tmp_path / "out"
    with pytest.raises(ExportError) as info:
        export_spacy([good, bad], out, nlp, strict=True)
    assert "Zapor" in str(info.value) and "article 2" in str(info.value)
    assert len(info.value.misaligned) == 1
    assert not out.exists() or list(out.iterdir()) == []

    # An earlier export in the same folder is left exactly as it was, with no temp files.
    export_spacy([good], out, nlp, dev_split=0.0)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(ExportError):
        export_spacy([good, bad], out, nlp, strict=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # Strict passes when everything aligns.
    assert export_spacy([good], out, nlp, strict=True).ok


def test_overlapping_and_malformed_spans_are_reported_not_a_crash(nlp, tmp_path):
    text = "They flew from New York City to Kyiv."
    spans = [
        span_of(text, "New York City", "GPE"),
        span_of(text, "York City", "GPE"),  # overlaps: E103/E1010 territory
        Span(5, 5, "GPE"),  # empty
        Span(30, 99, "GPE"),  # past the end of the text
        Span(0, 4, ""),  # no label
        span_of(text, "Kyiv", "GPE"),
    ]
    report = export_spacy([art(text, spans)], tmp_path, nlp, dev_split=0.0)
    assert sorted(m.problem for m in report.misaligned) == [
        "empty",
        "no_label",
        "out_of_range",
        "overlap",
    ]
    overlap = next(m for m in report.misaligned if m.problem == "overlap")
    assert "New York City" in overlap.hint
    [doc] = read_docs(tmp_path / "train.spacy", nlp)
    assert [(e.text, e.label_) for e in doc.ents] == [("New York City", "GPE"), ("Kyiv", "GPE")]
    with pytest.raises(ExportError):
        export_spacy([art(text, spans)], tmp_path / "strict", nlp, strict=True)


def test_duplicates_are_skipped_first_one_kept(nlp, tmp_path):
    text = "Peskov spoke in Moscow."
    first = art(text, [span_of(text, "Peskov", "PERSON")], id=1)
    again = art(text, [span_of(text, "Moscow", "GPE")], id=2)
    other = art("Another article about Kyiv.", [Span(22, 26, "GPE")], id=3)
    report = export_spacy([first, again, other, first], tmp_path, nlp, dev_split=0.5)
    assert report.duplicates_skipped == 2
    docs = all_docs(tmp_path, nlp)
    assert sorted(d.text for d in docs) == sorted([text, other.text])
    dup = next(d for d in docs if d.text == text)
    assert [e.text for e in dup.ents] == ["Peskov"]
    assert load_manifest(tmp_path)["duplicates_skipped"] == 2


def test_only_accepted_by_default_others_counted(nlp, tmp_path):
    articles = [
        art("Accepted text about Kyiv.", [Span(20, 24, "GPE")], "accepted", id=1),
        art("Rejected text.", [], "rejected", id=2),
        art("Skipped text.", [], "skipped", id=3),
        art("Pending text about Lyman.", [Span(19, 24, "GPE")], "pending", id=4),
    ]
    report = export_spacy(articles, tmp_path / "a", nlp, dev_split=0.0)
    assert report.total_articles == 1
    assert report.excluded == {"rejected": 1, "skipped": 1, "pending": 1}
    assert load_manifest(tmp_path / "a")["excluded_by_status"] == report.excluded

    # A partly reviewed article exported on request: unannotated tokens are missing.
    report = export_spacy(
        articles, tmp_path / "b", nlp, dev_split=0.0, statuses=("accepted", "pending")
    )
    assert report.total_articles == 2
    pending = next(d for d in read_docs(tmp_path / "b" / "train.spacy", nlp) if "Pending" in d.text)
    assert [e.text for e in pending.ents] == ["Lyman"]
    assert pending[0].ent_iob_ == ""


def test_dev_split_is_stable_and_about_the_fraction():
    hashes = [input_hash(f"article number {i}") for i in range(1000)]
    dev = [is_dev(h, 0.2, 0) for h in hashes]
    assert 0.16 <= sum(dev) / len(dev) <= 0.24
    # Pure function of (hash, fraction, seed): same answer every time.
    assert dev == [is_dev(h, 0.2, 0) for h in hashes]
    # A different seed gives a different split; raising the fraction only moves train -> dev.
    assert dev != [is_dev(h, 0.2, 1) for h in hashes]
    assert all(is_dev(h, 0.3, 0) for h, d in zip(hashes, dev, strict=True) if d)
    assert not any(is_dev(h, 0.0, 0) for h in hashes)
    assert all(is_dev(h, 1.0, 0) for h in hashes)


def test_exporting_more_articles_never_moves_existing_ones(nlp, tmp_path):
    def make(i):
        text = f"Report {i}: fighting near Kyiv continued."
        return art(text, [span_of(text, "Kyiv", "GPE")], id=i)

    def sets(out):
        return {
            split: {d.text for d in read_docs(out / f"{split}.spacy", nlp)}
            for split in ("train", "dev")
        }

    export_spacy([make(i) for i in range(100)], tmp_path / "a", nlp, seed=3)
    # More annotation later, in a different order.
    export_spacy([make(i) for i in reversed(range(250))], tmp_path / "b", nlp, seed=3)
    a, b = sets(tmp_path / "a"), sets(tmp_path / "b")
    assert a["train"] <= b["train"] and a["dev"] <= b["dev"]
    assert a["dev"] and a["train"]


def test_manifest_contents(nlp, tmp_path):
    articles = [
        art(
            f"Story {i} about Kyiv and Reuters.",
            id=i,
            spans=[
                Span(len(f"Story {i} about "), len(f"Story {i} about Kyiv"), "GPE"),
                Span(
                    len(f"Story {i} about Kyiv and "),
                    len(f"Story {i} about Kyiv and Reuters"),
                    "ORG",
                ),
            ],
        )
        for i in range(40)
    ]
    report = export_spacy(articles, tmp_path, nlp, dev_split=0.25, seed=11)
    m = load_manifest(tmp_path)
    assert m == report.to_manifest() | {"files": m["files"]}
    assert m["tool"] == "annotator" and m["tool_version"] == annotator.__version__
    assert m["spacy_version"] == spacy.__version__
    assert m["lang"] == "en" and m["tokenizer"]["lang"] == "en"
    assert m["split"]["seed"] == 11 and m["split"]["dev_split"] == 0.25
    assert m["format"] == "spacy"
    assert m["files"] == ["train.spacy", "dev.spacy", "manifest.json"]
    counts = m["counts"]
    assert counts["train"]["articles"] + counts["dev"]["articles"] == 40
    assert counts["train"]["spans"] + counts["dev"]["spans"] == 80
    assert counts["dev"]["articles"] == sum(is_dev(a.input_hash, 0.25, 11) for a in articles)
    for split in ("train", "dev"):
        n = counts[split]["articles"]
        assert m["labels"][split] == ({"GPE": n, "ORG": n} if n else {})
    assert m["misaligned"] == [] and m["duplicates_skipped"] == 0
    assert re.match(r"\d{4}-\d\d-\d\dT", m["created"])
    # Only the three files: temp files were renamed away.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dev.spacy",
        "manifest.json",
        "train.spacy",
    ]


def test_progress_callback_and_cancel(nlp, tmp_path):
    articles = [art(f"Text number {i}.", id=i) for i in range(600)]
    seen = []
    export_spacy(articles, tmp_path / "ok", nlp, on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (600, 600) and len(seen) >= 3

    def cancel(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_spacy(iter(articles), tmp_path / "cancel", nlp, on_progress=cancel)
    assert not (tmp_path / "cancel").exists() or list((tmp_path / "cancel").iterdir()) == []


# --------------------------------------------------------------------------- JSONL export


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_tokens_and_inclusive_token_end(nlp, tmp_path):
    text = "Hooray 😀 New\u00a0York and Kyiv."
    spans = [
        span_of(text, "New\u00a0York", "GPE"),
        Span(text.index("Kyiv"), text.index("Kyiv") + 4, "GPE", "model"),
    ]
    report = export_jsonl(
        [art(text, spans, title="A title", meta={"source": "x.txt"})], tmp_path / "out.jsonl", nlp
    )
    assert report.ok and report.counts == {"all": {"articles": 1, "spans": 2}}
    [task] = read_jsonl(tmp_path / "out.jsonl")
    assert "😀" in (tmp_path / "out.jsonl").read_text(encoding="utf-8")  # ensure_ascii=False
    doc = nlp.make_doc(text)
    assert task["text"] == text
    assert task["meta"] == {"source": "x.txt", "title": "A title"}
    assert task["_view_id"] == "ner_manual"
    assert task["tokens"] == [
        {
            "text": t.text,
            "start": t.idx,
            "end": t.idx + len(t),
            "id": t.i,
            "ws": bool(t.whitespace_),
        }
        for t in doc
    ]
    for sp in task["spans"]:
        first, last = task["tokens"][sp["token_start"]], task["tokens"][sp["token_end"]]
        assert first["start"] == sp["start"] and last["end"] == sp["end"]  # inclusive end
    ny, kyiv = task["spans"]
    assert ny == {
        "start": spans[0].start,
        "end": spans[0].end,
        "token_start": 2,
        "token_end": 4,
        "label": "GPE",
        "source": "human",
    }
    assert kyiv["token_start"] == kyiv["token_end"] and kyiv["source"] == "model"
    assert isinstance(task["_input_hash"], int) and isinstance(task["_task_hash"], int)


def test_jsonl_answer_mapping_and_hashes(nlp, tmp_path):
    articles = [
        art("Accepted one.", status="accepted", id=1),
        art("Rejected one.", status="rejected", id=2),
        art("Skipped one.", status="skipped", id=3),
        art("Pending one.", status="pending", id=4),
        art("From Prodigy.", status="accepted", id=5, prodigy_input_hash=-12, prodigy_task_hash=34),
    ]
    report = export_jsonl(articles, tmp_path / "sub" / "all.jsonl", nlp)
    tasks = read_jsonl(tmp_path / "sub" / "all.jsonl")
    assert [t.get("answer") for t in tasks] == ["accept", "reject", "ignore", None, "accept"]
    assert "answer" not in tasks[3]
    assert (tasks[4]["_input_hash"], tasks[4]["_task_hash"]) == (-12, 34)
    assert tasks[0]["_input_hash"] == prodigy_input_hash({"text": "Accepted one."})
    assert report.counts["all"]["articles"] == 5
    # Derived hashes: signed 32-bit, stable, span order does not matter, spans do.
    for t in tasks:
        assert -(2**31) <= t["_input_hash"] < 2**31 and -(2**31) <= t["_task_hash"] < 2**31
    text = "Peskov met Lavrov."
    a, b = Span(0, 6, "PERSON"), Span(11, 17, "PERSON")
    hashes = {}
    for name, spans in {"ab": [a, b], "ba": [b, a], "a": [a]}.items():
        export_jsonl([art(text, spans)], tmp_path / f"{name}.jsonl", nlp)
        hashes[name] = read_jsonl(tmp_path / f"{name}.jsonl")[0]["_task_hash"]
    assert hashes["ab"] == hashes["ba"] != hashes["a"]
    # statuses filter and duplicates
    report = export_jsonl(
        articles + articles[:1], tmp_path / "acc.jsonl", nlp, statuses=("accepted",)
    )
    assert [t["answer"] for t in read_jsonl(tmp_path / "acc.jsonl")] == ["accept", "accept"]
    assert report.duplicates_skipped == 1 and report.excluded == {
        "rejected": 1,
        "skipped": 1,
        "pending": 1,
    }


def test_jsonl_misaligned_written_and_reported(nlp, tmp_path):
    text = "Officials in Zaporizhzhia said so."
    report = export_jsonl([art(text, [Span(13, 18, "GPE")], id=9)], tmp_path / "m.jsonl", nlp)
    [task] = read_jsonl(tmp_path / "m.jsonl")
    [sp] = task["spans"]
    assert (sp["start"], sp["end"], sp["token_start"], sp["token_end"]) == (13, 18, 2, 2)
    [m] = report.misaligned
    assert (m.article_id, m.text, m.problem) == (9, "Zapor", "misaligned")
    assert [p.name for p in tmp_path.iterdir()] == ["m.jsonl"]  # no temp file left


# --------------------------------------------------------------------------- real data


@needs_fashion
def test_jsonl_tokens_match_prodigys_own(nlp, tmp_path):
    """Our tasks have the shape of a real Prodigy export, and the same tokens.

    That export was tokenized by an older spaCy, which split a few texts differently ("3-day",
    "id."); those few (4 of 1,235) may differ in tokens, nothing else may.
    """
    keys = ("start", "end", "token_start", "token_end", "label")
    originals = read_jsonl(FASHION)
    report = export_jsonl(fashion_articles(), tmp_path / "fb.jsonl", nlp)
    assert report.ok and report.counts["all"] == {"articles": 1235, "spans": 527}
    ours = read_jsonl(tmp_path / "fb.jsonl")
    assert len(ours) == len(originals)
    retokenized = 0
    for mine, theirs in zip(ours, originals, strict=True):
        assert mine["text"] == theirs["text"] and mine["meta"] == theirs["meta"]
        assert (mine["_input_hash"], mine["_task_hash"], mine["answer"], mine["_view_id"]) == (
            theirs["_input_hash"],
            theirs["_task_hash"],
            theirs["answer"],
            theirs["_view_id"],
        )
        assert all(set(t) == {"text", "start", "end", "id", "ws"} for t in mine["tokens"])
        assert [(s["start"], s["end"], s["label"]) for s in mine["spans"]] == [
            (s["start"], s["end"], s["label"]) for s in theirs["spans"]
        ]
        if [{k: v for k, v in t.items() if k != "ws"} for t in mine["tokens"]] != theirs["tokens"]:
            retokenized += 1
            continue
        assert [{k: s[k] for k in keys} for s in mine["spans"]] == [
            {k: s[k] for k in keys} for s in theirs["spans"]
        ]
    assert retokenized <= 10


@needs_fashion
def test_fashion_brands_export_round_trip(nlp, tmp_path):
    report = export_spacy(fashion_articles(), tmp_path, nlp)
    assert report.misaligned == [] and report.duplicates_skipped == 0
    docs = all_docs(tmp_path, nlp)
    assert len(docs) == 1235
    assert sum(len(d.ents) for d in docs) == 527
    assert {e.label_ for d in docs for e in d.ents} == {"FASHION_BRAND"}
    m = load_manifest(tmp_path)
    assert m["counts"]["train"]["articles"] + m["counts"]["dev"]["articles"] == 1235
    assert m["labels"]["train"]["FASHION_BRAND"] + m["labels"]["dev"]["FASHION_BRAND"] == 527
    assert 0.15 <= m["counts"]["dev"]["articles"] / 1235 <= 0.25


def run_spacy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spacy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@needs_fashion
def test_spacy_debug_data_and_train_accept_the_export(nlp, tmp_path):
    """`spacy debug data` finds no errors and `spacy train` runs (20 steps, ~10-20 s)."""
    export_spacy(fashion_articles(), tmp_path, nlp)
    paths = ["--paths.train", "train.spacy", "--paths.dev", "dev.spacy"]
    init = run_spacy(
        "init", "config", "--lang", "en", "--pipeline", "ner", "config.cfg", cwd=tmp_path
    )
    assert init.returncode == 0, init.stdout + init.stderr

    debug = run_spacy("debug", "data", "config.cfg", *paths, cwd=tmp_path)
    output = debug.stdout + debug.stderr
    assert debug.returncode == 0, output
    errors = [line for line in output.splitlines() if "✘" in line]
    assert errors == [], output
    assert "No overlap between training and evaluation data" in output

    train = run_spacy(
        "train",
        "config.cfg",
        "--output",
        "model",
        *paths,
        "--training.max_steps",
        "20",
        "--training.eval_frequency",
        "10",
        "--system.seed",
        "0",
        cwd=tmp_path,
    )
    assert train.returncode == 0, train.stdout + train.stderr
    assert (tmp_path / "model" / "model-last" / "config.cfg").exists()
    assert (tmp_path / "model" / "model-last" / "ner").is_dir()


# --------------------------------------------------------------------------- added with issue 8


def test_prodigy_hashes_reproduce_prodigys_own(corpora):
    """Prodigy's set_hashes, reproduced exactly on a real export (docs/decisions.md)."""
    path = corpora / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"
    originals = read_jsonl(path)
    assert len(originals) == 1235
    for theirs in originals:
        # The tasks as Prodigy hashed them: text and meta, no spans yet (ner.manual's stream).
        mine = set_hashes({"text": theirs["text"], "meta": theirs["meta"]})
        assert (mine["_input_hash"], mine["_task_hash"]) == (
            theirs["_input_hash"], theirs["_task_hash"])  # fmt: skip


def test_prodigy_hashes_of_a_hand_made_task():
    """The scheme pinned on literal strings: "text=" + JSON of the text (ASCII-escaped);
    the input hash, then "spans=" + JSON with sorted keys and no spaces."""
    import mmh3

    spans = [{"start": 21, "end": 28, "token_start": 3, "token_end": 3, "label": "PRODUCT"}]
    task = {"text": "Annotator exports to Prodigÿ.", "spans": spans}
    ih = prodigy_input_hash(task)
    assert ih == mmh3.hash('text="Annotator exports to Prodig\\u00ff."') == 609087888
    assert (
        task_hash(task, ih)
        == mmh3.hash(
            '609087888spans=[{"end":28,"label":"PRODUCT","start":21,"token_end":3,"token_start":3}]'
        )
        == -772644374
    )
    assert set_hashes(dict(task))["_task_hash"] == -772644374
    kept = set_hashes({**task, "_input_hash": 1, "_task_hash": 2})
    assert (kept["_input_hash"], kept["_task_hash"]) == (1, 2)  # as Prodigy: never overwritten


def test_jsonl_derives_the_task_hash_from_the_imported_input_hash(nlp, tmp_path):
    text = "Peskov met Lavrov."
    a = art(text, [Span(0, 6, "PERSON")], prodigy_input_hash=-5, prodigy_task_hash=None)
    export_jsonl([a], tmp_path / "t.jsonl", nlp)
    [task] = read_jsonl(tmp_path / "t.jsonl")
    assert task["_input_hash"] == -5
    assert task["_task_hash"] == task_hash({"spans": task["spans"]}, -5)


def test_every_problem_kind_has_a_name(nlp, tmp_path):
    text = "They flew from New York City to Kyiv."
    spans = [span_of(text, "New York City", "GPE"), span_of(text, "York City", "GPE"),
             Span(5, 5, "GPE"), Span(30, 99, "GPE"), Span(0, 4, ""),
             Span(32, 34, "GPE")]  # fmt: skip
    report = export_spacy([art(text, spans)], tmp_path, nlp, dev_split=0.0)
    assert {m.problem: m.kind for m in report.misaligned} == {
        "misaligned": "not on token boundaries",
        "overlap": "overlapping another span",
        "empty": "empty",
        "out_of_range": "outside the text",
        "no_label": "without a label",
    }
    assert report.problems == {"misaligned": 1, "overlap": 1, "out_of_range": 1, "empty": 1,
                               "no_label": 1}  # fmt: skip
    with pytest.raises(ExportError) as info:
        export_spacy([art(text, spans)], tmp_path / "strict", nlp, strict=True)
    first = str(info.value).splitlines()[0]
    assert "1 not on token boundaries" in first and "1 overlapping another span" in first


def test_jsonl_strict_writes_nothing(nlp, tmp_path):
    text = "Officials in Zaporizhzhia said so."
    good = art("Peskov spoke.", [Span(0, 6, "PERSON")], id=1)
    bad = art(text, [Span(13, 18, "GPE")], id=2)
    with pytest.raises(ExportError) as info:
        export_jsonl([good, bad], tmp_path / "s.jsonl", nlp, strict=True)
    assert "Zapor" in str(info.value) and len(info.value.misaligned) == 1
    assert list(tmp_path.iterdir()) == []
    assert export_jsonl([good], tmp_path / "s.jsonl", nlp, strict=True).ok


def test_the_streamed_docbin_holds_what_spacys_docbin_would(tmp_path):
    """formats/docbin_stream.py writes the msgpack map DocBin.to_bytes makes (flat memory):
    the same message after decompression, and DocBin reads it back."""
    import zlib

    import spacy
    import srsly
    from spacy.tokens import DocBin

    from annotator.core.formats.docbin_stream import StreamingDocBin

    nlp = spacy.blank("en")
    docs = []
    for i, text in enumerate(["Angela Merkel met Reuters in Paris.", "Two  spaces\n and a line",
                              "", "Ünïcödé Zürich ☃"]):  # fmt: skip
        doc = nlp.make_doc(text)
        if i == 0:
            doc.set_ents([doc.char_span(0, 13, "PERSON"), doc.char_span(18, 25, "ORG")],
                         default="outside")  # fmt: skip
        docs.append(doc)
    theirs = DocBin(store_user_data=False)
    ours = StreamingDocBin(tmp_path)
    for doc in docs:
        theirs.add(doc)
        ours.add(doc)
    sha = ours.write(tmp_path / "ours.spacy")
    data = (tmp_path / "ours.spacy").read_bytes()
    import hashlib

    assert sha == hashlib.sha256(data).hexdigest()
    assert srsly.msgpack_loads(zlib.decompress(data)) == srsly.msgpack_loads(
        zlib.decompress(theirs.to_bytes()))
    back = list(DocBin().from_disk(tmp_path / "ours.spacy").get_docs(nlp.vocab))
    assert [d.text for d in back] == [d.text for d in docs]
    assert [(e.text, e.label_) for e in back[0].ents] == [("Angela Merkel", "PERSON"),
                                                          ("Reuters", "ORG")]  # fmt: skip
