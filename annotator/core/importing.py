"""Import files into a project: what the readers (`formats/`) yield is stored in batched
transactions by `Project.add_records` (deduplicated under the write lock, spans checked
and snapped to tokens), and reported with file and line.

A record is stored whole (article, status, spans, suggestions) or not at all. With
`strict`, the files are read once to validate and nothing is stored if any record is bad.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .formats import BadRecord, iter_paths, read_file, total_bytes
from .project import Project
from .records import ArticleRecord
from .wording import plural

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
    merged: int = 0  # partial (binary) records added to an article of the same text
    versions: int = 0  # several annotators' decisions on a text, kept as their versions
    warnings: list[BadRecord] = field(default_factory=list)  # stored, but worth knowing
    # links to entities the knowledge base does not hold (kept as given): id -> links
    unknown_kb_ids: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"imported {plural(self.imported, 'article')} from "
                 f"{plural(self.files, 'file')}"]
        if self.merged:
            parts.append(f"added {plural(self.merged, 'binary answer')} to articles of the "
                         "same text")
        if self.versions:
            parts.append(f"kept {self.versions:,} annotators' versions (review them, or export "
                         "with --unreviewed)")
        if self.duplicates:
            parts.append(f"skipped {plural(self.duplicates, 'duplicate')}")
        if self.unknown_kb_ids:
            ids = sorted(self.unknown_kb_ids)
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5:,} more" if len(ids) > 5 else "")
            parts.append(f"kept {plural(sum(self.unknown_kb_ids.values()), 'link')} to "
                         f"{plural(len(ids), 'entity', 'entities')} the knowledge base does not "
                         f"hold ({shown}): add them to it")
        if self.warnings:
            parts.append(plural(len(self.warnings), "warning"))
        if self.bad:
            parts.append(f"{plural(len(self.bad), 'bad record')} "
                         f"{'refused' if not self.stored else 'skipped'}")
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
            done_before += _size(path)
        if report.bad:
            report.stored = False
            return report

    cancelled_early = False
    with _Writer(project, report, annotator) as writer:
        for path in files:
            for item in read_file(path, on_bytes=tick):
                if cancelled and cancelled():
                    cancelled_early = True
                    break
                if item.error:
                    report.bad.append(item.error)
                elif item.record is not None:
                    report.warnings += [BadRecord(item.path, item.line, w)
                                        for w in getattr(item, "warnings", ())]  # fmt: skip
                    writer.add(item.record, item.path, item.line)
            if cancelled_early:
                break
            done_before += _size(path)
    project.invalidate_caches()
    with project.write():
        project.log(
            "import", annotator=annotator, files=[str(p) for p in files],
            imported=report.imported, duplicates=report.duplicates, bad=len(report.bad),
            cancelled=cancelled_early,
        )  # fmt: skip
    return report


class _Writer:
    """Stores batches of records on a thread of its own, with its own connection, while
    the caller goes on reading: parsing (Python) and storing (mostly SQLite, which lets go
    of the GIL) overlap. The queue is bounded, so memory stays flat. After each batch, as many
    articles are added to the search index, in a transaction of their own: a killed import
    leaves the index at most one batch behind (`ensure_search_index` catches up)."""

    def __init__(self, project: Project, report: ImportReport, annotator: str):
        self.path = project.path
        self.report = report
        self.annotator = annotator
        self.pending: list[tuple[ArticleRecord, str, int | None]] = []
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="annotator-import", daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def add(self, record: ArticleRecord, path: str, line: int | None) -> None:
        self.pending.append((record, path, line))
        if len(self.pending) >= BATCH:
            self._send()

    def _send(self) -> None:
        if self.error is not None:
            raise self.error
        batch, self.pending = self.pending, []
        self.queue.put(batch)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.pending:
            self._send()
        self.queue.put(None)
        self.thread.join()
        if exc_type is None and self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            with Project(self.path) as project:
                while (batch := self.queue.get()) is not None:
                    if self.error is None:
                        self._store(project, batch)
        except BaseException as exc:  # handed to the reading thread
            self.error = exc
            while self.queue.get() is not None:  # drain so the reader never blocks
                pass

    def _store(self, project: Project, batch: list[tuple[ArticleRecord, str, int | None]]) -> None:
        added = project.add_records([rec for rec, _, _ in batch], annotator=self.annotator)
        if added.ids:  # keep the search index current: as many articles as were just stored
            project.articles.ensure_search_index(limit=len(added.ids))
        r = self.report
        r.merged += added.merged
        r.versions += added.versions
        for i, why in added.refused:
            r.bad.append(BadRecord(batch[i][1], batch[i][2], why))
        for i, was, now in added.snapped:
            r.warnings.append(BadRecord(batch[i][1], batch[i][2], (
                f"span [{was.start}, {was.end}) {was.label} is not on word boundaries: "
                f"stored as [{now.start}, {now.end})")))  # fmt: skip
        r.duplicates += added.duplicates
        r.imported += len(added.ids)
        r.article_ids.extend(added.ids)
        r.spans += added.spans
        r.labels_added.extend(added.labels_added)
        for kb_id, n in added.unknown_kb_ids.items():
            r.unknown_kb_ids[kb_id] = r.unknown_kb_ids.get(kb_id, 0) + n
        for status, n in added.statuses.items():
            r.statuses[status] = r.statuses.get(status, 0) + n


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reported by read_file as a bad record
        return 0
