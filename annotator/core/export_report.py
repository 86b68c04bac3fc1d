"""What an export says it did, in the same words for the command line and the window.

`describe(report, format, target)` turns an `ExportReport` into lines: the counts per split
and label (the CLI's stdout), what was left out and why, the problem spans, the warnings
about what `spacy train` trips on, the files written and the command to train on a spaCy
export. The CLI prints them with its prefixes; the window's Export dialog shows the same
lines (problem spans under "Show Details").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .formats.docbin import ExportReport, Misaligned
from .wording import plural


@dataclass
class ExportSummary:
    counts: list[str] = field(default_factory=list)  # per split, then its labels (indented)
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    problems: list[str] = field(default_factory=list)  # one line per problem span
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # absolute paths written
    train: str | None = None  # the command that trains on a spaCy export

    def text(self) -> str:
        """Everything but the problem spans, as the window shows it."""
        lines = list(self.counts) or ["Nothing was exported."]
        lines += self.notes
        if self.problems:
            lines.append(f"{plural(len(self.problems), 'problem span')}: see the details")
        lines += [f"Warning: {w}" for w in self.warnings]
        lines += [f"Wrote {f}" for f in self.files]
        if self.train:
            lines.append(f"Train with: {self.train}")
        return "\n".join(lines)


def problem_line(m: Misaligned) -> str:
    return (f"article {m.article_id} [{m.start}, {m.end}) {m.label} {m.text!r}: {m.kind}"
            + (f" ({m.hint})" if m.hint else ""))  # fmt: skip


def describe(report: ExportReport, format: str, target: Path | None = None) -> ExportSummary:
    out = ExportSummary()
    for split, c in report.counts.items():
        partial = report.partial.get(split, 0)
        line = (f"{split}: {plural(c['articles'], 'article')}, {plural(c['spans'], 'span')}"
                + (f" ({plural(partial, 'article')} partly annotated)" if partial else ""))
        linked = report.linked.get(split, 0)
        if linked:
            line += f", {plural(linked, 'linked entity', 'linked entities')}"
        out.counts.append(line)
        out.counts += [f"  {label:<20} {n:,}" for label, n in report.labels.get(split, {}).items()]
    left = ", ".join(f"{n:,} {st}" for st, n in report.excluded.items() if n)
    if left:
        out.notes.append(f"not exported (by status): {left}")
    if report.duplicates_skipped:
        out.notes.append(f"skipped {plural(report.duplicates_skipped, 'duplicate article')}")
    out.problems = [problem_line(m) for m in report.misaligned]
    out.warnings = list(report.warnings)
    out.files = [str(f) for f in report.files]
    if format == "spacy" and target is not None and report.files:
        from .export import train_command

        out.train = train_command(target)
    return out
