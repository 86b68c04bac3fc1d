"""Export a project: read its articles, hand them to a format writer, and put the result in
place safely.

The writers (:mod:`annotator.core.formats.docbin` for spaCy's ``train.spacy`` /
``dev.spacy`` / ``manifest.json``, :mod:`annotator.core.formats.prodigy_tasks` for Prodigy
JSONL, :mod:`annotator.core.formats.conll` for IOB2 ``train.conll`` / ``dev.conll``,
:mod:`annotator.core.formats.hf` for Hugging Face ``train.jsonl`` / ``dev.jsonl`` /
``labels.json``; every format but jsonl is a folder with a ``manifest.json``) know nothing
of the project file or of what is already on disk. This module owns:

* **What is never overwritten.** The project file (and its ``-wal``, ``-shm``,
  ``-journal``), a folder holding it, and any file this project's exports did not write.
  Every file an export writes is recorded in the project (setting ``"exports"``: real path
  -> the sha256 of what was written); an existing file is replaced only while it still has
  that checksum. A refusal raises :class:`ExportError` with one line naming the file and
  what to do, before anything is written.
* **Whole or nothing.** The export is written into a new hidden sibling of the target
  (``.NAME.annotator-PID-TOKEN.new``) and swapped in at the end: on Linux with one atomic
  exchange of the two folders, elsewhere with two renames (old set aside, new in place).
  So the target holds the complete old set, the complete new set, or (elsewhere, between
  the two renames) nothing, never a mix. A killed export leaves only hidden
  ``.NAME.annotator-*`` siblings, which the next export to that target deletes. The
  checksums are recorded before the swap (old and new both accepted) and narrowed to the
  new set after it, so a kill at any point never makes the next export refuse its own files.
* **Links.** A linked span carries its entity into every format: ``kb_id_`` on spaCy's
  entities, ``kb_id`` on Prodigy spans (and Prodigy's entity-linking tasks written back as
  they came), a third CoNLL column and an HF ``kb_ids`` field when the project has links.
* **The report.** Counts by split and label, articles left out by status, partial articles,
  problem spans by kind, and warnings about what ``spacy train`` trips on (an empty dev
  set, a label with fewer than :data:`FEW_EXAMPLES` examples in train, problem spans). An
  export with no article at all writes nothing and raises
  :class:`NothingToExportError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .formats.conll import export_conll
from .formats.docbin import (
    PROBLEM_KINDS,
    ExportArticle,
    ExportError,
    ExportReport,
    Misaligned,
    ProgressCallback,
    export_spacy,
)
from .formats.hf import export_hf
from .formats.prodigy_tasks import export_jsonl
from .project import Project
from .records import STATUSES
from .tokens import blank
from .wording import plural

__all__ = [
    "EXPORTS_SETTING",
    "FORMATS",
    "PROBLEM_KINDS",
    "ExportArticle",
    "ExportError",
    "ExportReport",
    "Misaligned",
    "NothingToExportError",
    "UnsafeTargetError",
    "export_articles",
    "export_project",
    "export_target",
]

FORMATS = ("spacy", "jsonl", "conll", "hf")
EXPORTS_SETTING = "exports"  # real path -> [sha256 of what an export of this project wrote]
SPACY_FILES = ("train.spacy", "dev.spacy", "manifest.json")
FOLDER_FILES = {  # the files of each folder format
    "spacy": SPACY_FILES,
    "conll": ("train.conll", "dev.conll", "manifest.json"),
    "hf": ("train.jsonl", "dev.jsonl", "labels.json", "manifest.json"),
}
FEW_EXAMPLES = 10  # fewer examples of a label in train than this: a warning
CONFIG_FILE = "config.cfg"  # ready for `python -m spacy train`
JSONL_DEFAULT_NAME = "annotations.jsonl"

# Temporary files of Annotator versions before the whole-folder swap, inside a spaCy folder
# (".train.spacy.k2j4h1x9.tmp") or beside a JSONL file (".NAME.k2j4h1x9.tmp"): leftovers.
_OLD_TMP = r"\.{name}\.[a-z0-9_]{{8}}\.tmp"
_OLD_SPACY_TMP = re.compile("|".join(_OLD_TMP.format(name=re.escape(n)) for n in SPACY_FILES))


class UnsafeTargetError(ExportError):
    """The output path would overwrite the project, or a file this project did not write."""


class NothingToExportError(ExportError):
    """No article has an exported status: nothing was written (``.report`` says what was
    left out)."""


def export_articles(
    project: Project, statuses: Sequence[str] = ("accepted",), suggestions=None,
    team: Iterator | None = None,
) -> Iterator[ExportArticle]:
    """Articles of the given statuses with their spans.

    `suggestions(article) -> list[Span]`, when given, adds the current suggestions of
    pending articles (used by `export --status pending`). `team`: the resolved versions of a
    team file's unreviewed articles (team/resolve.py), exported as their chosen version."""
    from .team.resolve import versions_of

    resolved = {}
    if team is not None:
        resolved = {r.article_id: r for r in team if r.status in statuses}
    with_versions = {r[0] for r in project.store.conn.execute(
        "SELECT DISTINCT article_id FROM versions")}  # fmt: skip
    for art, spans in project.iter_articles_with_spans(statuses):
        if art.id in resolved:  # pending here, but decided in its versions: below
            continue
        versions = versions_of(project.store.conn, art.id) if art.id in with_versions else None
        if suggestions is not None and art.status == "pending":
            spans = sorted([*spans, *suggestions(art)], key=lambda s: (s.start, s.end))
        yield ExportArticle(
            id=art.id, text=art.text, title=art.title, meta=art.meta, status=art.status,
            input_hash=art.input_hash, spans=spans,
            prodigy_input_hash=art.prodigy_input_hash, prodigy_task_hash=art.prodigy_task_hash,
            annotation=getattr(art, "annotation", "complete"),
            flagged=art.flagged, flag_note=art.flag_note, versions=versions,
            annotator_id=(art.status_by or "") if versions else "",
        )  # fmt: skip
    ids = sorted(resolved)
    for i in range(0, len(ids), 500):
        for art in project.articles_by_id(ids[i : i + 500]):
            r = resolved[art.id]
            yield ExportArticle(
                id=art.id, text=art.text, title=art.title, meta=art.meta, status=r.status,
                input_hash=art.input_hash, spans=r.spans,
                prodigy_input_hash=art.prodigy_input_hash, annotation="complete",
                flagged=art.flagged, flag_note=art.flag_note, annotator_id=r.annotator,
                versions=r.versions,
            )  # fmt: skip


