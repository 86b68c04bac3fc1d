"""The keys an alias is found by: `norm` (case and accents folded) and `skeleton` (a key
that survives transliteration), and the similarity that judges a skeleton's matches.

`norm(text)`: NFKD without combining marks, a few letters NFKD keeps whole folded too
(ł → l, ø → o, đ → d, æ → ae...), typographic quotes and dashes made ASCII, casefolded,
whitespace collapsed. "Zelenskýy", "ZELENSKYY" and " zelenskyy " share "zelenskyy".

`skeleton(norm)`:
1. Cyrillic and Greek letters are transliterated (Київ → kiiv), punctuation removed
   (hyphens and slashes split words: Al-Qaeda, Al Qaeda and AlQaeda meet);
2. spellings of one sound become one mark: shch/sch/sh → S, tch/ch/cz → C, zh → Z,
   ts/tz → C, kh → h, ph → f, th → t, ck/c/q → k, x → ks, w → v, g → h (Ukrainian г:
   Luhansk/Lugansk), y/j → i;
3. doubled letters (and doubled marks: zhzh) collapse to one;
4. vowels after a word's first letter are dropped; a word that starts with a vowel
   starts with "a" (Yevgeny/Evgeny); the words are joined and doubles collapsed again
   (Al Laden/Alladen).

So Kyiv/Kiev → "kv", Zelensky/Zelenskyy/Zelenskiy → "zlnsk", Kharkiv/Kharkov → "hrkv",
Zaporizhzhia/Zaporozhye → "zprZ". Names whose consonants differ (Mykolaiv/Nikolaev) do
not meet. A skeleton's matches are re-ranked by `similarity` on `phonetic` forms (steps
1-3, vowels kept), and those below `FUZZY_MIN` are left out, so "Bern" (skeleton "brn")
is not offered for "Baron".

`ends(norm)`: the skeletons of the first and the last word of a name of two words or more
("Volodymyr Zelenskyy" → "vldmr", "zlnsk"), of its words of three letters or more that
are not "the", "and" or a suffix such as "Jr" or "Inc": a mention that is one word of a
name ("Zelensky", "Kherson" for "Kherson Oblast") finds it as a part match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

FUZZY_MIN = 0.72  # similarity of phonetic forms a fuzzy match needs (see tests/core/test_kb)

# Letters NFKD leaves whole, and typographic punctuation, as ASCII.
_FOLD = str.maketrans({
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h",
    "ı": "i", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th",
    "ð": "d", "Ð": "d", "ŀ": "l", "ß": "ss",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
})  # fmt: skip

_TRANSLIT = str.maketrans({
    # Cyrillic (Ukrainian and Russian together; й, ї, ё arrive without their marks)
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "iu", "я": "ia", "ў": "u", "ј": "j", "џ": "dzh", "ђ": "dj", "ћ": "c", "љ": "lj",
    "њ": "nj",
    # Greek (after NFKD: no tonos)
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "i", "φ": "f", "χ": "kh", "ψ": "ps",
    "ω": "o",
})  # fmt: skip

_SOUNDS = (("shch", "S"), ("sch", "S"), ("tch", "C"), ("sh", "S"), ("ch", "C"), ("cz", "C"),
           ("zh", "Z"), ("ts", "C"), ("tz", "C"), ("kh", "h"), ("ph", "f"), ("th", "t"),
           ("ck", "k"))  # fmt: skip
_SOUND_RE = re.compile("|".join(a for a, _ in _SOUNDS))
_SOUND_OF = dict(_SOUNDS)
_LETTERS = str.maketrans({"c": "k", "q": "k", "x": "ks", "w": "v", "g": "h", "y": "i",
                          "j": "i"})  # fmt: skip
_SPLIT = re.compile(r"[\s\-/_.·]+")
_DROP = re.compile(r"[^\w ]|_")
_DOUBLE = re.compile(r"(.)\1+")
_HEAD_VOWEL = re.compile(r"\b[aeiou]")
_INNER_VOWEL = re.compile(r"\B[aeiou]")


def norm(text: str) -> str:
    """Case and accents folded, whitespace collapsed: how an alias is compared loosely."""
    if text.isascii():
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_FOLD)
    return " ".join(text.casefold().split())


def _sounds(normed: str) -> str:
    """Steps 1-3 on the whole norm, words separated by one space."""
    if not normed.isascii():
        normed = normed.translate(_TRANSLIT)
    text = _DROP.sub("", _SPLIT.sub(" ", normed))
    text = _SOUND_RE.sub(lambda m: _SOUND_OF[m.group()], text).translate(_LETTERS)
    return _DOUBLE.sub(r"\1", text).strip()


@lru_cache(maxsize=65536)
def phonetic(normed: str) -> str:
    """The norm transliterated, one mark per sound, doubles collapsed, vowels kept:
    what `similarity` compares."""
    return _sounds(normed).replace(" ", "")


def skeleton(normed: str) -> str:
    """The transliteration-tolerant key of a norm (see the module docstring)."""
    text = _INNER_VOWEL.sub("", _HEAD_VOWEL.sub("a", _sounds(normed)))
    return _DOUBLE.sub(r"\1", text.replace(" ", ""))


_WORD = re.compile(r"[^\W_]+")
_NOT_ENDS = frozenset(("the", "and", "for", "jr", "sr", "inc", "ltd", "llc", "corp", "plc",
                       "gmbh"))  # fmt: skip


def name_words(normed: str) -> list[str]:
    """The words of a norm a part match may use: letters and digits, three or more, not
    an article or a company suffix."""
    return [w for w in _WORD.findall(normed) if len(w) >= 3 and w not in _NOT_ENDS]


def ends(normed: str) -> tuple[str | None, str | None]:
    """(head, tail): the skeletons of the first and last word of a name of two words or
    more (see the module docstring); (None, None) for a one-word name."""
    if len(_WORD.findall(normed)) < 2:
        return None, None
    words = name_words(normed)
    if not words:
        return None, None
    head, tail = skeleton(words[0]), skeleton(words[-1])
    return head or None, tail or None


def similarity(a: str, b: str) -> float:
    """0..1: how alike two norms sound: 2·LCS / (|a| + |b|) of their phonetic forms, LCS
    the longest common subsequence (difflib's ratio, but exact)."""
    pa, pb = phonetic(a), phonetic(b)
    if pa == pb:
        return 1.0
    return Alike(pa).ratio(pb)


class Alike:
    """Ratios of one phonetic form against many (a look-up's skeleton matches): the LCS
    by bit-parallel steps (Hyyrö), one per character of the other string."""

    __slots__ = ("text", "masks", "full")

    def __init__(self, text: str):
        self.text = text
        self.masks: dict[str, int] = {}
        for i, c in enumerate(text):
            self.masks[c] = self.masks.get(c, 0) | (1 << i)
        self.full = (1 << len(text)) - 1

    def ratio(self, other: str) -> float:
        if not self.text and not other:
            return 1.0
        masks, row = self.masks, self.full
        for c in other:
            matched = row & masks.get(c, 0)
            row = (row + matched) | (row - matched)
        common = len(self.text) - (row & self.full).bit_count()
        return 2 * common / (len(self.text) + len(other))
