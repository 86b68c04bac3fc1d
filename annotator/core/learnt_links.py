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
        self._articles: dict[int, tuple[int, list[tuple[str, str | None]]]] = {}
        self._forms: Counter[str] = Counter()  # form -> spans with it in accepted articles
        self._links: dict[str, Counter[str]] = {}  # form -> entity -> links to it

    def refresh(self, project) -> LearntLinks:
        """Bring the counts up to date with the project's accepted articles."""
        signature = project.accepted_signature()
        if signature == self._signature:
            return self
        current = project.accepted_versions()
        for aid in [a for a, (v, _) in self._articles.items() if current.get(a) != v]:
            self._remove(aid)
        new = sorted(a for a in current if a not in self._articles)
        found: dict[int, list[tuple[str, str | None]]] = {a: [] for a in new}
        for aid, kb_id, text in project.link_store.span_forms(new):
            found[aid].append((norm(text or ""), kb_id))
        for aid in new:
            self._add(aid, current[aid], found[aid])
        self._signature = signature
        return self

    def _add(self, aid: int, version: int, forms: list[tuple[str, str | None]]) -> None:
        self._articles[aid] = (version, forms)
        for form, kb_id in forms:
            self._forms[form] += 1
            if kb_id:
                self._links.setdefault(form, Counter())[kb_id] += 1

    def _remove(self, aid: int) -> None:
        _, forms = self._articles.pop(aid)
        for form, kb_id in forms:
            self._forms[form] -= 1
            if not self._forms[form]:
                del self._forms[form]
            if kb_id:
                links = self._links[form]
                links[kb_id] -= 1
                if not links[kb_id]:
                    del links[kb_id]
                if not links:
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