def export_target(out: Path | str, format: str) -> Path:
    """The real path an export to ``out`` writes: the folder (spacy) or the file (jsonl; a
    folder, or a new name without suffix, gets ``annotations.jsonl`` inside). Refuses
    (UnsafeTargetError, nothing written) a path through a symbolic link to nothing, and a
    folder format's target that is the current folder or holds it: the export replaces its
    folder whole, which would pull the folder out from under whoever is in it."""
    given = Path(out).expanduser()
    _refuse_dangling_links(given)
    out = Path(os.path.realpath(given))
    if format == "jsonl" and (out.is_dir() or not (out.suffix or out.exists())):
        out = out / JSONL_DEFAULT_NAME
    elif format != "jsonl":
        try:
            here = Path(os.path.realpath(os.getcwd()))
        except OSError:  # the current folder was deleted: nothing to pull away
            here = None
        if here is not None and here.is_relative_to(out):
            which = "is the folder you are in" if here == out else "holds the folder you are in"
            raise UnsafeTargetError(
                f"{out} {which}: an export replaces its folder whole; name a folder for the "
                f"export instead (e.g. --out {out / 'corpus'})")
    return out


def _refuse_dangling_links(path: Path) -> None:
    """A path through a symbolic link whose target does not exist would write wherever the
    link points: refused, naming the link."""
    for part in (path, *path.parents):
        if os.path.islink(part) and not os.path.exists(part):
            raise UnsafeTargetError(
                f"{part} is a symbolic link to {os.readlink(part)}, which does not exist; "
                "remove the link or choose another --out")


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
    on_progress: ProgressCallback | None = None,
    unreviewed: str | None = None,
) -> ExportReport:
    """Export the articles of the given statuses to ``out`` (see the module docstring).

    Raises :class:`ExportError` (nothing written) for an unsafe output path and, with
    ``strict``, for any problem span."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    target = export_target(out, format)
    guard = _Guard(project)
    guard.check(target, format)
    _remove_leftovers(target)

    counts = project.counts()
    excluded = {st: counts.get(st, 0) for st in STATUSES if st not in statuses}
    from .team.resolve import team_articles

    team, left_out = team_articles(project.store.conn, unreviewed)
    team = list(team)  # small records; known now so that the report counts them right
    if team and "pending" in excluded:  # decided in their versions, not pending work
        excluded["pending"] -= len(team)
        for r in team:
            if r.status not in statuses:
                excluded[r.status] = excluded.get(r.status, 0) + 1
    articles = export_articles(project, statuses, suggestions, iter(team))
    nlp = blank(project.language)  # loaded once per process: spacy.blank costs ~0.1 s
    staging = _staging(target, "new")
    made = [d for d in (target.parent, *target.parent.parents) if not d.exists()]
    staging.mkdir(parents=True)
    done = False
    try:
        if format == "spacy":
            report = export_spacy(articles, staging, nlp, dev_split=dev_split, seed=seed,
                                  strict=strict, on_progress=on_progress, statuses=statuses,
                                  excluded=excluded)  # fmt: skip
            names = list(SPACY_FILES)
            if report.total_articles:
                report.checksums[CONFIG_FILE] = write_train_config(staging, target,
                                                                   project.language)
                names.append(CONFIG_FILE)
            final = target
        elif format in ("conll", "hf"):
            kw = dict(dev_split=dev_split, seed=seed, strict=strict, on_progress=on_progress,
                      statuses=statuses, excluded=excluded,
                      links=project.has_links())  # fmt: skip
            if format == "hf":
                kw["labels"] = project.label_names()
            report = (export_hf if format == "hf" else export_conll)(articles, staging, nlp,
                                                                     **kw)  # fmt: skip
            names, final = list(FOLDER_FILES[format]), target
        else:
            report = export_jsonl(articles, staging / target.name, nlp, statuses=statuses,
                                  strict=strict, on_progress=on_progress,
                                  excluded=excluded)  # fmt: skip
            names = [target.name]
            final = target.parent
        few_examples_warning(report)
        if left_out:
            have = "article has" if len(left_out) == 1 else "articles have"
            report.warnings.append(
                f"{len(left_out):,} {have} several annotators' versions and none is "
                "reviewed: left out (review them, or choose with --unreviewed first|majority)")
        if report.total_articles == 0:
            report.files = []
            message = _nothing_message(report, statuses, target)
            if left_out:
                message += f"; {report.warnings[-1]}"
            raise NothingToExportError(message, report)
        written = {str(final / n): report.checksums[n] for n in names}
        if project.read_only:  # what was written cannot be recorded in the project
            report.warnings.append(
                f"{project.path.name} is read-only here, so it cannot remember writing "
                f"{target.name}: a later export will not replace it (move it away first)")
        current = guard.check(target, format)  # again: the target may have changed meanwhile
        guard.record({p: [d, *([current[p]] if p in current else [])] for p, d in written.items()})
        if format != "jsonl":
            _swap_in(staging, target)
        else:
            os.replace(staging / target.name, target)
        _fsync_dir(target.parent)
        done = True
        guard.record({p: [d] for p, d in written.items()}, prune=True)
        report.files = list(written)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done:  # folders made for an export that wrote nothing
            for d in made:
                with contextlib.suppress(OSError):
                    d.rmdir()


def few_examples_warning(report: ExportReport) -> None:
    """Warn about labels with fewer than FEW_EXAMPLES examples in train (in the whole
    export for jsonl, which has no split)."""
    split = "train" if "train" in report.counts else "all"
    seen = report.labels.get(split, {})
    names = sorted({lab for counts in report.labels.values() for lab in counts})
    few = [f"{lab} ({seen.get(lab, 0)})" for lab in names if seen.get(lab, 0) < FEW_EXAMPLES]
    if few and report.total_articles:
        where = "in train" if split == "train" else "in the export"
        report.warnings.append(f"{plural(len(few), 'label')} with fewer than {FEW_EXAMPLES} "
                               f"examples {where}, too few to learn: {', '.join(few)}")


def write_train_config(folder: Path, target: Path, lang: str) -> str:
    """A NER training config as `spacy init config --pipeline ner` writes it, its paths set
    to the export's files (where they will be once the export is in place), so that
    `python -m spacy train TARGET/config.cfg --output model` is the whole command.
    Returns its sha256."""
    from spacy.cli.init_config import init_config

    config = init_config(lang=lang, pipeline=["ner"], optimize="efficiency")
    config["paths"]["train"] = str(target / "train.spacy")
    config["paths"]["dev"] = str(target / "dev.spacy")
    path = folder / CONFIG_FILE
    config.to_disk(path)
    return _sha256(path)


def train_command(target: Path) -> str:
    """The command that trains on an export (shown by the CLI and the window)."""
    return f"python -m spacy train {target / CONFIG_FILE} --output model"


def _nothing_message(report: ExportReport, statuses: Sequence[str], target: Path) -> str:
    wanted = " or ".join(statuses)
    left = ", ".join(f"{n} {st}" for st, n in report.excluded.items() if n)
    dups = f", {report.duplicates_skipped} duplicates" if report.duplicates_skipped else ""
    return (f"nothing to export: no article is {wanted} ({left or 'the project is empty'}"
            f"{dups}); {target} was left as it was")  # fmt: skip


# --------------------------------------------------------------------------- path safety


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class _Guard:
    """What this project may overwrite: only files its exports wrote, unchanged since."""

    def __init__(self, project: Project):
        self.project = project
        real = Path(os.path.realpath(project.path))
        self.project_file = real
        self.own = {real, *(real.with_name(real.name + s) for s in ("-wal", "-shm", "-journal"))}
        self.exports: dict[str, list[str]] = dict(project.get_setting(EXPORTS_SETTING, {}) or {})

    def _refuse(self, message: str):
        raise UnsafeTargetError(message)

    def _is_project_file(self, path: Path) -> bool:
        if path in self.own:
            return True
        with contextlib.suppress(OSError):
            return path.exists() and os.path.samefile(path, self.project_file)
        return False

    def _ours(self, path: Path) -> str:
        """The checksum of ``path``, a file an export of this project wrote and nobody changed
        since; refuses otherwise."""
        if path.is_symlink() or not path.is_file():
            self._refuse(f"{path} is not a file Annotator wrote; move it away or choose "
                         "another --out")  # fmt: skip
        known = self.exports.get(str(path))
        if not known:
            self._refuse(f"{path} exists and was not written by an export of this project; "
                         "move it away or choose another --out")  # fmt: skip
        digest = _sha256(path)
        if digest not in known:
            self._refuse(f"{path} was changed since this project exported it; move it away "
                         "or choose another --out")  # fmt: skip
        return digest

    def check(self, target: Path, format: str) -> dict[str, str]:
        """Refuse an unsafe target; return {path: checksum} of the files it would replace."""
        if self._is_project_file(target):
            self._refuse(f"{target} is this project's own file; choose another --out")
        if format == "jsonl":
            if target.is_dir():
                self._refuse(f"{target} is a folder; choose a file name for --out")
            return {str(target): self._ours(target)} if target.exists() else {}
        if self.project_file.is_relative_to(target):
            self._refuse(f"{target} holds the project file {self.project_file}; choose "
                         "another --out folder")  # fmt: skip
        if not target.exists():
            return {}
        if not target.is_dir():
            self._refuse(f"{target} is a file, not a folder; choose a folder for --out")
        current = {}
        for entry in sorted(os.scandir(target), key=lambda e: e.name):
            path = Path(entry.path)
            if _OLD_SPACY_TMP.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                continue  # a leftover of an older Annotator: goes with the old folder
            if entry.is_dir(follow_symlinks=False):
                self._refuse(f"{path} is a folder Annotator did not write, inside the "
                             "export folder; move it away or choose another --out")  # fmt: skip
            current[str(path)] = self._ours(path)
        return current

    def record(self, files: dict[str, list[str]], prune: bool = False) -> None:
        """Store the accepted checksums of ``files``; ``prune`` forgets files that are gone.
        Nothing on a read-only project (the export says so)."""
        if self.project.read_only:
            return
        fresh = dict(self.project.get_setting(EXPORTS_SETTING, {}) or {})
        fresh.update(files)
        if prune:
            fresh = {p: d for p, d in fresh.items() if p in files or os.path.isfile(p)}
        self.project.set_setting(EXPORTS_SETTING, fresh)
        self.exports = fresh


# --------------------------------------------------------------------------- staging and swap


def _staging(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.annotator-{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers are from an export that already ended
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x00100000, False, pid)  # SYNCHRONIZE
        if not handle:
            return False
        try:
            return kernel32.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT: running
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(target: Path) -> None:
    """Delete what killed exports to ``target`` left beside it (not a running export's)."""
    parent = target.parent
    if not parent.is_dir():
        return
    ours = re.compile(re.escape(f".{target.name}.annotator-") + r"(\d+)-[0-9a-f]+\.(new|old)")
    old_tmp = re.compile(_OLD_TMP.format(name=re.escape(target.name)))
    for entry in os.scandir(parent):
        m = ours.fullmatch(entry.name)
        if m and not _pid_alive(int(m.group(1))):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        elif old_tmp.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if sys.platform != "linux":
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_in(staging: Path, target: Path) -> None:
    """Put the folder ``staging`` at ``target``; the old ``target`` folder is deleted."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now the old set
        return
    old = staging.with_name(staging.name.removesuffix(".new") + ".old")
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
