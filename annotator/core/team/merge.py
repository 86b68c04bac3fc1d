"""Merge annotators' project files into a team file: each annotator's decision and spans on
an article become that annotator's *version* of it (table `versions`); nothing is
overwritten or averaged. Articles match by input hash (one missing from the team file is
added, pending). Merging the same file again adds nothing; a version the annotator changed
since is updated. Source files are only read (read-only connections: never changed); the
whole merge is one transaction, so a killed merge leaves the team file as it was.

Who a version belongs to: the decision's `status_by`, else the file's `annotator` setting
(written by `annotator split`), else the file's name.

Links come back with the spans (a version's span carries its entity). Entities an
annotator's file holds and the team file does not (an annotator added them to the
knowledge base) are added to the team file's, so every link merged names an entity there;
an entity the team file has already is left as it is.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProjectError
from ..project import Project
from ..store import versions
from ..store.connection import identify, read_only_uri
from ..store.schema import SCHEMA_VERSION
from ..store.settings import now
from ..store.versions import spans_json

BATCH = 5000


@dataclass
class MergeReport:
    files: int = 0
    articles_added: int = 0  # articles the team file did not have
    versions_added: int = 0
    versions_updated: int = 0  # an annotator changed their decision since the last merge
    versions_unchanged: int = 0
    labels_added: list[str] = field(default_factory=list)
    entities_added: int = 0  # knowledge-base entities the team file did not hold
    annotators: dict[str, int] = field(default_factory=dict)  # versions per annotator
    conflicts: int = 0  # articles whose versions disagree (status or spans), after the merge

    def summary(self) -> str:
        who = ", ".join(f"{a} {n:,}" for a, n in sorted(self.annotators.items()))
        line = (f"merged {self.files} files: {self.versions_added:,} versions added, "
                f"{self.versions_updated:,} updated, {self.versions_unchanged:,} unchanged; "
                f"{self.articles_added:,} new articles; {self.conflicts:,} articles where "
                "versions disagree")  # fmt: skip
        if who:
            line += f" ({who})"
        if self.labels_added:
            line += f"; labels added: {', '.join(self.labels_added)}"
        if self.entities_added:
            line += f"; {self.entities_added:,} knowledge-base entities added"
        return line


def _readable(source: Path, scratch: Path) -> Path:
    """The file to read `source` through: itself when its schema is this version's; an
    older project is copied and the copy upgraded (the source is never touched)."""
    kind = identify(source)  # raises for another program's file or a newer Annotator's
    if kind in ("missing", "empty"):
        raise ProjectError(f"{source}: no such project file" if kind == "missing"
                           else f"{source}: is empty, not a project file")  # fmt: skip
    conn = sqlite3.connect(read_only_uri(source), uri=True)  # a read-only folder too
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if kind == "ours" and version == SCHEMA_VERSION:
        return source
    copy = scratch / f"{len(list(scratch.iterdir()))}-{source.name}"
    src = sqlite3.connect(read_only_uri(source), uri=True)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    Project(copy, create=False).close()  # upgraded
    return copy


def merge_files(team_path: Path, sources: Sequence[Path]) -> MergeReport:
    team_path = Path(team_path)
    sources = [Path(s) for s in sources]
    if not sources:
        raise ProjectError("name the annotators' files to merge")
    for s in sources:
        if os.path.realpath(s) == os.path.realpath(team_path):
            raise ProjectError(f"{s}: is the team file itself")
    report = MergeReport(files=len(sources))
    with tempfile.TemporaryDirectory(prefix="annotator-merge-") as tmp, \
            Project(team_path) as team:  # fmt: skip
        readable = [(s, _readable(s, Path(tmp))) for s in sources]
        with team.store.write():  # every file or none
            for source, path in readable:
                _merge_one(team, source, path, report)
        report.conflicts = conflicts(team)
    return report


def _merge_one(team: Project, source: Path, path: Path, report: MergeReport) -> None:
    src = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        setting = src.execute("SELECT value FROM settings WHERE key = 'annotator'").fetchone()
        default = (json.loads(setting[0]) if setting else "") or source.name.split(".")[0]
        labels = [r[0] for r in src.execute("SELECT name FROM labels ORDER BY ord")]
        added = team.label_store.ensure(labels)
        report.labels_added += [a for a in added if a not in report.labels_added]
        conn = team.store.conn
        report.entities_added += _merge_kb(src, conn)
        cursor = src.execute(
            "SELECT id, input_hash, text, title, source, meta, status, status_by, status_at, "
            "created_at FROM articles WHERE status != 'pending' ORDER BY id")  # fmt: skip
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                break
            spans: dict[int, list] = {r[0]: [] for r in rows}
            marks = ",".join("?" * len(rows))
            for aid, start, end, label, kb_id in src.execute(
                    f'SELECT article_id, start, "end", label, kb_id FROM spans WHERE article_id '
                    f"IN ({marks})", [r[0] for r in rows]):  # fmt: skip
                spans[aid].append([start, end, label] + ([kb_id] if kb_id is not None else []))
            hashes = [r[1] for r in rows]
            known = dict(conn.execute(
                f"SELECT input_hash, id FROM articles WHERE input_hash IN ({marks})", hashes))
            next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
            for (sid, h, text, title, src_name, meta, status, by, at, created) in rows:
                if h not in known:
                    conn.execute(
                        "INSERT INTO articles(id, input_hash, text, title, source, meta, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [next_id, h, text, title, src_name, meta, created or now()])  # fmt: skip
                    known[h], next_id = next_id, next_id + 1
                    report.articles_added += 1
                aid, who = known[h], (by or default)
                status_now, spans_now = status, spans_json(spans[sid])
                old = conn.execute("SELECT status, spans FROM versions WHERE article_id = ? "
                                   "AND annotator = ?", [aid, who]).fetchone()  # fmt: skip
                if old is not None and tuple(old) == (status_now, spans_now):
                    report.versions_unchanged += 1
                    continue
                versions.put(conn, aid, who, status_now, spans_now, at, source.name)
                if old is None:
                    report.versions_added += 1
                else:
                    report.versions_updated += 1
                report.annotators[who] = report.annotators.get(who, 0) + 1
    finally:
        src.close()


KB_TABLES = ("kb_entities", "kb_aliases")  # in this order: aliases name their entity


def _columns(conn, table: str, schema: str = "main") -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def _merge_kb(src, conn) -> int:
    """Add the knowledge-base entities (and their aliases) of `src` the team file lacks.
    Returns how many entities were added."""
    have = {r[0] for r in conn.execute("SELECT id FROM kb_entities")}
    added = 0
    for table in KB_TABLES:
        cols = [c for c in _columns(conn, table) if c in set(_columns(src, table))]
        if not cols:
            continue
        names = ", ".join(f'"{c}"' for c in cols)
        key = cols.index("id" if table == "kb_entities" else "entity_id")
        rows = [r for r in src.execute(f"SELECT {names} FROM {table}") if r[key] not in have]
        marks = ", ".join("?" * len(cols))
        conn.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
        if table == "kb_entities":
            added = len(rows)
    return added


def conflicts(project: Project) -> int:
    """Articles with versions that are not all the same (status and spans)."""
    return project.store.conn.execute(
        "SELECT count(*) FROM (SELECT article_id FROM versions GROUP BY article_id "
        "HAVING count(DISTINCT status || spans) > 1)").fetchone()[0]  # fmt: skip

