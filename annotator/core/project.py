"""The project file: a small facade over the parts in `store/`.

`Project(path)` opens (or creates) one SQLite project file; its parts each do one job:
`articles` (reading, the queue, search, counts), `labels`, `spans` (the one validated span
write path), `edits` (the annotator's changes, each one transaction), `intake` (imports),
`cache` (suggestions: machine cache, imported, dismissed), `settings` and `events`.
The methods below only delegate, so callers keep one object per connection.

Every change is written at once, inside one transaction (`Project.write()`): a crash loses
nothing already returned from a call. Not thread-safe: open one Project per thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import (
    ConflictError,
    LabelInUseError,
    LabelNameError,
    NewerProjectError,
    NotAProjectError,
    ProjectError,
    SpanError,
    StorageError,
)
from .records import ArticleRecord, Span
from .store.articles import Article, Articles, fts_query
from .store.connection import Store
from .store.edits import AcceptResult, Edits, LinkChange
from .store.intake import AddedRecords, Intake
from .store.labels import Label, Labels
from .store.links import Links, Offered
from .store.models import Models
from .store.settings import Events, Settings, now
from .store.spans import LinkError, Spans, StoredSpan
from .store.suggestion_cache import IMPORT_FINGERPRINT, SuggestionCache
from .store.terms import Term, Terms

if TYPE_CHECKING:
    from .store.kb import KnowledgeBase

__all__ = [
    "AcceptResult", "AddedRecords", "Article", "ConflictError", "IMPORT_FINGERPRINT", "Label",
    "LabelInUseError", "LabelNameError", "LinkChange", "LinkError", "NewerProjectError",
    "NotAProjectError", "Offered", "Project", "ProjectError", "SpanError", "StorageError",
    "StoredSpan", "fts_query", "now",
]  # fmt: skip


class Project:
    """An open project file. Not thread-safe: open one per thread."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.store = Store(path, create=create)
        self.path = self.store.path
        self.wal, self.warning = self.store.wal, self.store.warning
        # True when this process may not write the file: reading works, every write raises
        # StorageError with one sentence; `warning` says so in one line.
        self.read_only = self.store.read_only
        self.settings = Settings(self.store)
        self.events_log = Events(self.store)
        self.label_store = Labels(self.store, self.settings, self.events_log)
        self.span_store = Spans(self.store, self.label_store, lambda: self.language,
                                lambda: self.kb)  # fmt: skip
        self.cache = SuggestionCache(self.store)
        self.articles = Articles(self.store)
        self.models = Models(self.store)  # trained models (annotator.core.train.registry)
        self.term_store = Terms(self.store)  # terms from word vectors (annotator.core.terms)
        self.link_store = Links(self.store)  # links offered in articles, search by entity
        self._learnt_links = None  # LearntLinks, made on first use (learnt_links())
        self.edits = Edits(self.store, self.span_store, self.cache, self.events_log,
                           self.link_store)  # fmt: skip
        self.intake = Intake(self.store, self.label_store, self.span_store, self.cache,
                             lambda: self.language)  # fmt: skip

    def write(self, expect: tuple[int, int] | None = None):
        """One write transaction (see `Store.write`); `expect=(article_id, version)`."""
        return self.store.write(expect)

    def data_version(self) -> tuple[int, int]:
        return self.store.data_version()

    def invalidate_caches(self) -> None:
        self.label_store.forget()

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base for entity linking (store/kb.py: entities, aliases, link
        counts); made on first use, so opening a project does not import it."""
        kb = self.__dict__.get("_kb")
        if kb is None:
            from .store.kb import KnowledgeBase

            kb = self.__dict__["_kb"] = KnowledgeBase(self.store, self.events_log)
        return kb

    @property
    def db(self):
        """sqlite-utils' Database over the project's connection (imported on first use)."""
        return self.store.db

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- settings and events ------------------------------------------------------------
    def get_setting(self, key: str, default=None):
        return self.settings.get(key, default)

    def set_setting(self, key: str, value) -> None:
        self.settings.set(key, value)

    @property
    def language(self) -> str:
        return self.settings.get("language", "en")

    def log(self, action: str, article_id: int | None = None, annotator: str = "", **data):
        self.events_log.log(action, article_id, annotator, **data)

    def events(self, article_id: int | None = None) -> list[dict]:
        return self.events_log.list(article_id)

    # ---- labels ---------------------------------------------------------------------------
    def labels(self) -> list[Label]:
        return self.label_store.all()

    def label_names(self) -> list[str]:
        return self.label_store.names()

    def add_label(self, name: str, colour: str | None = None, key: str | None = None,
                  annotator: str = "") -> Label:  # fmt: skip
        return self.label_store.add(name, colour, key, annotator)

    def ensure_labels(self, names: Iterable[str], annotator: str = "") -> list[str]:
        return self.label_store.ensure(names, annotator)

    def update_label(self, name: str, *, colour: str | None = None, key: str | None = None,
                     annotator: str = "") -> Label:  # fmt: skip
        return self.label_store.update(name, colour=colour, key=key, annotator=annotator)

    def rename_label(self, old: str, new: str, annotator: str = "") -> int:
        return self.label_store.rename(old, new, annotator)

    def remove_label(self, name: str, *, force: bool = False, annotator: str = "") -> int:
        return self.label_store.remove(name, force=force, annotator=annotator)

    # ---- articles ---------------------------------------------------------------------------
    def add_records(self, batch: Sequence[ArticleRecord], annotator: str = "") -> AddedRecords:
        return self.intake.add(batch, annotator)

    def article(self, article_id: int) -> Article:
        return self.articles.get(article_id)

    def articles_by_id(self, ids: Sequence[int]) -> list[Article]:
        return self.articles.many(ids)

    def article_version(self, article_id: int) -> int:
        return self.articles.version(article_id)

    def iter_articles(self, statuses: Sequence[str] | None = None, batch: int = 500
                      ) -> Iterator[Article]:  # fmt: skip
        return self.articles.iterate(statuses, batch)

    def iter_articles_with_spans(self, statuses: Sequence[str] | None = None, batch: int = 500
                                 ) -> Iterator[tuple[Article, list[Span]]]:  # fmt: skip
        return self.articles.iterate_with_spans(statuses, batch)

    def with_spans(self, arts: list[Article]) -> Iterator[tuple[Article, list[Span]]]:
        return self.articles.with_spans(arts)

    def accepted_versions(self) -> dict[int, int]:
        return self.articles.accepted_versions()

    def accepted_signature(self) -> tuple:
        return self.articles.accepted_signature()

    def article_ids(self, status: str | None = None, search: str | None = None,
                    flagged: bool = False) -> list[int]:  # fmt: skip
        return self.articles.ids(status, search, flagged)

    def queue(self, status: str | None = None, flagged: bool = False, sort: str = "id",
              descending: bool = False):  # fmt: skip
        """The queue's rows for a filter, read a page at a time (store/queue.py): instant at
        any size."""
        return self.articles.queue(status, flagged, sort, descending)

    def ensure_search_index(self, chunk: int = 5000) -> int:
        return self.articles.ensure_search_index(chunk)

    def queue_rows(self, ids: Sequence[int]) -> list[tuple[int, str, str, str, str | None]]:
        return self.articles.queue_rows(ids)

    def next_article_id(self, after: int | None = None, status: str = "pending") -> int | None:
        return self.articles.next_id(after, status)

    def neighbour_id(self, article_id: int, step: int) -> int | None:
        return self.articles.neighbour_id(article_id, step)

    def counts(self) -> dict[str, int]:
        return self.articles.counts()

    def stats(self) -> dict:
        return self.articles.stats()

    # ---- spans and the annotator's edits ----------------------------------------------------
    def spans(self, article_id: int) -> list[StoredSpan]:
        return self.span_store.of(article_id)

    def add_span(self, article_id: int, span: Span, annotator: str = "",
                 expected_version: int | None = None,
                 span_id: int | None = None) -> int:  # fmt: skip
        return self.edits.add_span(article_id, span, annotator, expected_version, span_id)

    def update_span(self, span_id: int, *, start: int | None = None, end: int | None = None,
                    label: str | None = None, annotator: str = "",
                    expected_version: int | None = None) -> StoredSpan:  # fmt: skip
        return self.edits.update_span(span_id, start=start, end=end, label=label,
                                      annotator=annotator, expected_version=expected_version)

    def restore_span(self, old: StoredSpan, annotator: str = "",
                     expected_version: int | None = None) -> None:  # fmt: skip
        self.edits.restore_span(old, annotator, expected_version)

    def delete_span(self, span_id: int, annotator: str = "", expected_version: int | None = None,
                    dismiss: bool = True) -> StoredSpan:  # fmt: skip
        return self.edits.delete_span(span_id, annotator, expected_version, dismiss)

    def dismiss(self, article_id: int, span: Span, annotator: str = "",
                expected_version: int | None = None) -> None:  # fmt: skip
        self.edits.dismiss(article_id, span, annotator, expected_version)

    def undismiss(self, article_id: int, span: Span, annotator: str = "",
                  expected_version: int | None = None) -> None:  # fmt: skip
        self.edits.undismiss(article_id, span, annotator, expected_version)

    def suggest_in_article(self, article_id: int, spans: Sequence[Span], annotator: str = "",
                           expected_version: int | None = None,
                           undo: bool = False) -> None:  # fmt: skip
        self.edits.suggest(article_id, spans, annotator, expected_version, undo)

    def flag(self, article_id: int, flagged: bool = True, note: str = "", annotator: str = "",
             expected_version: int | None = None) -> tuple[bool, str]:  # fmt: skip
        return self.edits.flag(article_id, flagged, note, annotator, expected_version)

    def set_status(self, article_id: int, status: str, annotator: str = "",
                   confirm: Sequence[Span] = (), expected_version: int | None = None,
                   span_ids: Sequence[int] | None = None,
                   links: Sequence[tuple[int, str]] = (),
                   check_links: bool = True) -> AcceptResult:  # fmt: skip
        """`confirm`: suggestions to store with an accept (with the links they showed);
        `links`: (span id, entity) suggested links shown on stored spans, stored too."""
        return self.edits.set_status(article_id, status, annotator, confirm, expected_version,
                                     span_ids, links, check_links)  # fmt: skip

    def undo_status(self, result: AcceptResult, annotator: str = "",
                    expected_version: int | None = None) -> None:  # fmt: skip
        self.edits.undo_status(result, annotator, expected_version)

    # ---- links: the entity a span names ------------------------------------------------------
    def set_link(self, span_id: int, kb_id: str | None, annotator: str = "",
                 expected_version: int | None = None) -> LinkChange:  # fmt: skip
        """Link a stored span to an entity of the knowledge base, or NIL ("not in the
        knowledge base"), or take its link away (None). An id the knowledge base does not
        hold is refused (LinkError, one line naming it)."""
        return self.edits.set_link(span_id, kb_id, annotator, expected_version)

    def undo_link(self, change: LinkChange, annotator: str = "",
                  expected_version: int | None = None) -> None:  # fmt: skip
        self.edits.undo_link(change, annotator, expected_version)

    def offer_links(self, article_id: int, offers: Sequence[tuple[Span, str | None]],
                    annotator: str = "", expected_version: int | None = None
                    ) -> list[Offered]:  # fmt: skip
        """Suggest links at these spans' places (the other mentions of a string just
        linked); None takes a suggested link away there. Returns what `restore_offers`
        needs to undo it."""
        return self.edits.offer_links(article_id, offers, annotator, expected_version)

    def restore_offers(self, article_id: int, before: Sequence[Offered], annotator: str = "",
                       expected_version: int | None = None) -> None:  # fmt: skip
        self.edits.restore_offers(article_id, before, annotator, expected_version)

    def offered_links(self, article_id: int) -> dict[tuple[int, int], dict[str, str]]:
        """{(start, end): {label: entity}} of the links suggested in the article by offers
        and imports ('' where a link was taken away)."""
        return self.link_store.offered(article_id)

    def learnt_links(self):
        """The learnt links (annotator.core.learnt_links.LearntLinks), up to date with the
        accepted articles; kept per Project and refreshed only when they changed."""
        from .learnt_links import LearntLinks

        if self._learnt_links is None:
            self._learnt_links = LearntLinks()
        return self._learnt_links.refresh(self)

    def known_entities(self, ids: Sequence[str]) -> set[str]:
        """The ids among `ids` that the knowledge base holds."""
        return self.span_store.known(ids)

    def has_links(self) -> bool:
        """True when some span of the project is linked."""
        return self.link_store.has_links()

    def article_ids_mentioning(self, entity_id: str, aliases: bool = True) -> list[int]:
        """The articles that mention an entity, in id order: those with a span linked to
        it, and (`aliases`) those whose text holds one of its names or aliases as whole
        words (ignoring case and accents). The search box's `kb:ID` gives the same."""
        found = self.link_store.linked_to(entity_id)
        if aliases:
            names = self.kb.aliases_of([entity_id])[entity_id]
            if names:
                if not self.read_only:
                    self.articles.ensure_search_index()
                found |= self.link_store.naming(names)
        return sorted(found)

    # ---- suggestions: cached, imported, dismissed --------------------------------------------
    def dismissed(self, article_id: int) -> set[tuple[int, int, str]]:
        return self.cache.dismissed(article_id)

    def cached_suggestions(self, article_id: int, fingerprint: str) -> list[Span] | None:
        return self.cache.get(article_id, fingerprint)

    def imported_suggestions(self, article_id: int) -> list[Span]:
        return self.cache.imported(article_id)

    def has_cached_suggestions(self, article_id: int, fingerprint: str) -> bool:
        return self.cache.has(article_id, fingerprint)

    def cache_suggestions(self, items: Iterable[tuple[int, str, Sequence[Span]]]) -> int:
        return self.cache.put(items)

    def cached_decisions(self, article_id: int, signature: Callable[[], str]
                         ) -> tuple[list[Span], list[Span]] | None:  # fmt: skip
        """(the project's decisions found in the article, the machine spans they veto)
        under `signature()` (see SuggestionService.decisions_signature), or None."""
        return self.cache.get_decisions(article_id, signature)

    def cache_decisions(self, article_id: int, signature: str, spans: Sequence[Span],
                        vetoed: Sequence[Span] = ()) -> None:  # fmt: skip
        self.cache.put_decisions(article_id, signature, spans, vetoed)

    # ---- terms: a label's accepted (suggested like patterns) and rejected words ------------
    def terms(self, label: str | None = None, decision: str | None = None) -> list[Term]:
        return self.term_store.list(label, decision)

    def decide_terms(self, label: str, texts: Sequence[str] | str, decision: str,
                     annotator: str = "") -> list[Term | None]:  # fmt: skip
        """Accept or reject terms for a label; returns what each was before (for undo)."""
        return self.term_store.decide(label, texts, decision, annotator)

    def remove_terms(self, label: str, texts: Sequence[str] | str) -> list[Term | None]:
        return self.term_store.remove(label, texts)

    def restore_term(self, label: str, text: str, previous: Term | None) -> None:
        self.term_store.restore(label, text, previous)

    def terms_signature(self) -> str | None:
        """A digest of the accepted terms (None: none)."""
        return self.term_store.accepted_signature()

    def uncached_article_ids(self, fingerprint: str, status: str | Sequence[str] = "pending"
                             ) -> Sequence[int]:  # fmt: skip
        statuses = (status,) if isinstance(status, str) else tuple(status)
        return self.cache.uncached_ids(fingerprint, statuses)
