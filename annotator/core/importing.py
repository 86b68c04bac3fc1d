"""Store what the readers yield: batched transactions, deduplication, a report.

A record is stored whole (article, status, spans, suggestions) or not at all. With
`strict`, the files are read once to validate and nothing is stored if any record is bad.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .project import Project
from .readers import BadRecord, iter_paths, read_file, total_bytes
from .records import ArticleRecord

BATCH = 2000


@dataclass
class ImportReport:
    files: int = 0
    imported: int = 0
    duplicates: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    spans: int = 0
    labels_added: list[str] = field(default_factory=list)
    stored: bool = True  # False when --strict refused the import
    article_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"imported {self.imported} articles from {self.files} files"]
        if self.duplicates:
            parts.append(f"skipped {self.duplicates} duplicates")
        if self.bad:
            parts.append(f"{len(self.bad)} bad records {'refused' if not self.stored else 'skipped'}")
        return ", ".join(parts)


ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


def import_paths(
    project: Project,
    paths: Iterable[str | Path],
    *,
    strict: bool = False,
    annotator: str = "",
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportReport:
    files = list(iter_paths(paths))
    report = ImportReport(files=len(files))
    total = total_bytes(files) * (2 if strict else 1)
    done_before = 0

    def tick(n: int) -> None:
        if progress:
            progress(done_before + n, total)

    if strict:
        for path in files:
            for item in read_file(path, on_bytes=tick):
                if item.error:
                    report.bad.append(item.error)
            done_before += path.stat().st_size
        if report.bad:
            report.stored = False
            return report

    writer = _Writer(project, report, annotator)
    for path in files:
        for item in read_file(path, on_bytes=tick):
            if cancelled and cancelled():
                writer.flush()
                report.stored = True
                project.log("import", annotator=annotator, files=[str(p) for p in files],
                            imported=report.imported, cancelled=True)  # fmt: skip
                return report
            if item.error:
                report.bad.append(item.error)
            elif item.record is not None:
                writer.add(item.record)
        done_before += path.stat().st_size
    writer.flush()
    with project.db.atomic():
        project.log(
            "import", annotator=annotator, files=[str(p) for p in files],
            imported=report.imported, duplicates=report.duplicates, bad=len(report.bad),
        )  # fmt: skip
    return report


class _Writer:
    """Buffers records and writes each batch in one transaction."""

    def __init__(self, project: Project, report: ImportReport, annotator: str):
        self.project = project
        self.report = report
        self.annotator = annotator
        self.pending: list[ArticleRecord] = []

    def add(self, record: ArticleRecord) -> None:
        self.pending.append(record)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        added = self.project.add_records(batch, annotator=self.annotator)
        r = self.report
        r.duplicates += added.duplicates
        r.imported += len(added.ids)
        r.article_ids.extend(added.ids)
        r.spans += added.spans
        r.labels_added.extend(added.labels_added)
        for status, n in added.statuses.items():
            r.statuses[status] = r.statuses.get(status, 0) + n
