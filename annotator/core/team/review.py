"""Reviewing a team file's article: its versions side by side, and the reviewer's result
stored as the article's own status and spans with `reviewed_by` (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProjectError
from ..project import Project
from ..records import Span
from ..store.versions import parse_spans


@dataclass(frozen=True)
class Version:
    annotator: str
    status: str
    spans: list[Span]
    decided_at: str | None


def versions(project: Project, article_id: int) -> list[Version]:
    rows = project.store.conn.execute(
        "SELECT annotator, status, spans, decided_at FROM versions WHERE article_id = ? "
        "ORDER BY annotator", [article_id]).fetchall()  # fmt: skip
    return [Version(who, status, parse_spans(sp), at) for who, status, sp, at in rows]


def review(project: Project, article_id: int, status: str, spans: list[Span],
           reviewer: str) -> None:  # fmt: skip
    """Store the reviewed result: status, spans with their links (validated, replacing the
    article's own; the links as the versions give them)."""
    if not reviewer:
        raise ProjectError("a review needs the reviewer's name")
    with project.store.write():
        project.span_store.delete([old.id for old in project.spans(article_id)], article_id)
        # set_status records the reviewer as `reviewed_by` (the article has versions)
        project.set_status(article_id, status, reviewer,
                           confirm=spans if status == "accepted" else (),
                           check_links=False)  # fmt: skip


def take_version(project: Project, article_id: int, annotator: str, reviewer: str) -> None:
    """The reviewer takes one annotator's version as it is."""
    chosen = [v for v in versions(project, article_id) if v.annotator == annotator]
    if not chosen:
        raise ProjectError(f"article {article_id} has no version by {annotator}")
    review(project, article_id, chosen[0].status, chosen[0].spans, reviewer)


def has_versions(project: Project, article_id: int) -> bool:
    return project.store.conn.execute(
        "SELECT count(*) FROM versions WHERE article_id = ?", [article_id]).fetchone()[0] > 1


def differences(found: list[Version]) -> list[list[tuple[Span, bool]]]:
    """For each version, its spans with True where every version has the same span (and
    the same link)."""
    sets = [{(s.start, s.end, s.label, s.kb_id) for s in v.spans} for v in found]
    common = set.intersection(*sets) if sets else set()
    return [[(s, (s.start, s.end, s.label, s.kb_id) in common) for s in v.spans]
            for v in found]  # fmt: skip


def disagreement_order(project: Project) -> list[int]:
    """Every article whose versions differ (the ones the Agreement dialog lists): those
    still to review first, then the reviewed ones; the most disagreement first in each."""
    from .agreement import disagreements, read_versions, reviewed_ids

    ranked = [d["article_id"] for d in disagreements(read_versions(project), limit=None)]
    reviewed = reviewed_ids(project)
    return [a for a in ranked if a not in reviewed] + [a for a in ranked if a in reviewed]
