"""Reading articles: one, many, in batches with their spans, the queue, search and counts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..errors import ProjectError
from ..records import STATUSES, Span
from .connection import Store
from .queue import QueueRows


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    text: str
    title: str
    source: str
    meta: dict
    status: str
    status_by: str | None
    status_at: str | None
    input_hash: str
    version: int
    prodigy_input_hash: int | None = None
    prodigy_task_hash: int | None = None
    annotation: str = "complete"  # or "partial": only its spans are known (records.py)
    flagged: bool = False  # flagged for later by an annotator, with `flag_note`
    flag_note: str = ""


COLS = (
    "id, text, title, source, meta, status, status_by, status_at, input_hash, version, "
    "prodigy_input_hash, prodigy_task_hash, annotation, flagged, flag_note"
)


def _article(row: tuple) -> Article:
    return Article(*row[:4], json.loads(row[4]), *row[5:13], bool(row[13]), row[14])


def search_words(text: str) -> list[str]:
    return [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must appear (prefix match)."""
    return " ".join(f'"{w}"*' for w in search_words(text)) or '""'


ENTITY_PREFIX = "kb:"  # a search for `kb:Q3874799` lists the articles mentioning the entity


def entity_query(text: str) -> str | None:
    """The entity id of a search `kb:ID` (case of `kb` ignored), else None."""
    text = text.strip()
    if text[:3].lower() != ENTITY_PREFIX:
        return None
    entity = text[3:].strip()
    return entity or None


MAX_EXPANSION = 20  # a prefix with more indexed completions stays a prefix query


