"""Learnt links: an accepted link is suggested again where it has usually been right.

For each surface form (a span's text compared by the knowledge base's `norm`, kb/keys.py:
case and accents folded, runs of spaces as one), the accepted articles give how often the form is a
span (linked or not) and how often it is linked to each entity. A span anywhere else whose
form was linked to entity E at least `propagation_precision` (the project setting that
bars propagation, default 0.5) of the times it is a span in accepted articles gets E as a
suggested link; ties go to the entity linked more often, then the smaller id. NIL counts
like an entity ("Emerson" usually linked NIL is suggested NIL). A precision of None
suggests nothing.

The counts are kept per accepted article and its version, so after an accept only that
article's spans are read again: cheap enough for the window's thread (`refresh` reads
nothing at all while the accepted work is unchanged).
"""

from __future__ import annotations

from collections import Counter

from .kb.keys import norm

PRECISION_SETTING = "propagation_precision"
DEFAULT_PRECISION = 0.5


class LearntLinks:
    def __init__(self):
        self._signature = None
        # article id -> (version, its spans' forms, its links as (form, entity))
        self._articles: dict[int, tuple[int, Counter[str], list[tuple[str, str]]]] = {}
        self._forms: Counter[str] = Counter()  # form -> spans with it in accepted articles
        self._links: dict[str, Counter[str]] = {}  # form -> entity -> links to it

    def refresh(self, project) -> LearntLinks:
        """Bring the counts up to date with the project's accepted articles."""
        signature = project.accepted_signature()
        if signature == self._signature:
            return self
        current = project.accepted_versions()
        for aid in [a for a, (v, _, _) in self._articles.items() if current.get(a) != v]:
            self._remove(aid)
        new = sorted(a for a in current if a not in self._articles)
        forms: dict[int, Counter[str]] = {a: Counter() for a in new}
        links: dict[int, list[tuple[str, str]]] = {a: [] for a in new}
        normed: dict[str, str] = {}  # a text -> its norm (names repeat a lot)
        for aid, kb_id, text in project.link_store.span_forms(new):
            form = normed.get(text)
            if form is None:
                form = normed[text] = norm(text or "")
            forms[aid][form] += 1
            if kb_id:
                links[aid].append((form, kb_id))
        for aid in new:
            self._add(aid, current[aid], forms[aid], links[aid])
        self._signature = signature
        return self

    def _add(self, aid: int, version: int, forms: Counter[str],
             links: list[tuple[str, str]]) -> None:  # fmt: skip
        self._articles[aid] = (version, forms, links)
        self._forms.update(forms)
        for form, kb_id in links:
            self._links.setdefault(form, Counter())[kb_id] += 1

    def _remove(self, aid: int) -> None:
        _, forms, links = self._articles.pop(aid)
        self._forms.subtract(forms)
        for form in forms:
            if self._forms[form] <= 0:
                del self._forms[form]
        for form, kb_id in links:
            counts = self._links[form]
            counts[kb_id] -= 1
            if not counts[kb_id]:
                del counts[kb_id]
            if not counts:
                del self._links[form]

    def suggest(self, text: str, precision: float | None) -> str | None:
        """The entity to suggest for a span with this text, or None."""
        if precision is None:
            return None
        form = norm(text)
        links = self._links.get(form)
        if not links:
            return None
        kb_id, n = min(links.items(), key=lambda kv: (-kv[1], kv[0]))
        return kb_id if n >= precision * self._forms[form] else None

    def counts(self, text: str) -> tuple[int, dict[str, int]]:
        """(how often the form is a span in accepted articles, links per entity)."""
        form = norm(text)
        return self._forms.get(form, 0), dict(self._links.get(form, {}))
