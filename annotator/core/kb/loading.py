"""Adding knowledge-base files to a project, as `annotator import` adds articles: a bad
line is reported with its file and line and skipped; with `strict`, nothing is stored if
any line is bad. Each file is stored in one transaction (with `strict`, all the files in
one), so a file is never half-loaded; re-adding a file updates its entities in place.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..formats.items import BadRecord
from ..store.kb import KbChange, KbEntry
from ..wording import plural
from .files import read_kb_file

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass
class KbAddReport:
    files: int = 0
    change: KbChange = field(default_factory=KbChange)
    bad: list[BadRecord] = field(default_factory=list)
    stored: bool = True  # False when `strict` refused the files
    unknown_labels: Counter[str] = field(default_factory=Counter)  # not a project label

    def summary(self) -> str:
        c = self.change
        parts = [f"added {plural(c.added, 'entity', 'entities')}", f"updated {c.updated:,}"]
        if c.unchanged:
            parts.append(f"{c.unchanged:,} unchanged")
        text = (", ".join(parts) + f" ({plural(c.aliases, 'alias', 'aliases')} stored) from "
                + plural(self.files, "file"))  # fmt: skip
        if self.bad:
            text += (f"; {plural(len(self.bad), 'bad line')} "
                     f"{'refused' if not self.stored else 'skipped'}")  # fmt: skip
        return text

    def label_notes(self) -> list[str]:
        return [f"label {label} ({plural(n, 'entity', 'entities')}) is not one of the "
                "project's labels" for label, n in sorted(self.unknown_labels.items())]


class _Refused(Exception):
    """Raised inside the transaction to roll a strict add back."""


def add_kb_files(project, paths: Sequence[str | Path], *, strict: bool = False,
                 annotator: str = "", progress: ProgressFn | None = None
                 ) -> KbAddReport:  # fmt: skip
    """Read and store knowledge-base files (see the module docstring)."""
    files = [Path(p) for p in paths]
    report = KbAddReport(files=len(files))
    labels = set(project.label_names())
    total = sum(_size(p) for p in files)
    done = 0

    def entries(path: Path) -> Iterator[KbEntry]:
        def tick(n: int) -> None:
            if progress:
                progress(done + n, total)

        for item in read_kb_file(path, tick):
            if item.error is not None:
                report.bad.append(item.error)
            elif not (strict and report.bad):  # once refused, only read on for the report
                entry = item.entry
                if entry.label is not None and entry.label not in labels:
                    report.unknown_labels[entry.label] += 1
                yield entry

    kb = project.kb
    if strict:
        try:
            with project.write():
                for path in files:
                    report.change += kb.add(entries(path), str(path), annotator)
                    done += _size(path)
                if report.bad:
                    raise _Refused
        except _Refused:
            report.stored, report.change = False, KbChange()
        return report
    for path in files:
        with project.write():
            report.change += kb.add(entries(path), str(path), annotator)
        done += _size(path)
    return report


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
