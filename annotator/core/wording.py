"""Counts in words: "1 accepted article", "2 accepted articles"."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """`n` and the noun phrase `one` (singular) or `many` (default: `one` + "s")."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
