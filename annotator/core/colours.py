"""Default label colours and keys: the one place that decides them.

Colours are displaCy's (spacy.displacy.render.DEFAULT_LABEL_COLORS), so spaCy users
recognise them; labels displaCy doesn't know get a colour from a fixed palette. displaCy
gives several labels one colour (DATE and TIME; MONEY, QUANTITY, ORDINAL, CARDINAL and
PERCENT; LAW and LANGUAGE): in a project, `pick_colour` gives a label whose default colour
another label already has the first palette colour not in use, so no two labels share one
unless the user recolours them so. The palette's colours are at least 14 apart in CIELAB
from each other and from displaCy's, light enough for dark text.
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
    "#f49a9a", "#b0f49a", "#9ac7f4", "#f49add", "#f4b09a", "#9ab0f4", "#ddf49a", "#dd9af4",
    "#f4c79a", "#f4dd9a", "#9af4c7", "#dc7474", "#dc74c2", "#74dc74", "#748edc", "#dc74a8",
    "#7474dc", "#74c2dc", "#f6cbcb", "#cbe0f6", "#b897d8", "#d897b8", "#6199d1", "#61d1b5",
)  # fmt: skip
KEYS = tuple("1234567890")


def default_colour(label: str) -> str:
    if label in DISPLACY_COLOURS:
        return DISPLACY_COLOURS[label]
    digest = hashlib.sha1(label.encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def pick_colour(label: str, used) -> str:
    """The colour a new label gets in a project whose labels already use the colours
    ``used``: its default, or else the first palette colour not in use (the default again
    when every palette colour is taken)."""
    taken = {c.lower() for c in used}
    colour = default_colour(label)
    if colour.lower() not in taken:
        return colour
    return next((c for c in PALETTE if c not in taken), colour)


def default_key(order: int) -> str | None:
    return KEYS[order] if 0 <= order < len(KEYS) else None


def is_colour(value: str) -> bool:
    v = value.lstrip("#")
    return (
        value.startswith("#") and len(v) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in v)
    )
