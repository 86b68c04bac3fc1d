"""The annotator's changes to one article, each one write transaction.

Every change checks the article's version inside its transaction when the caller says
which version it saw (`expected_version`), writes spans only through `Spans` (validated),
bumps the version and appends to the event log.

Links (entity linking) follow the spans: a new link must name an entity of the knowledge
base (or NIL), a link that comes back (undo, redo) is put back as it was. A change of a
span's boundaries that changes its text drops its link (another string may name another
entity); a change of label alone keeps it (the annotator corrected the type, not the
thing named).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ProjectError
from ..records import STATUSES, Span
from .connection import Store
from .links import DECLINED, Links, Offered
from .settings import Events, now
from .spans import Spans, StoredSpan
from .suggestion_cache import SuggestionCache


@dataclass(frozen=True, slots=True)
class AcceptResult:
    """What `set_status` changed, enough to undo it."""

    article_id: int
    previous_status: str
    added_span_ids: tuple[int, ...]
    previous_annotation: str = "complete"
    # stored spans whose suggested link the accept confirmed: (span id, link it had)
    linked: tuple[tuple[int, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkChange:
    """What `set_link` changed, enough to undo it."""

    article_id: int
    span_id: int
    before: str | None  # the link the span had
    after: str | None
    offers: tuple[Offered, ...] = ()  # a link taken away: the place marked declined


def _expect(article_id: int, version: int | None):
    return None if version is None else (article_id, version)


class Edits:
    def __init__(self, store: Store, spans: Spans, cache: SuggestionCache, events: Events,
                 links: Links | None = None):  # fmt: skip
        self.store, self.spans, self.cache, self.events = store, spans, cache, events
        self.links = links if links is not None else Links(store)

    def _bump(self, article_id: int) -> None:
        self.store.conn.execute("UPDATE articles SET version = version + 1 WHERE id = ?",
                                [article_id])  # fmt: skip

    def add_span(self, article_id: int, span: Span, annotator: str = "",
                 expected_version: int | None = None,
                 span_id: int | None = None) -> int:  # fmt: skip
        """Store a span (with its link, if it has one). `span_id` re-creates a deleted span
        under its old id, its link as it was (undo, redo); otherwise a link must name an
        entity of the knowledge base or NIL."""
        with self.store.write(_expect(article_id, expected_version)):
            links = "check" if span_id is None else "keep"
            (span,) = self.spans.check(article_id, [span], links=links)
            (new_id,) = self.spans.insert(article_id, [span], annotator, [span_id], checked=True)
            extra = {"kb_id": span.kb_id} if span.kb_id is not None else {}
            self.events.log("span_add", article_id, annotator, span_id=new_id, start=span.start,
                            end=span.end, label=span.label, source=span.source,
                            **extra)  # fmt: skip
        return new_id

    def update_span(self, span_id: int, *, start: int | None = None, end: int | None = None,
                    label: str | None = None, annotator: str = "",
                    expected_version: int | None = None) -> StoredSpan:  # fmt: skip
        """Change a span's boundaries or label (it becomes a human span). Its link stays
        unless its text changes. Returns the span as it was before."""
        old = self.spans.get(span_id)
        new = Span(old.start if start is None else start, old.end if end is None else end,
                   old.label if label is None else label, "human")  # fmt: skip
        with self.store.write(_expect(old.article_id, expected_version)):
            old = self.spans.get(span_id)
            if old.kb_id is not None:
                (snapped,) = self.spans.check(old.article_id, [new], ignore=[span_id])
                text = self.store.conn.execute(
                    "SELECT substr(text, ? + 1, ? - ?) = substr(text, ? + 1, ? - ?) "
                    "FROM articles WHERE id = ?",
                    [old.start, old.end, old.start, snapped.start, snapped.end, snapped.start,
                     old.article_id]).fetchone()  # fmt: skip
                if text and text[0]:
                    new = Span(new.start, new.end, new.label, new.source, old.kb_id)
            old = self.spans.replace(span_id, new, annotator)
            self.events.log("span_update", old.article_id, annotator, span_id=span_id,
                            before=[old.start, old.end, old.label],
                            after=[new.start, new.end, new.label])  # fmt: skip
        return old

    def restore_span(self, old: StoredSpan, annotator: str = "",
                     expected_version: int | None = None) -> None:  # fmt: skip
        """Put a span back as it was (undo of update_span), validated like any write."""
        with self.store.write(_expect(old.article_id, expected_version)):
            self.spans.replace(old.id, old.span, old.annotator, links="keep")
            self.events.log("span_restore", old.article_id, annotator, span_id=old.id,
                            after=[old.start, old.end, old.label], kb_id=old.kb_id)  # fmt: skip

    def delete_span(self, span_id: int, annotator: str = "", expected_version: int | None = None,
                    dismiss: bool = True) -> StoredSpan:  # fmt: skip
        """Delete a span. It is remembered as dismissed, so it isn't suggested again,
        unless `dismiss` is False (undoing the span's creation)."""
        old = self.spans.get(span_id)
        with self.store.write(_expect(old.article_id, expected_version)):
            old = self.spans.get(span_id)
            self.spans.delete([span_id], old.article_id)
            if dismiss:
                self.cache.dismiss(old.article_id, old.span, annotator)
            extra = {"kb_id": old.kb_id} if old.kb_id is not None else {}
            self.events.log("span_delete", old.article_id, annotator, span_id=span_id,
                            start=old.start, end=old.end, label=old.label, **extra)  # fmt: skip
        return old

    # ---- links -----------------------------------------------------------------------------
    def set_link(self, span_id: int, kb_id: str | None, annotator: str = "",
                 expected_version: int | None = None) -> LinkChange:  # fmt: skip
        """Link a stored span to an entity (an id the knowledge base holds, or NIL), or
        take its link away (None: the place is also marked declined, so no link is
        suggested there). One transaction: the link, the article's version, the event."""
        old = self.spans.get(span_id)
        with self.store.write(_expect(old.article_id, expected_version)):
            old = self.spans.link(span_id, kb_id)
            offers: list[Offered] = []
            if kb_id is None:
                offers = self.links.offer(old.article_id, [(old.span, DECLINED)])
            self.events.log("link", old.article_id, annotator, span_id=span_id,
                            start=old.start, end=old.end, label=old.label,
                            before=old.kb_id, after=kb_id)  # fmt: skip
        return LinkChange(old.article_id, span_id, old.kb_id, kb_id, tuple(offers))

    def undo_link(self, change: LinkChange, annotator: str = "",
                  expected_version: int | None = None) -> None:  # fmt: skip
        """Put back the link `set_link` changed, as it was."""
        with self.store.write(_expect(change.article_id, expected_version)):
            self.spans.link(change.span_id, change.before, links="keep")
            self.links.restore(change.article_id, change.offers)
            self.events.log("link_undo", change.article_id, annotator, span_id=change.span_id,
                            before=change.after, after=change.before)  # fmt: skip

    def offer_links(self, article_id: int, offers: Sequence[tuple[Span, str | None]],
                    annotator: str = "", expected_version: int | None = None
                    ) -> list[Offered]:  # fmt: skip
        """Suggest a link at each span's place in the article (None: no link is to be
        suggested there). Returns what was there, for `restore_offers`. A link offered must
        name an entity of the knowledge base, or NIL."""
        offers = [(s, DECLINED if kb_id is None else kb_id) for s, kb_id in offers]
        with self.store.write(_expect(article_id, expected_version)):
            self.spans.check_links([k or None for _, k in offers], [s for s, _ in offers])
            before = self.links.offer(article_id, offers)
            self._bump(article_id)
            self.events.log("link_offer", article_id, annotator,
                            offers=[[s.start, s.end, s.label, k] for s, k in offers])
        return before

    def restore_offers(self, article_id: int, before: Sequence[Offered], annotator: str = "",
                       expected_version: int | None = None) -> None:  # fmt: skip
        with self.store.write(_expect(article_id, expected_version)):
            self.links.restore(article_id, before)
            self._bump(article_id)
            self.events.log("link_offer_undo", article_id, annotator,
                            offers=[[o.start, o.end, o.label] for o in before])

    def dismiss(self, article_id: int, span: Span, annotator: str = "",
                expected_version: int | None = None) -> None:  # fmt: skip
        """The annotator removed a suggestion: don't suggest it in this article again."""
        with self.store.write(_expect(article_id, expected_version)):
            self.cache.dismiss(article_id, span, annotator)
            self._bump(article_id)
            self.events.log("suggestion_dismiss", article_id, annotator, start=span.start,
                            end=span.end, label=span.label)  # fmt: skip

    def undismiss(self, article_id: int, span: Span, annotator: str = "",
                  expected_version: int | None = None) -> None:  # fmt: skip
        with self.store.write(_expect(article_id, expected_version)):
            self.cache.undismiss(article_id, span)
            self._bump(article_id)
            self.events.log("suggestion_undismiss", article_id, annotator, start=span.start,
                            end=span.end, label=span.label)  # fmt: skip

    def suggest(self, article_id: int, spans: Sequence[Span], annotator: str = "",
                expected_version: int | None = None, undo: bool = False) -> None:  # fmt: skip
        """Suggest `spans` in this article (labelling one mention suggests its other
        occurrences); `undo` takes them back. Labels are checked, ranges too."""
        with self.store.write(_expect(article_id, expected_version)):
            if undo:
                self.cache.remove_imported(article_id, spans)
            else:
                checked = [s for s in spans if self.spans.check(article_id, [s], existing=[])]
                self.cache.add_imported(article_id, checked, source="decision")
            self._bump(article_id)
            self.events.log("suggestion_unadd" if undo else "suggestion_add", article_id,
                            annotator,
                            spans=[[s.start, s.end, s.label] for s in spans])  # fmt: skip

    def flag(self, article_id: int, flagged: bool, note: str = "", annotator: str = "",
             expected_version: int | None = None) -> tuple[bool, str]:  # fmt: skip
        """Flag an article for later (with a note), or clear the flag. Returns the flag and
        note it had, for undo."""
        with self.store.write(_expect(article_id, expected_version)):
            row = self.store.conn.execute("SELECT flagged, flag_note FROM articles WHERE id = ?",
                                          [article_id]).fetchone()  # fmt: skip
            if row is None:
                raise ProjectError(f"no article {article_id}")
            self.store.conn.execute(
                "UPDATE articles SET flagged = ?, flag_note = ?, version = version + 1 "
                "WHERE id = ?",
                [int(flagged), note.strip() if flagged else "", article_id],
            )
            self.events.log("flag" if flagged else "unflag", article_id, annotator, note=note)
        return bool(row[0]), row[1]

    def set_status(self, article_id: int, status: str, annotator: str = "",
                   confirm: Sequence[Span] = (), expected_version: int | None = None,
                   span_ids: Sequence[int] | None = None,
                   links: Sequence[tuple[int, str]] = (),
                   check_links: bool = True) -> AcceptResult:  # fmt: skip
        """Accept, reject, skip or reopen an article. On accept, `confirm` holds the
        suggestions shown to the annotator: they become confirmed spans, validated, with
        the links they showed, in the same transaction as the status (under `span_ids`
        when a redo re-creates them); `links` (span id, entity) are the suggested links
        shown on stored spans, stored with them. A new link must name an entity of the
        knowledge base or NIL, unless `check_links` is False (a review taking an
        annotator's version) or it is a redo. An article accepted here was reviewed whole:
        its annotation becomes complete."""
        if status not in STATUSES:
            raise ProjectError(f"unknown status {status!r}")
        with self.store.write(_expect(article_id, expected_version)):
            row = self.store.conn.execute("SELECT status, annotation FROM articles WHERE id = ?",
                                          [article_id]).fetchone()  # fmt: skip
            if row is None:
                raise ProjectError(f"no article {article_id}")
            previous, annotation = row
            ids = list(span_ids) if span_ids and len(span_ids) == len(confirm) else None
            mode = "check" if check_links and ids is None else "keep"
            added = self.spans.insert(article_id, list(confirm), annotator, ids, links=mode)
            linked = []
            for sid, kb_id in links:
                old = self.spans.link(sid, kb_id, links=mode)
                if old.article_id != article_id:
                    raise ProjectError(f"span {sid} is not in article {article_id}")
                linked.append((sid, old.kb_id))
            self.store.conn.execute(
                "UPDATE articles SET status = ?, status_by = ?, status_at = ?, "
                "annotation = CASE WHEN ? = 'accepted' THEN 'complete' ELSE annotation END, "
                "version = version + 1 WHERE id = ?",
                [status, annotator or None, now(), status, article_id],
            )
            # a team file's article with annotators' versions: this decision is the review
            self.store.conn.execute(
                "UPDATE articles SET reviewed_by = ? WHERE id = ? AND EXISTS "
                "(SELECT 1 FROM versions WHERE article_id = ?)",
                [(annotator or "reviewer") if status != "pending" else None, article_id,
                 article_id])  # fmt: skip
            extra = {"linked": [[sid, kb] for sid, kb in links]} if links else {}
            self.events.log("status", article_id, annotator, status=status, previous=previous,
                            confirmed=[[s.start, s.end, s.label, s.source]
                                       + ([s.kb_id] if s.kb_id is not None else [])
                                       for s in confirm], **extra)  # fmt: skip
        return AcceptResult(article_id, previous, tuple(added), annotation, tuple(linked))

    def undo_status(self, result: AcceptResult, annotator: str = "",
                    expected_version: int | None = None) -> None:  # fmt: skip
        with self.store.write(_expect(result.article_id, expected_version)):
            self.spans.delete(list(result.added_span_ids), result.article_id)
            for sid, kb_id in reversed(result.linked):
                self.spans.link(sid, kb_id, links="keep")
            self.store.conn.execute(
                "UPDATE articles SET status = ?, annotation = ?, version = version + 1, "
                "reviewed_by = CASE WHEN ? = 'pending' THEN NULL ELSE reviewed_by END "
                "WHERE id = ?",
                [result.previous_status, result.previous_annotation, result.previous_status,
                 result.article_id],
            )  # fmt: skip
            self.events.log("status_undo", result.article_id, annotator,
                            status=result.previous_status)  # fmt: skip
