"""Links between spans and knowledge-base entities, as far as the spans' side goes.

- Links *offered* in an article (`offered`, `offer`, `restore`): linking one mention offers
  the same entity to the other mentions of the same string there. An offer is a row of
  `imported_suggestions` with a `kb_id` at the mention's place (the table the suggestions
  that came with an import live in; an imported suggestion's own link is one too). A row
  with `kb_id` '' (DECLINED) says the annotator took the link away there: no link is
  suggested at that place, neither offered nor learnt.
- The text of the spans of accepted articles with their links (`span_forms`), for the
  learnt links (`annotator/core/learnt_links.py`), and the articles that mention an entity
  (`mentioning`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..records import Span

DECLINED = ""  # imported_suggestions.kb_id of a place where the link was taken away


@dataclass(frozen=True, slots=True)
class Offered:
    """What an offer found at a place, to put it back (undo)."""

    start: int
    end: int
    label: str
    existed: bool  # a suggestion row was there already (its link is `kb_id`)
    kb_id: str | None = None
    source: str = "decision"


class Links:
    def __init__(self, store):
        self.store = store

    # ---- offered links -----------------------------------------------------------------
    def offered(self, article_id: int) -> dict[tuple[int, int], dict[str, str]]:
        """{(start, end): {label: kb_id}} of the links offered in the article (DECLINED
        where one was taken away)."""
        out: dict[tuple[int, int], dict[str, str]] = {}
        for start, end, label, kb_id in self.store.conn.execute(
            'SELECT start, "end", label, kb_id FROM imported_suggestions '
            "WHERE article_id = ? AND kb_id IS NOT NULL", [article_id]):  # fmt: skip
            out.setdefault((start, end), {})[label] = kb_id
        return out

    def offer(self, article_id: int, items: Iterable[tuple[Span, str]]) -> list[Offered]:
        """Offer `kb_id` at each span's place (DECLINED: take the link away there). Returns
        what was there before, for `restore`. Must run inside a write transaction."""
        conn = self.store.conn
        assert conn.in_transaction
        before = []
        for span, kb_id in items:
            key = [article_id, span.start, span.end, span.label]
            row = conn.execute(
                'SELECT kb_id, source FROM imported_suggestions WHERE article_id = ? AND '
                'start = ? AND "end" = ? AND label = ?', key).fetchone()  # fmt: skip
            if row is not None:
                before.append(Offered(span.start, span.end, span.label, True, *row))
                conn.execute('UPDATE imported_suggestions SET kb_id = ? WHERE article_id = ? '
                             'AND start = ? AND "end" = ? AND label = ?', [kb_id, *key])
            else:
                before.append(Offered(span.start, span.end, span.label, False))
                conn.execute('INSERT INTO imported_suggestions(article_id, start, "end", label, '
                             "source, kb_id) VALUES (?, ?, ?, ?, 'decision', ?)", [*key, kb_id])
        return before

    def restore(self, article_id: int, before: Sequence[Offered]) -> None:
        """Put back what `offer` found (in reverse, so a place offered twice ends as it
        was first). Must run inside a write transaction."""
        conn = self.store.conn
        assert conn.in_transaction
        for o in reversed(before):
            key = [article_id, o.start, o.end, o.label]
            if o.existed:
                conn.execute('UPDATE imported_suggestions SET kb_id = ?, source = ? WHERE '
                             'article_id = ? AND start = ? AND "end" = ? AND label = ?',
                             [o.kb_id, o.source, *key])  # fmt: skip
            else:
                conn.execute('DELETE FROM imported_suggestions WHERE article_id = ? AND '
                             'start = ? AND "end" = ? AND label = ?', key)  # fmt: skip

    # ---- what the learnt links count -----------------------------------------------------
    def span_forms(self, article_ids: Sequence[int]) -> list[tuple[int, str | None, str]]:
        """(article id, kb_id, the span's text) of every span of these articles."""
        out = []
        for i in range(0, len(article_ids), 500):
            chunk = list(article_ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            out += self.store.conn.execute(
                'SELECT s.article_id, s.kb_id, substr(a.text, s.start + 1, s."end" - s.start) '
                "FROM spans s JOIN articles a ON a.id = s.article_id "
                f"WHERE s.article_id IN ({marks})", chunk).fetchall()  # fmt: skip
        return out

    def has_links(self) -> bool:
        """True when some span is linked (NIL included). Cheap: an index of linked spans."""
        return self.store.conn.execute(
            "SELECT 1 FROM spans WHERE kb_id IS NOT NULL LIMIT 1").fetchone() is not None

    # ---- search by entity ------------------------------------------------------------------
    def linked_to(self, entity_id: str) -> set[int]:
        """The articles with a span linked to the entity (an index of linked spans)."""
        return {r[0] for r in self.store.conn.execute(
            "SELECT DISTINCT article_id FROM spans WHERE kb_id = ?", [entity_id])}  # fmt: skip

    def naming(self, aliases: Sequence[str], upto: int | None = None) -> set[int]:
        """The articles whose text holds one of `aliases` as whole words (ignoring case and
        accents, as the search does): candidates from the full-text index (every word of an
        alias), each checked in its text. Articles the index does not hold yet (id above
        `upto`, the index's extent) are read as text."""
        words = [w for w in (_WORD.findall(a) for a in aliases) if w]
        phrases = [p for p in (tuple(fold(x) for x in w) for w in words) if all(p)]
        if not phrases:
            return set()
        conn = self.store.conn
        found: set[int] = set()
        # the index folds case and accents itself: the words go in as written
        query = " OR ".join("(" + " AND ".join(f'"{x}"' for x in dict.fromkeys(w)) + ")"
                            for w in words)  # fmt: skip
        if upto is None:
            upto = conn.execute("SELECT indexed_upto FROM search_index_state").fetchone()[0]
        if upto:
            ids = [r[0] for r in conn.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [query])]
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for aid, text in conn.execute(
                        f"SELECT id, text FROM articles WHERE id IN ({marks})", chunk):
                    if _holds(text, phrases):
                        found.add(aid)
        for aid, text in conn.execute("SELECT id, text FROM articles WHERE id > ?", [upto or 0]):
            if _holds(text, phrases):
                found.add(aid)
        return found


_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, as the search splits words


def fold(s: str) -> str:
    """Lower case without accents (what the full-text index compares)."""
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _holds(text: str, phrases: Sequence[tuple[str, ...]]) -> bool:
    """True when the text's words hold one of the phrases (folded word sequences)."""
    words = [fold(w) for w in _WORD.findall(text)]
    firsts = {p[0] for p in phrases}
    for i, w in enumerate(words):
        if w in firsts:
            for p in phrases:
                if p[0] == w and tuple(words[i : i + len(p)]) == p:
                    return True
    return False
