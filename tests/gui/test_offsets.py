"""Code points <-> Qt positions, without Qt: the reference is the text's UTF-16 encoding."""

from __future__ import annotations

import random

import pytest

from annotator.gui.offsets import Utf16Map


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def reference_qt(text: str, cp: int) -> int:
    """Where setPlainText puts code point `cp`: UTF-16 units before it, a "\\r\\n" pair
    counting once (its "\\n" sits at the same position as its "\\r")."""
    pairs = sum(1 for i in range(cp) if text[i : i + 2] == "\r\n")
    return utf16_len(text[:cp]) - pairs


def check_everywhere(text: str) -> Utf16Map:
    m = Utf16Map(text)
    previous = -1
    for cp in range(len(text) + 1):
        qt = m.to_qt(cp)
        assert qt == reference_qt(text, cp), (cp, qt)
        assert qt >= previous
        previous = qt
        # The "\n" of a "\r\n" shares its position with the "\r": it maps back to the "\r".
        back = cp - 1 if 0 < cp < len(text) and text[cp - 1 : cp + 1] == "\r\n" else cp
        assert m.to_py(qt) == back, (cp, qt)
    assert m.qt_length == reference_qt(text, len(text))
    return m


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII, Barack Obama",
        "CJK 東京と北京、中文新闻",  # BMP: one unit each
        "NBSP\u00a0before Obama and a line\u2028separator and a paragraph\u2029separator",
        "combining e\u0301 and n\u0303 and Z\u0336\u0335\u0334",
        "tabs\tand\x0bvertical\x0cfeeds\x85next line",
    ],
)
def test_bmp_text_is_the_identity(text):
    m = check_everywhere(text)
    assert m.identity
    assert all(m.to_qt(i) == i for i in range(len(text) + 1))


def test_emoji_before_a_span_shifts_it_by_one_per_emoji():
    text = "😀 and 🇫🇷: Barack Obama"
    m = check_everywhere(text)
    start = text.index("Barack")
    assert m.to_qt(start) == start + 3  # one emoji + a flag of two regional indicators
    assert m.range_to_py(*m.range_to_qt(start, len(text))) == (start, len(text))
    assert not m.identity


def test_astral_cjk_and_math_letters():
    text = "𠮷野家 in 𝐁𝐨𝐥𝐝 letters"
    m = check_everywhere(text)
    assert m.to_qt(1) == 2
    assert m.to_qt(text.index("letters")) == text.index("letters") + 5


def test_inside_a_surrogate_pair_rounds_up():
    m = Utf16Map("a😀b")
    assert m.to_qt(1) == 1 and m.to_qt(2) == 3
    assert m.to_py(2) == 2  # between the two halves of the emoji: after it
    assert m.to_py(3) == 2


def test_crlf_is_one_position():
    text = "ab\r\ncd\r\n\r\n😀e"
    m = check_everywhere(text)
    assert m.to_qt(text.index("c")) == 3
    assert m.to_py(2) == 2  # the break is the "\r"
    assert m.to_py(3) == text.index("c")
    assert m.qt_length == len(text) - 3 + 1


def test_out_of_range_positions_are_clamped():
    m = Utf16Map("a😀b")
    assert m.to_py(-5) == 0
    assert m.to_py(99) == 3
    assert Utf16Map("abc").to_py(99) == 3


def test_mixed_random_texts_round_trip_at_every_index():
    alphabet = list("ab \n\r.") + ["\r\n", "\u00a0", "\u2028", "\u0301", "東", "😀", "𝐁", "🇫"]
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        check_everywhere(text)


def test_big_text_keeps_the_fast_path():
    text = "Plain news text, with NBSP\u00a0and CJK 東京. " * 10_000
    m = Utf16Map(text)
    assert m.identity
    assert m.to_qt(len(text)) == len(text)
