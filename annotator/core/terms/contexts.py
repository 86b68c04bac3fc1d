"""Where a candidate term occurs in the project's articles: a few lines of context, found
through the full-text index (so a million articles cost what ten do)."""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from ..errors import ProjectError

if TYPE_CHECKING:
    from ..project import Project

WIDTH = 60  # characters of context on each side
LOOK_IN = 30  # articles the index finds, looked through for whole-token occurrences


def term_pattern(text: str) -> re.Pattern:
    """The term as whole tokens, any case, any whitespace between its words."""
    words = [re.escape(w) for w in text.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def examples(project: Project, text: str, n: int = 3, width: int = WIDTH) -> list[str]:
    """Up to `n` snippets of different articles where `text` occurs, one line each, with
    "…" where they were cut."""
    if not text.strip():
        return []
    try:
        ids = project.articles.ids(search=text, catch_up=False, limit=LOOK_IN)
    except (ProjectError, sqlite3.Error):  # an index that cannot answer: no examples
        return []
    pattern = term_pattern(text)
    out: list[str] = []
    for art in project.articles_by_id(ids):
        found = pattern.search(art.text)
        if found is None:
            continue
        out.append(snippet(art.text, found.start(), found.end(), width))
        if len(out) >= n:
            break
    return out


def snippet(text: str, start: int, end: int, width: int = WIDTH) -> str:
    """text[start:end] with up to `width` characters each side, cut at a space, on one line."""
    left, right = max(0, start - width), min(len(text), end + width)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    body = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + body + ("…" if right < len(text) else "")
