"""Stored spans, and the one validated path every span write takes.

`Spans.check()` is used by import, accept, add, change, undo and redo alike: a span is
stored only if its label exists, it lies inside the text, it covers whole tokens of the
project's tokenizer (a span that does not is widened to whole tokens, the same snapping
the window applies to a selection), and it overlaps no other span of the article.
A change to an article's spans also drops a Prodigy `_task_hash` kept from an import:
that hash described the spans as they were.

A span may name an entity (`kb_id`, entity linking): None is "not linked", NIL is "not in
the knowledge base", anything else must be an entity of the project's knowledge base when
the link is new (a link made by hand, a suggested link confirmed): an unknown id is refused
with a LinkError naming it. Links that come back as they were (undo, redo, a review taking
an annotator's version) and links an import brings are kept as they are (`links="keep"`):
an import may come before the knowledge base is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ProjectError, SpanError
from ..records import NIL, Span, check_kb_id
from ..tokens import snap
from .connection import Store
from .labels import Labels
from .settings import Events, now

_COLS = 'id, article_id, start, "end", label, source, annotator, kb_id'
LINK_MODES = ("check", "keep")


class LinkError(SpanError):
    """A link to an entity the knowledge base does not hold (or an id that cannot be one)."""

    def __init__(self, message: str, kb_id: str | None = None, span=None):
        super().__init__(message, span, "kb_id")
        self.kb_id = kb_id


def unknown_entity_message(kb_id: str) -> str:
    return (f"there is no entity {kb_id} in the knowledge base: the link was not made (add the "
            f"entity to the knowledge base first, or link to {NIL})")




@dataclass(frozen=True, slots=True)
class StoredSpan:
    id: int
    article_id: int
    start: int
    end: int
    label: str
    source: str
    annotator: str
    kb_id: str | None = None  # the entity it names: an id, NIL, or None (not linked)

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label, self.source, self.kb_id)


class Spans:
    def __init__(self, store: Store, labels: Labels, language, kb=None):
        """`kb()`: the project's knowledge base (store/kb.py), asked which ids it holds."""
        self.store, self.labels, self._language = store, labels, language
        self._kb = kb

    # ---- links -------------------------------------------------------------------------
    def known(self, ids: Sequence[str]) -> set[str]:
        """The ids among `ids` that the knowledge base holds."""
        if self._kb is not None:
            kb = self._kb()
        else:
            from .kb import KnowledgeBase

            kb = KnowledgeBase(self.store, Events(self.store))
        return set(kb.many(list(dict.fromkeys(ids)))) if ids else set()

    def check_links(self, kb_ids: Sequence[str | None], spans: Sequence = ()) -> None:
        """LinkError for the first id (None and NIL aside) that cannot be a link or that
        the knowledge base does not hold."""
        wanted = {}
        for i, kb_id in enumerate(kb_ids):
            if kb_id is None:
                continue
            try:
                checked = check_kb_id(kb_id)
            except ValueError as exc:
                raise LinkError(str(exc), kb_id, spans[i] if spans else None) from None
            if checked != NIL:
                wanted.setdefault(checked, spans[i] if spans else None)
        if wanted:
            known = self.known(list(wanted))
            for kb_id, span in wanted.items():
                if kb_id not in known:
                    raise LinkError(unknown_entity_message(kb_id), kb_id, span)

    # ---- reading -------------------------------------------------------------------
    def of(self, article_id: int) -> list[StoredSpan]:
        rows = self.store.conn.execute(
            f"SELECT {_COLS} FROM spans WHERE article_id = ? ORDER BY start, id", [article_id]
        ).fetchall()
        return [StoredSpan(*r) for r in rows]

    def get(self, span_id: int) -> StoredSpan:
        row = self.store.conn.execute(f"SELECT {_COLS} FROM spans WHERE id = ?",
                                      [span_id]).fetchone()  # fmt: skip
        if row is None:
            raise ProjectError(f"no span {span_id}")
        return StoredSpan(*row)

    # ---- the validated path ----------------------------------------------------------
    def check(self, article_id: int, spans: Sequence[Span], *, text: str | None = None,
              ignore: Sequence[int] = (),
              existing: Sequence[Span] | None = None,
              links: str = "check") -> list[Span]:  # fmt: skip
        """The spans as they may be stored (snapped to tokens), or SpanError saying why
        one cannot be. `ignore`: ids of stored spans being replaced. `text`/`existing`
        may be given by a caller that has them (a new article being imported). `links`:
        "check" refuses a link to an entity the knowledge base does not hold (LinkError),
        "keep" stores links as they are (see the module docstring)."""
        if not spans:
            return []
        if links == "check":
            self.check_links([s.kb_id for s in spans], spans)
        if text is None:
            row = self.store.conn.execute("SELECT text FROM articles WHERE id = ?",
                                          [article_id]).fetchone()  # fmt: skip
            if row is None:
                raise ProjectError(f"no article {article_id}")
            text = row[0]
        labels = set(self.labels.names())
        lang = self._language()
        out: list[Span] = []
        for s in spans:
            where = f"[{s.start}, {s.end}) {s.label}"
            if s.label not in labels:
                raise SpanError(f"span {where}: there is no label {s.label}", s, "label")
            if not (0 <= s.start < s.end <= len(text)):
                raise SpanError(f"span {where} is outside the text ({len(text)} characters)",
                                s, "range")  # fmt: skip
            snapped = snap(text, s.start, s.end, lang)
            if snapped is None:
                raise SpanError(f"span {where} covers no word", s, "empty")
            out.append(s if snapped == (s.start, s.end)
                       else Span(*snapped, s.label, s.source, s.kb_id))
        if existing is None:
            existing = [st.span for st in self.of(article_id) if st.id not in set(ignore)]
        _no_overlap(out, existing)
        return out

    def insert(self, article_id: int, spans: Sequence[Span], annotator: str = "",
               ids: Sequence[int | None] | None = None, *, checked: bool = False,
               text: str | None = None, links: str = "check") -> list[int]:  # fmt: skip
        """Store spans (validated unless `checked`; `links` as for `check`); `ids` re-create
        spans under the ids they had (undo, redo). Must run inside a write transaction."""
        assert self.store.conn.in_transaction
        if not checked:
            spans = self.check(article_id, spans, text=text, links=links)
        stamp = now()
        conn = self.store.conn
        out = []
        for i, s in enumerate(spans):
            cur = conn.execute(
                'INSERT INTO spans(id, article_id, start, "end", label, source, annotator, '
                "created_at, kb_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ids[i] if ids else None, article_id, s.start, s.end, s.label, s.source,
                 annotator, stamp, s.kb_id],
            )  # fmt: skip
            out.append(cur.lastrowid)
        if spans:
            self.changed(article_id)
        return out

    def replace(self, span_id: int, new: Span, annotator: str = "",
                links: str = "keep") -> StoredSpan:  # fmt: skip
        """Give a stored span new boundaries, label, source and link (validated; the link
        as `links` says). Returns the span as it was. Must run inside a write transaction."""
        assert self.store.conn.in_transaction
        old = self.get(span_id)
        (new,) = self.check(old.article_id, [new], ignore=[span_id], links=links)
        self.store.conn.execute(
            'UPDATE spans SET start = ?, "end" = ?, label = ?, source = ?, annotator = ?, '
            "kb_id = ? WHERE id = ?",
            [new.start, new.end, new.label, new.source, annotator, new.kb_id, span_id],
        )
        self.changed(old.article_id)
        return old

    def link(self, span_id: int, kb_id: str | None, links: str = "check") -> StoredSpan:
        """Set the entity a stored span names (`links` as for `check`). Returns the span as
        it was. Must run inside a write transaction."""
        assert self.store.conn.in_transaction
        old = self.get(span_id)
        if links == "check":
            self.check_links([kb_id], [old.span])
        self.store.conn.execute("UPDATE spans SET kb_id = ? WHERE id = ?", [kb_id, span_id])
        self.changed(old.article_id)
        return old

    def delete(self, span_ids: Sequence[int], article_id: int) -> None:
        if span_ids:
            marks = ",".join("?" * len(span_ids))
            self.store.conn.execute(f"DELETE FROM spans WHERE id IN ({marks})", list(span_ids))
            self.changed(article_id)

    def changed(self, article_id: int) -> None:
        """The article's spans changed: a new version, and no stale Prodigy task hash."""
        self.store.conn.execute(
            "UPDATE articles SET version = version + 1, prodigy_task_hash = NULL WHERE id = ?",
            [article_id],
        )


def _no_overlap(new: Sequence[Span], existing: Sequence[Span]) -> None:
    pool = sorted([(s.start, s.end, s, True) for s in new]
                  + [(s.start, s.end, s, False) for s in existing],
                  key=lambda t: (t[0], t[1]))  # fmt: skip
    widest = None
    for start, end, span, is_new in pool:
        if widest is not None and start < widest[1] and (is_new or widest[3]):
            a, b = (span, widest[2]) if is_new else (widest[2], span)
            raise SpanError(
                f"span [{a.start}, {a.end}) {a.label} overlaps [{b.start}, {b.end}) {b.label}",
                a, "overlap",
            )  # fmt: skip
        if widest is None or end > widest[1]:
            widest = (start, end, span, is_new)
