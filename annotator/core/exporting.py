"""Export a project: read its articles and hand them to the format writers in export.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from .export import ExportArticle, ExportReport, export_jsonl, export_spacy
from .project import Project
from .tokens import blank


def export_articles(
    project: Project, statuses: Sequence[str] = ("accepted",), suggestions=None
) -> Iterator[ExportArticle]:
    """Articles of the given statuses with their spans.

    `suggestions(article) -> list[Span]`, when given, adds the current suggestions of
    pending articles (used by `export --status pending`)."""
    for art, spans in project.iter_articles_with_spans(statuses):
        if suggestions is not None and art.status == "pending":
            spans = sorted([*spans, *suggestions(art)], key=lambda s: (s.start, s.end))
        yield ExportArticle(
            id=art.id, text=art.text, title=art.title, meta=art.meta, status=art.status,
            input_hash=art.input_hash, spans=spans,
            prodigy_input_hash=art.prodigy_input_hash, prodigy_task_hash=art.prodigy_task_hash,
        )  # fmt: skip


def export_project(
    project: Project,
    out: Path,
    *,
    format: str = "spacy",
    dev_split: float = 0.2,
    seed: int = 0,
    strict: bool = False,
    statuses: Sequence[str] = ("accepted",),
    suggestions=None,
) -> ExportReport:
    articles = export_articles(project, statuses, suggestions)
    nlp = blank(project.language)  # loaded once per process: spacy.blank costs ~0.1 s
    if format == "spacy":
        return export_spacy(articles, Path(out), nlp, dev_split=dev_split,
                            seed=seed, strict=strict, statuses=statuses)  # fmt: skip
    out = Path(out)
    if out.is_dir() or not out.suffix:
        out = out / "annotations.jsonl"
    return export_jsonl(articles, out, nlp)
