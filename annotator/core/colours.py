"""Default label colours and keys: the one place that decides them.

Colours are displaCy's (spacy.displacy.render.DEFAULT_LABEL_COLORS), so spaCy users
recognise them; labels displaCy doesn't know get a colour from a fixed palette.
"""

from __future__ import annotations

import hashlib

DISPLACY_COLOURS = {
    "ORG": "#7aecec",
    "PRODUCT": "#bfeeb7",
    "GPE": "#feca74",
    "LOC": "#ff9561",
    "PERSON": "#aa9cfc",
    "NORP": "#c887fb",
    "FAC": "#9cc9cc",
    "EVENT": "#ffeb80",
    "LAW": "#ff8197",
    "LANGUAGE": "#ff8197",
    "WORK_OF_ART": "#f0d0ff",
    "DATE": "#bfe1d9",
    "TIME": "#bfe1d9",
    "MONEY": "#e4e7d2",
    "QUANTITY": "#e4e7d2",
    "ORDINAL": "#e4e7d2",
    "CARDINAL": "#e4e7d2",
    "PERCENT": "#e4e7d2",
}
PALETTE = (
    "#f4a7b9", "#a7d8f4", "#c5e99b", "#ffd59e", "#d7b8f3",
    "#9ee6d6", "#f9c784", "#b5c7f7", "#f7b5e1", "#d6e5a8",
)  # fmt: skip
KEYS = tuple("1234567890")


def default_colour(label: str) -> str:
    if label in DISPLACY_COLOURS:
        return DISPLACY_COLOURS[label]
    digest = hashlib.sha1(label.encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def default_key(order: int) -> str | None:
    return KEYS[order] if 0 <= order < len(KEYS) else None


def is_colour(value: str) -> bool:
    v = value.lstrip("#")
    return (
        value.startswith("#") and len(v) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in v)
    )
