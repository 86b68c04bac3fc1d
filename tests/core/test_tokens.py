from annotator.core.tokens import TokenIndex

TEXT = "😀 Vladimir Putin met NATO's chief\u00a0in Kyiv."


def test_snap_expands_to_tokens():
    idx = TokenIndex(TEXT)
    s = TEXT.index("ladi")
    assert idx.snap(s, s + 3) == (TEXT.index("Vladimir"), TEXT.index("Vladimir") + 8)
    v = TEXT.index("Vladimir")
    assert TEXT[slice(*idx.snap(v + 2, TEXT.index("Putin") + 2))] == "Vladimir Putin"
    assert idx.snap(v - 1, v - 1) is None or TEXT[slice(*idx.snap(v - 1, v - 1))] != " "


def test_caret_snaps_to_token_and_reversed_selection():
    idx = TokenIndex(TEXT)
    k = TEXT.index("Kyiv")
    assert idx.snap(k + 2, k + 2) == (k, k + 4)
    assert idx.snap(k + 4, k) == (k, k + 4)


def test_only_spaces_snap_to_nothing():
    idx = TokenIndex("a    b")
    assert idx.snap(2, 3) is None


def test_grow_and_shrink():
    idx = TokenIndex(TEXT)
    v = TEXT.index("Vladimir")
    p_end = TEXT.index("Putin") + 5
    assert idx.resize(v, v + 8, "end", +1) == (v, p_end)
    assert idx.resize(v, p_end, "end", -1) == (v, v + 8)
    assert idx.resize(v, v + 8, "end", -1) is None  # would leave no token
    assert idx.resize(v, v + 8, "start", +1) == (0, v + 8)  # the emoji is a token
    assert idx.resize(0, 1, "start", +1) is None  # nothing before the first token
    n = TEXT.index("NATO")
    assert TEXT[slice(*idx.resize(n, n + 4, "end", +1))] == "NATO's"
