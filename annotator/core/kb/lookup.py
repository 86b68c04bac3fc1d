"""Candidate entities for a mention, as the window and `annotator kb lookup` show them.

Found three ways, in three index look-ups: an alias equal to the mention ("exact"), an
alias of the same norm, case and accents folded ("folded"), an alias of the same skeleton
whose phonetic form is at least `FUZZY_MIN` alike ("fuzzy": Kiev for Kyiv). An entity the
project linked a mention of this norm to is a candidate too, whatever its aliases
("linked"). Ranked by how often each entity was chosen for a mention of this norm in this
project, then by the kind of match (exact, folded, fuzzy, linked), then by similarity,
then by how often it was linked at all, then by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.kb import KnowledgeBase
from .keys import FUZZY_MIN, Alike, norm, phonetic, similarity, skeleton

TIERS = ("exact", "folded", "fuzzy", "linked")


@dataclass(frozen=True, slots=True)
class Candidate:
    entity_id: str
    name: str
    description: str
    label: str | None
    match: str  # "exact" | "folded" | "fuzzy" | "linked"
    score: float  # 0..1: how alike the mention and the alias sound (1.0: exact, folded)
    chosen: int  # how often this entity was chosen for a mention of this norm here
    alias: str  # the alias that matched (the name, for "linked")
    linked: int = 0  # how many spans of the project are linked to it

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


def candidates(project_or_kb, mention: str, limit: int = 9) -> list[Candidate]:
    """The best `limit` candidates for `mention` (a project or its `kb`)."""
    kb: KnowledgeBase = getattr(project_or_kb, "kb", project_or_kb)
    mention = " ".join(mention.split())
    key = norm(mention)
    if not key:
        return []
    exact, folded, fuzzy = kb.matches(mention, key, skeleton(key))
    best: dict[str, tuple[int, float, str]] = {}  # entity -> (tier, score, alias)
    for tier, rows in ((0, exact), (1, folded)):
        for entity_id, alias in rows:
            best.setdefault(entity_id, (tier, 1.0, alias))
    alike = Alike(phonetic(key))
    scores: dict[str, float] = {}  # per alias: a skeleton's bucket repeats aliases
    for entity_id, alias in fuzzy:
        if entity_id in best and best[entity_id][0] < 2:
            continue
        score = scores.get(alias)
        if score is None:
            score = scores[alias] = _alike(alike, key, norm(alias))
        if score >= FUZZY_MIN and (entity_id not in best or score > best[entity_id][1]):
            best[entity_id] = (2, score, alias)
    chosen = kb.link_counts(key)
    for entity_id in chosen:
        best.setdefault(entity_id, (3, 0.0, ""))
    if not best:
        return []
    totals = kb.entity_link_counts(best)
    order = sorted(best, key=lambda e: (-chosen.get(e, 0), best[e][0], -best[e][1],
                                        -totals[e], e))  # fmt: skip
    entities = kb.many(order[: limit + len(chosen)])  # a linked entity may be gone
    out: list[Candidate] = []
    for entity_id in order:
        entity = entities.get(entity_id)
        if entity is None:
            continue
        tier, score, alias = best[entity_id]
        if tier == 3:
            alias, score = entity.name, similarity(key, norm(entity.name))
        out.append(Candidate(entity_id, entity.name, entity.description, entity.label,
                             TIERS[tier], round(score, 3), chosen.get(entity_id, 0), alias,
                             totals[entity_id]))  # fmt: skip
        if len(out) == limit:
            break
    return out


def _alike(alike: Alike, key: str, other: str) -> float:
    """How alike the mention (norm `key`, its phonetic form in `alike`) and an alias of
    norm `other` sound; 1.0 for the same norm (a folded match found the other way)."""
    if other == key:
        return 1.0
    theirs = phonetic(other)
    a, b = len(alike.text), len(theirs)
    if a + b == 0 or 2 * min(a, b) / (a + b) < FUZZY_MIN:  # a ratio is at most 2·min/(a+b)
        return 0.0 if a + b else 1.0
    return alike.ratio(theirs)
