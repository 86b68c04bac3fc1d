"""The words a search found, located in the article's text as the search index matches
them: every query word as a prefix of a text word, ignoring case and accents."""

from __future__ import annotations

from annotator.core.search_hits import search_hits


def spans(text, query):
    return [text[a:b] for a, b in search_hits(text, query)]


def test_hits_are_prefixes_of_words_ignoring_case_and_accents():
    text = "Fuel prices: fuelling anger in Kyïv; KYIV officials met the Kyivans. refuel"
    assert spans(text, "fuel") == ["Fuel", "fuel"]  # "refuel": not at the start of a word
    assert spans(text, "kyiv") == ["Kyïv", "KYIV", "Kyiv"]
    assert spans(text, "fuel kyiv") == ["Fuel", "fuel", "Kyïv", "KYIV", "Kyiv"]
    assert spans(text, "  ") == [] and spans(text, "!!") == []


def test_the_longest_query_word_wins_and_offsets_are_code_points():
    text = "😀 Paris, Parisians and a pari"
    got = search_hits(text, "pari paris")
    assert [text[a:b] for a, b in got] == ["Paris", "Paris", "pari"]
    assert got[0] == (2, 7)  # the emoji is one code point
    assert spans("Straße strasse", "strass") == ["Straß", "strass"]  # ß folds to ss
