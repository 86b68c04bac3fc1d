"""Storing imported records: one transaction per batch, deduplicated under the write lock.

Every record is stored whole or not at all. Its spans take the same checks as any other
span write (`Spans.check`: label, range, whole tokens, no overlap); spans and suggestions
off token boundaries are widened to whole tokens and reported. Binary (partial) records of
a text already stored as partial add their spans to it instead of being dropped as
duplicates: Prodigy's ner.teach writes one task per span of the same text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import LabelNameError, SpanError
from ..records import CHOICE_TASKS, NIL, ArticleRecord, Span
from ..tokens import snap
from . import versions
from .connection import Store
from .labels import Labels, checked_name
from .links import Links
from .settings import now
from .spans import Spans
from .suggestion_cache import SuggestionCache
from .versions import spans_json


@dataclass
class AddedRecords:
    ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    merged: int = 0  # partial records added to a partial article of the same text
    versions: int = 0  # annotators' decisions kept as versions (several per text)
    spans: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    labels_added: list[str] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (record index, why)
    snapped: list[tuple[int, Span, Span]] = field(default_factory=list)  # (index, was, now)
    # links (spans' and suggestions') to ids the knowledge base does not hold: id -> links
    unknown_kb_ids: dict[str, int] = field(default_factory=dict)



class Intake:
    def __init__(self, store: Store, labels: Labels, spans: Spans, cache: SuggestionCache,
                 language):  # fmt: skip
        self.store, self.labels, self.spans, self.cache = store, labels, spans, cache
        self._language = language
        self.links = Links(store)

    def add(self, batch: Sequence[ArticleRecord], annotator: str = "") -> AddedRecords:
        out = AddedRecords()
        stamp = now()
        conn = self.store.conn
        with self.store.write():
            known = self._existing([r.input_hash for r in batch])
            wanted: dict[str, None] = {}  # in the order first seen: keys 1-9 follow it
            for i, r in enumerate(batch):
                try:
                    names = [checked_name(s.label) for s in (
                        *r.spans, *r.suggestions, *r.rejected,
                        *(x for _, _, vs in r.versions for x in vs))]  # fmt: skip
                except LabelNameError as exc:
                    out.refused.append((i, str(exc)))
                    continue
                wanted.update(dict.fromkeys(names))
            out.labels_added += self.labels.ensure(wanted, annotator=annotator)
            next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
            art_rows, span_rows, extras, merges, teams = [], [], [], [], []
            refused = {i for i, _ in out.refused}
            for i, r in enumerate(batch):
                if i in refused:
                    continue
                h = r.input_hash
                if h in known:
                    aid, annotation = known[h]
                    if r.annotation == "partial" and annotation == "partial":
                        merges.append((i, aid, r))  # once the batch's articles are stored
                    elif r.annotator_id and r.status != "pending":
                        teams.append((i, h, r))  # another annotator's decision: a version
                    else:
                        out.duplicates += 1
                    continue
                try:
                    spans = self._snapped(i, r.text, r.spans, out)
                    spans = self.spans.check(0, spans, text=r.text, existing=[],
                                             links="keep")
                    suggestions = self._snapped(i, r.text, r.suggestions, out, drop=True)
                    rejected = self._snapped(i, r.text, r.rejected, out, drop=True)
                except SpanError as exc:
                    out.refused.append((i, str(exc)))
                    continue
                aid, next_id = next_id, next_id + 1
                known[h] = (aid, r.annotation)
                decided = r.status != "pending"
                art_rows.append(
                    (aid, h, r.text, r.title, r.source, json.dumps(r.meta, ensure_ascii=False),
                     r.status, (r.annotator_id or annotator or None) if decided else None,
                     stamp if decided else None, r.prodigy_input_hash, r.prodigy_task_hash,
                     stamp, r.annotation, int(r.flagged), r.flag_note if r.flagged else "")
                )  # fmt: skip
                span_rows += [(aid, s.start, s.end, s.label, "import", annotator, stamp, s.kb_id)
                              for s in spans]  # fmt: skip
                out.ids.append(aid)
                out.statuses[r.status] = out.statuses.get(r.status, 0) + 1
                out.spans += len(spans)
                extras.append((aid, suggestions, rejected))
                if r.versions:  # a Prodigy review task: its versions, and it is reviewed
                    teams.append((i, h, r))
            conn.executemany(
                "INSERT INTO articles(id, input_hash, text, title, source, meta, status, status_by,"
                " status_at, prodigy_input_hash, prodigy_task_hash, created_at, annotation,"
                " flagged, flag_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                art_rows,
            )
            conn.executemany(
                'INSERT INTO spans(article_id, start, "end", label, source, annotator, created_at,'
                " kb_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                span_rows,
            )
            for aid, suggestions, rejected in extras:
                if suggestions:
                    self._suggest(aid, suggestions)
                for s in rejected:
                    self.cache.dismiss(aid, s, annotator)
            for i, aid, r in merges:
                self._merge(i, aid, r, annotator, out)
            for i, h, r in teams:
                self._versions(i, known[h][0], r, out)
            bad = {i for i, _ in out.refused}
            kept = [r for i, r in enumerate(batch) if i not in bad]
            self._unknown_links([*(s for r in kept for s in (*r.spans, *r.suggestions)),
                                 *(x for r in kept for _, _, vs in r.versions for x in vs)],
                                out)  # fmt: skip
        return out

    def _suggest(self, aid: int, suggestions: Sequence[Span]) -> None:
        """Imported suggestions, with the links they carry (suggested links)."""
        self.cache.add_imported(aid, suggestions)
        linked = [(s, s.kb_id) for s in suggestions if s.kb_id is not None]
        if linked:
            self.links.offer(aid, linked)

    def _unknown_links(self, spans: Sequence[Span], out: AddedRecords) -> None:
        ids = [s.kb_id for s in spans if s.kb_id is not None and s.kb_id != NIL]
        if not ids:
            return
        known = self.spans.known(ids)
        for kb_id in ids:
            if kb_id not in known:
                out.unknown_kb_ids[kb_id] = out.unknown_kb_ids.get(kb_id, 0) + 1

    def _versions(self, index: int, aid: int, r: ArticleRecord, out: AddedRecords) -> None:
        """Several annotators on one text. A review task brings its versions (the task
        itself is the reviewed result). Another annotator's decision on a text already
        decided turns both into versions: the article goes back to pending, to be reviewed
        (or exported with --unreviewed)."""
        conn = self.store.conn
        try:
            found = [(who, st, self._snapped(index, r.text, vs, out, drop=True))
                     for who, st, vs in r.versions]  # fmt: skip
            if not r.versions:  # a plain decided task by `r.annotator_id`
                status, by = conn.execute("SELECT status, status_by FROM articles WHERE id = ?",
                                          [aid]).fetchone()  # fmt: skip
                have = conn.execute("SELECT count(*) FROM versions WHERE article_id = ?",
                                    [aid]).fetchone()[0]  # fmt: skip
                if not have:
                    if by == r.annotator_id or status == "pending" or not by:
                        out.duplicates += 1  # the same annotator's again: as before
                        return
                    mine = [Span(x.start, x.end, x.label, kb_id=x.kb_id)
                            for x in self.spans.of(aid)]  # fmt: skip
                    found.append((by, status, mine))
                    conn.execute("DELETE FROM spans WHERE article_id = ?", [aid])
                    conn.execute("UPDATE articles SET status = 'pending', status_by = NULL, "
                                 "status_at = NULL, version = version + 1 WHERE id = ?", [aid])
                found.append((r.annotator_id, r.status,
                              self._snapped(index, r.text, r.spans, out, drop=True)))  # fmt: skip
            else:
                conn.execute("UPDATE articles SET reviewed_by = ? WHERE id = ?",
                             [r.annotator_id or "review", aid])  # fmt: skip
        except SpanError as exc:
            out.refused.append((index, str(exc)))
            return
        for who, status, spans in found:
            versions.put(conn, aid, who, status, spans_json(spans), now(), r.source)
            out.versions += 1

    def _existing(self, hashes: list[str]) -> dict[str, tuple[int, str]]:
        """{input hash: (article id, annotation)} of the hashes already stored. Read under
        the write lock, so no other import can add one before this batch is written."""
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(hashes), 900):
            chunk = hashes[i : i + 900]
            marks = ",".join("?" * len(chunk))
            for h, aid, annotation in self.store.conn.execute(
                f"SELECT input_hash, id, annotation FROM articles WHERE input_hash IN ({marks})",
                chunk,
            ):
                found[h] = (aid, annotation)
        return found

    def _snapped(self, index: int, text: str, spans: Sequence[Span], out: AddedRecords,
                 drop: bool = False) -> list[Span]:  # fmt: skip
        """Spans widened to whole tokens, each change reported. `drop`: a span on no token
        (only spaces) is left out instead of refusing the record."""
        if not spans:
            return []
        lang = self._language()
        kept = []
        for s in spans:
            snapped = snap(text, s.start, s.end, lang)
            if snapped is None:
                if drop:
                    continue
                raise SpanError(f"span [{s.start}, {s.end}) {s.label} covers no word", s, "empty")
            if snapped != (s.start, s.end):
                new = Span(*snapped, s.label, s.source, s.kb_id)
                out.snapped.append((index, s, new))
                s = new
            kept.append(s)
        return kept

    def _merge(self, index: int, aid: int, r: ArticleRecord, annotator: str,
               out: AddedRecords) -> None:  # fmt: skip
        """A partial record of a text stored as partial: its spans (and suggestions) join
        the article's; an accepted record makes it accepted, a skipped one a pending article
        skipped. Prodigy choice tasks kept with it join the article's."""
        conn = self.store.conn
        try:
            spans = self._snapped(index, r.text, r.spans, out)
            have = {(s.start, s.end, s.label) for s in self.spans.of(aid)}
            spans = [s for s in spans if (s.start, s.end, s.label) not in have]
            self.spans.insert(aid, spans, annotator, links="keep")
            rejected = self._snapped(index, r.text, r.rejected, out, drop=True)
            suggestions = self._snapped(index, r.text, r.suggestions, out, drop=True)
        except SpanError as exc:
            out.refused.append((index, str(exc)))
            return
        for s in rejected:
            self.cache.dismiss(aid, s, annotator)
        if suggestions:
            self._suggest(aid, suggestions)
        if r.status == "accepted":
            conn.execute(
                "UPDATE articles SET status = 'accepted' WHERE id = ? AND status != 'accepted'",
                [aid],
            )
        elif r.status == "skipped":
            conn.execute("UPDATE articles SET status = 'skipped' WHERE id = ? AND "
                         "status = 'pending'", [aid])  # fmt: skip
        tasks = r.meta.get(CHOICE_TASKS) if isinstance(r.meta, dict) else None
        if tasks:
            meta = json.loads(conn.execute("SELECT meta FROM articles WHERE id = ?",
                                           [aid]).fetchone()[0])  # fmt: skip
            kept = meta.get(CHOICE_TASKS) if isinstance(meta, dict) else None
            if isinstance(kept, list):
                new = [t for t in tasks if t not in kept]
                if new:
                    meta[CHOICE_TASKS] = kept + new
                    conn.execute("UPDATE articles SET meta = ?, version = version + 1 "
                                 "WHERE id = ?", [json.dumps(meta, ensure_ascii=False), aid])
        out.merged += 1
        out.spans += len(spans)
