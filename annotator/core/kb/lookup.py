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
from .keys import FUZZY_MIN, norm, phonetic, similarity, skeleton

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
    skel = skeleton(key)
    mine = phonetic(key)
    best: dict[str, tuple[int, float, str]] = {}  # entity -> (tier, score, alias)
    for entity_id, alias, alias_norm in kb.matches(mention, key, skel):
        if alias == mention:
            found = (0, 1.0, alias)
        elif alias_norm == key:
            found = (1, 1.0, alias)
        else:
            score = _alike(mine, key, alias_norm)
            if score < FUZZY_MIN:
                continue
            found = (2, score, alias)
        old = best.get(entity_id)
        if old is None or (found[0], -found[1]) < (old[0], -old[1]):
            best[entity_id] = found
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


def _alike(mine: str, key: str, other: str) -> float:
    """`similarity(key, other)`, skipping the comparison when the lengths alone rule it
    out (a ratio is at most 2·min/(a+b))."""
    theirs = phonetic(other)
    if mine == theirs:
        return 1.0
    a, b = len(mine), len(theirs)
    if 2 * min(a, b) / (a + b) < FUZZY_MIN:
        return 0.0
    return similarity(key, other)
