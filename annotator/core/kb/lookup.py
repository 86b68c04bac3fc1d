"""Candidate entities for a mention, as the window and `annotator kb lookup` show them.

Found three ways, in three index look-ups: an alias equal to the mention ("exact"), an
alias of the same norm, case and accents folded ("folded"), an alias of the same skeleton
whose phonetic form is at least `FUZZY_MIN` alike ("fuzzy": Kiev for Kyiv). When nothing
matches exactly or folded, a mention that is one word of a longer name finds it ("part":
"Zelensky" for "Volodymyr Zelenskyy", "President Zelensky" for "Zelensky" too: the last
word of a mention is looked up as a surname, its first as a place a region is named
after), by the same skeletons and similarity. An entity the project linked a mention of
this norm to is a candidate too, whatever its aliases ("linked"). Ranked by how often each
entity was chosen for a mention of this norm in this project, then by the kind of match
(exact, folded, fuzzy, part, linked), then by similarity, then by how often it was linked
at all, then by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.kb import KnowledgeBase
from .keys import FUZZY_MIN, Alike, name_words, norm, phonetic, similarity, skeleton

TIERS = ("exact", "folded", "fuzzy", "part", "linked")
LINKED = TIERS.index("linked")


@dataclass(frozen=True, slots=True)
class Candidate:
    entity_id: str
    name: str
    description: str
    label: str | None
    match: str  # "exact" | "folded" | "fuzzy" | "part" | "linked"
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
    if not exact and not folded:
        for entity_id, (score, alias) in _parts(kb, key).items():
            if entity_id not in best:
                best[entity_id] = (3, score, alias)
    chosen = kb.link_counts(key)
    for entity_id in chosen:
        best.setdefault(entity_id, (LINKED, 0.0, ""))
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
        if tier == LINKED:
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


def _parts(kb: KnowledgeBase, key: str) -> dict[str, tuple[float, str]]:
    """Entity id -> (similarity, alias) of the part matches of the mention of norm `key`
    (see the module docstring): a one-word mention against the first and last words of
    longer names; a longer one's last word against one-word names and last words, its
    first word against one-word names."""
    words = name_words(key)
    if not words:
        return {}
    first, last = words[0], words[-1]
    if len(key.split()) == 1 and len(words) == 1:
        wanted = [("head", first, 0), ("tail", first, -1)]
    else:
        wanted = [("tail", last, -1), ("skeleton", last, None)]
        if first != last:
            wanted.append(("skeleton", first, None))
    out: dict[str, tuple[float, str]] = {}
    for column, word, at in wanted:
        skel = skeleton(word)
        if not skel:
            continue
        alike = Alike(phonetic(word))
        for entity_id, alias in kb.part_matches(column, skel):
            theirs = norm(alias)
            if at is not None:
                their_words = name_words(theirs)
                if not their_words:
                    continue
                theirs = their_words[at]
            score = _alike(alike, word, theirs)
            if score >= FUZZY_MIN and score > out.get(entity_id, (0.0, ""))[0]:
                out[entity_id] = (score, alias)
    return out
