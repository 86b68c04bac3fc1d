"""Stable train/dev assignment.

An article's set depends only on its text's identity (``input_hash``), the seed and the
fraction: exporting again after more annotation never moves an existing article between sets,
and raising ``dev_split`` only ever moves articles from train to dev (never the other way).
"""

from __future__ import annotations

import hashlib

_SCALE = float(1 << 64)


def split_value(input_hash: str, seed: int = 0) -> float:
    """A uniform number in [0, 1) fixed by ``seed`` and ``input_hash``."""
    digest = hashlib.sha256(f"{seed}:{input_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def is_dev(input_hash: str, dev_split: float, seed: int = 0) -> bool:
    """True if the article with this ``input_hash`` belongs to the dev set."""
    if dev_split <= 0.0:
        return False
    if dev_split >= 1.0:
        return True
    return split_value(input_hash, seed) < dev_split