def expanded_query(conn, text: str) -> str | None:
    """The same search as `fts_query`, with each prefix word written as the OR of the
    indexed words it completes to (read from the index's vocabulary), which FTS5 can stream
    in id order: the first page of "fuel prices" on a million articles takes ~1 ms instead
    of ~100 ms (a prefix term's whole list of articles is read first). None: some word
    completes to nothing, so nothing matches. Words that are not plain ASCII, or complete to
    many words, stay prefix terms (same results, the slower way)."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.articles_fts_terms "
                 "USING fts5vocab(main, articles_fts, 'row')")  # fmt: skip
    parts = []
    for word in search_words(text):
        if not word.isascii():
            parts.append(f'"{word}"*')
            continue
        low = word.lower()
        upper = low[:-1] + chr(ord(low[-1]) + 1)
        terms = [r[0] for r in conn.execute(
            "SELECT term FROM temp.articles_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
            [low, upper, MAX_EXPANSION + 1])]  # fmt: skip
        if not terms:
            return None
        if len(terms) > MAX_EXPANSION:
            parts.append(f'"{low}"*')
        else:
            parts.append("(" + " OR ".join(f'"{t}"' for t in terms) + ")")
    return " AND ".join(parts) or None


class Articles:
    def __init__(self, store: Store):
        self.store = store

    def _q(self, sql: str, args=()):
        return self.store.conn.execute(sql, args)

    def get(self, article_id: int) -> Article:
        row = self._q(f"SELECT {COLS} FROM articles WHERE id = ?", [article_id]).fetchone()
        if row is None:
            raise ProjectError(f"no article {article_id}")
        return _article(row)

    def many(self, ids: Sequence[int]) -> list[Article]:
        """The articles with these ids, in the order given (missing ids are left out)."""
        found: dict[int, Article] = {}
        for i in range(0, len(ids), 900):
            chunk = list(ids[i : i + 900])
            marks = ",".join("?" * len(chunk))
            for row in self._q(f"SELECT {COLS} FROM articles WHERE id IN ({marks})", chunk):
                found[row[0]] = _article(row)
        return [found[i] for i in ids if i in found]

    def version(self, article_id: int) -> int:
        row = self._q("SELECT version FROM articles WHERE id = ?", [article_id]).fetchone()
        if row is None:
            raise ProjectError(f"no article {article_id}")
        return row[0]

    def iterate(self, statuses: Sequence[str] | None = None, batch: int = 500
                ) -> Iterator[Article]:  # fmt: skip
        """All articles (optionally of some statuses) in id order, read in batches."""
        where, args = "", []
        if statuses:
            where = f" AND status IN ({','.join('?' * len(statuses))})"
            args = list(statuses)
        last = 0
        while True:
            rows = self._q(
                f"SELECT {COLS} FROM articles WHERE id > ?{where} ORDER BY id LIMIT ?",
                [last, *args, batch],
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _article(row)
            last = rows[-1][0]

    def with_spans(self, arts: list[Article]) -> Iterator[tuple[Article, list[Span]]]:
        """The given articles (sorted by id) with their stored spans, in one query."""
        if not arts:
            return
        by_article: dict[int, list[Span]] = {a.id: [] for a in arts}
        rows = self._q(
            'SELECT article_id, start, "end", label, source, kb_id FROM spans '
            "WHERE article_id BETWEEN ? AND ? ORDER BY article_id, start, id",
            [arts[0].id, arts[-1].id],
        )
        for aid, start, end, label, source, kb_id in rows:
            if aid in by_article:
                by_article[aid].append(Span(start, end, label, source, kb_id))
        for art in arts:
            yield art, by_article[art.id]

    def iterate_with_spans(self, statuses: Sequence[str] | None = None, batch: int = 500
                           ) -> Iterator[tuple[Article, list[Span]]]:  # fmt: skip
        arts: list[Article] = []
        for art in self.iterate(statuses, batch):
            arts.append(art)
            if len(arts) == batch:
                yield from self.with_spans(arts)
                arts = []
        yield from self.with_spans(arts)

    def accepted_versions(self) -> dict[int, int]:
        return dict(self._q("SELECT id, version FROM articles WHERE status = 'accepted'"))

    def accepted_signature(self) -> tuple:
        """Changes whenever the accepted spans may have changed (cheap to compute)."""
        return tuple(self._q(
            "SELECT count(*), coalesce(sum(version), 0), coalesce(max(version), 0) "
            "FROM articles WHERE status = 'accepted'"
        ).fetchone()) + tuple(self._q("SELECT count(*), coalesce(max(id), 0) FROM spans"
                                      ).fetchone())  # fmt: skip

    # ---- the queue ----------------------------------------------------------------------
    def queue(self, status: str | None = None, flagged: bool = False, sort: str = "id",
              descending: bool = False) -> QueueRows:  # fmt: skip
        """The queue's rows for a filter, read a page at a time (see store/queue.py)."""
        return QueueRows(self._q, self.counts(), status, flagged, sort, descending)

    def ids(self, status: str | None = None, search: str | None = None,
            flagged: bool = False, *, catch_up: bool = True,
            limit: int | None = None, sort: str = "id",
            descending: bool = False) -> list[int]:  # fmt: skip
        """The ids of a filter, in id order or by status then id (`sort`), the first `limit`
        only if given. A search first indexes what is missing unless `catch_up` is False
        (the window's search worker has done that already, off the UI thread)."""
        sql, args, conds = "SELECT id FROM articles", [], []
        if flagged:
            conds.append("flagged = 1")
        if status:
            conds.append("status = ?")
            args.append(status)
        if search and search.strip():
            if catch_up and not self.store.read_only:
                self.ensure_search_index()
            entity = entity_query(search)
            if entity is not None:
                return self._search_entity(entity, conds, args, limit, sort, descending)
            return self._search(search, conds, args, limit, sort, descending)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        way = "DESC" if descending else "ASC"
        sql += f" ORDER BY id {way}" if sort == "id" else f" ORDER BY status {way}, id {way}"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [r[0] for r in self._q(sql, args).fetchall()]

    def _search(self, text: str, conds: list[str], args: list, limit: int | None, sort: str,
                descending: bool) -> list[int]:  # fmt: skip
        """A search: the index drives, in id order, so the first page stops early. A
        read-only project cannot index what the index is missing: that part is read as
        text (words compared as the index would: prefixes, ignoring case and accents)."""
        if self.store.read_only and self.unindexed():
            return self._search_all(text, conds, args, limit, sort, descending)
        expr = expanded_query(self.store.conn, text)
        if expr is None:
            return []
        way = "DESC" if descending else "ASC"
        order = f"f.rowid {way}" if sort == "id" else f"a.status {way}, f.rowid {way}"
        where = "".join(f" AND a.{c}" for c in conds)
        sql = (f"SELECT a.id FROM articles_fts f JOIN articles a ON a.id = f.rowid "
               f"WHERE articles_fts MATCH ?{where} ORDER BY {order}")  # fmt: skip
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self._q(sql, [expr, *args]).fetchall()]

    def _search_entity(self, entity_id: str, conds: list[str], args: list, limit: int | None,
                       sort: str, descending: bool) -> list[int]:  # fmt: skip
        """`kb:ID`: the articles with a span linked to the entity, and those whose text
        holds one of its names or aliases as whole words (store/links.py), in the order
        asked for."""
        from .kb import KnowledgeBase
        from .links import Links
        from .settings import Events

        links = Links(self.store)
        found = links.linked_to(entity_id)
        names = KnowledgeBase(self.store, Events(self.store)).aliases_of([entity_id])[entity_id]
        if names:
            found |= links.naming(names)
        ids = sorted(found)
        rows: list[tuple[int, str]] = []
        where = "".join(f" AND {c}" for c in conds)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows += self._q(f"SELECT id, status FROM articles WHERE id IN ({marks}){where}",
                            [*chunk, *args]).fetchall()  # fmt: skip
        key = (lambda r: r[0]) if sort == "id" else (lambda r: (r[1], r[0]))
        out = [r[0] for r in sorted(rows, key=key, reverse=descending)]
        return out if limit is None else out[:limit]

    def _search_all(self, text: str, conds: list[str], args: list, limit: int | None,
                    sort: str, descending: bool) -> list[int]:  # fmt: skip
        from ..search_hits import matches_all

        upto = self._q("SELECT indexed_upto FROM search_index_state").fetchone()[0]
        found = set()
        if upto:
            expr = expanded_query(self.store.conn, text)
            if expr is not None:
                found.update(r[0] for r in self._q(
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [expr]))
        tail = self._q("SELECT id, title, text FROM articles WHERE id > ?", [upto])
        found.update(aid for aid, title, body in tail if matches_all(f"{title}\n{body}", text))
        where = "".join(f" AND {c}" for c in conds)
        way = "DESC" if descending else "ASC"
        order = f"id {way}" if sort == "id" else f"status {way}, id {way}"
        ids = [r[0] for r in self._q(f"SELECT id FROM articles WHERE 1{where} ORDER BY {order}",
                                     args) if r[0] in found]  # fmt: skip
        return ids if limit is None else ids[:limit]

    def unindexed(self) -> int:
        """How many articles the search index is missing (cheap: a range of rowids)."""
        return self._q(
            "SELECT count(*) FROM articles WHERE id > (SELECT indexed_upto FROM search_index_state)"
        ).fetchone()[0]

    def ensure_search_index(self, chunk: int = 5000, limit: int | None = None) -> int:
        """Index the articles added since the index was last brought up to date, `chunk` at a
        time, each chunk in a transaction of its own (with `limit`, stop after about that many).
        Returns how many were indexed. Safe to run from several connections at once: each
        chunk reads where the index stands under the write lock."""
        done = 0
        while limit is None or done < limit:
            step = chunk if limit is None else max(1, min(chunk, limit - done))
            with self.store.write():
                upto = self._q("SELECT indexed_upto FROM search_index_state").fetchone()[0]
                last = self._q(
                    "SELECT max(id) FROM (SELECT id FROM articles WHERE id > ? ORDER BY id "
                    "LIMIT ?)",
                    [upto, step],
                ).fetchone()[0]
                if last is None:
                    return done
                cur = self._q(
                    "INSERT INTO articles_fts(rowid, title, text) "
                    "SELECT id, title, text FROM articles WHERE id > ? AND id <= ?",
                    [upto, last],
                )
                done += cur.rowcount
                self._q("UPDATE search_index_state SET indexed_upto = ?", [last])
        return done

    def queue_rows(self, ids: Sequence[int]) -> list[tuple[int, str, str, str, str | None]]:
        """(id, title, status, first line, reviewer or None) for the given ids, for a list
        view."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._q(
            f"SELECT id, title, status, substr(text, 1, 120), reviewed_by FROM articles "
            f"WHERE id IN ({marks})", list(ids),
        ).fetchall()  # fmt: skip
        by_id = {r[0]: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def next_id(self, after: int | None = None, status: str = "pending") -> int | None:
        """The next article of a status after `after` (wrapping round), or None."""
        row = self._q("SELECT id FROM articles WHERE status = ? AND id > ? ORDER BY id LIMIT 1",
                      [status, after or 0]).fetchone()  # fmt: skip
        if row is None and after:
            row = self._q("SELECT id FROM articles WHERE status = ? ORDER BY id LIMIT 1",
                          [status]).fetchone()  # fmt: skip
        return row[0] if row else None

    def neighbour_id(self, article_id: int, step: int) -> int | None:
        op, order = (">", "ASC") if step > 0 else ("<", "DESC")
        row = self._q(
            f"SELECT id FROM articles WHERE id {op} ? ORDER BY id {order} LIMIT 1 OFFSET ?",
            [article_id, abs(step) - 1],
        ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        """Articles per status, all of them ("articles") and the flagged ones: read from
        `article_counts`, which triggers keep (one small read at any size)."""
        out = dict.fromkeys(STATUSES, 0)
        out["flagged"] = 0
        out.update(self._q("SELECT status, n FROM article_counts"))
        out["articles"] = sum(out[s] for s in STATUSES)
        return out

    def stats(self) -> dict:
        c = self.counts()
        labels = dict(self._q(
            "SELECT label, count(*) FROM spans JOIN articles ON articles.id = spans.article_id "
            "WHERE articles.status = 'accepted' GROUP BY label ORDER BY label"
        ).fetchall())  # fmt: skip
        return {"articles": c["articles"], "pending": c["pending"], "accepted": c["accepted"],
                "rejected": c["rejected"], "skipped": c["skipped"],
                "spans": sum(labels.values()), "labels": labels}  # fmt: skip
