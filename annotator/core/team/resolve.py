"""What a team file exports for an article with versions.

- Reviewed (`reviewed_by` set): the article's own status and spans, as for any article.
- One version (an annotator's own share): that version.
- Several, none reviewed: left out and counted, unless `unreviewed` says how to choose:
  `first` takes the version decided first; `majority` takes the decision most versions
  gave (left out on a tie) and, when that is accept, the spans more than half of the
  accepting versions gave (start, end and label), each with the link more than half of
  the versions giving it gave (else none).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from ..records import Span
from ..store.versions import parse_spans, spans_json

POLICIES = ("first", "majority")


@dataclass(frozen=True)
class Resolved:
    article_id: int
    status: str
    spans: list[Span]
    annotator: str  # whose version, or "majority"
    versions: list[dict]  # every version: {"_annotator_id", "answer", "spans"} (JSONL export)


ANSWER = {"accepted": "accept", "rejected": "reject", "skipped": "ignore"}


def resolve(rows: list[tuple[str, str, str, str | None]], policy: str | None
            ) -> tuple[str, list[list], str] | None:  # fmt: skip
    """(status, spans, annotator) from an article's versions (annotator, status, spans JSON,
    decided_at), or None when it is left out."""
    if len(rows) == 1:
        who, status, spans, _ = rows[0]
        return status, json.loads(spans), who
    if policy == "first":
        who, status, spans, _ = min(rows, key=lambda r: (r[3] or "", r[0]))
        return status, json.loads(spans), who
    if policy == "majority":
        votes = Counter(r[1] for r in rows).most_common()
        if len(votes) > 1 and votes[0][1] == votes[1][1]:
            return None
        status = votes[0][0]
        accepting = [json.loads(r[2]) for r in rows if r[1] == status]
        counted = Counter(tuple(s[:3]) for spans in accepting for s in spans)
        links: dict[tuple, Counter] = {}
        for spans in accepting:
            for s in spans:
                links.setdefault(tuple(s[:3]), Counter())[s[3] if len(s) > 3 else None] += 1
        spans = []
        for s, n in counted.items():
            if n * 2 > len(accepting):
                kb_id, votes = links[s].most_common(1)[0]
                spans.append([*s, kb_id] if kb_id is not None and votes * 2 > n else list(s))
        return status, _without_overlaps(sorted(spans, key=lambda s: s[:3])), "majority"
    return None


def _without_overlaps(spans: list[list]) -> list[list]:
    """Majority spans can overlap when votes split three ways: keep the earlier ones."""
    out: list[list] = []
    for s in spans:
        if not out or s[0] >= out[-1][1]:
            out.append(s)
    return out


def _version(who: str, status: str, spans: str) -> dict:
    return {"_annotator_id": who, "answer": ANSWER[status], "spans": [
        {"start": s.start, "end": s.end, "label": s.label,
         **({"kb_id": s.kb_id} if s.kb_id is not None else {})}
        for s in parse_spans(spans)]}  # fmt: skip


def versions_of(conn, article_id: int) -> list[dict]:
    """An article's versions as the JSONL export writes them."""
    return [_version(*row) for row in conn.execute(
        "SELECT annotator, status, spans FROM versions WHERE article_id = ? ORDER BY annotator",
        [article_id])]  # fmt: skip


def team_articles(conn, policy: str | None) -> tuple[Iterator[Resolved], list[int]]:
    """(the resolved unreviewed articles with versions, ids left out for want of a choice).
    Only articles still pending in the team file are resolved here: a reviewed or decided
    article exports as itself."""
    rows = conn.execute(
        "SELECT v.article_id, v.annotator, v.status, v.spans, v.decided_at FROM versions v "
        "JOIN articles a ON a.id = v.article_id WHERE a.reviewed_by IS NULL "
        "AND a.status = 'pending' ORDER BY v.article_id, v.annotator").fetchall()  # fmt: skip
    grouped: dict[int, list] = {}
    for aid, *rest in rows:
        grouped.setdefault(aid, []).append(tuple(rest))
    left_out = [aid for aid, vs in grouped.items() if resolve(vs, policy) is None]

    def gen() -> Iterator[Resolved]:
        for aid, vs in grouped.items():
            got = resolve(vs, policy)
            if got is None:
                continue
            status, spans, who = got
            versions = [_version(w, s, sp) for w, s, sp, _ in vs]
            yield Resolved(aid, status, parse_spans(spans_json(spans)), who,
                           versions)  # fmt: skip

    return gen(), left_out
