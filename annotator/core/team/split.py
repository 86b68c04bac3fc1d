"""Split a project into one file per annotator: disjoint shares of the pending articles,
plus an overlap every annotator gets (for agreement).

Deterministic for a seed: articles are ordered by a hash of the seed and their input hash
(so the same pool and seed always give the same files, and adding articles to the pool
does not reshuffle the others); the first `overlap` share of that order goes to everyone,
the rest is dealt out in turn. Each file keeps the pool's article ids, labels (colours,
keys), settings (model, patterns, label map, merge order, trained model reference), its
knowledge base (entities and aliases, for linking) and the articles' suggestions, spans and
links, and records whose file it is (setting `annotator`).

Files are written whole or not at all (a `.partial` file renamed at the end), and never
over an existing file.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProjectError
from ..project import Project
from ..store.connection import read_only_uri

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Per-article tables copied for the articles of a share (spans: work already done on them).
ARTICLE_TABLES = ("spans", "suggestions", "imported_suggestions", "dismissed")
# The knowledge base, copied whole to every file (aliases after the entities they name).
KB_TABLES = ("kb_entities", "kb_aliases")
SKIPPED_SETTINGS = ("last_fingerprint",)


@dataclass
class SplitReport:
    files: dict[str, Path] = field(default_factory=dict)
    shares: dict[str, int] = field(default_factory=dict)  # articles per annotator, overlap incl.
    overlap: int = 0
    pending: int = 0


def order_key(seed: int, input_hash: str) -> bytes:
    return hashlib.sha256(f"{seed}:{input_hash}".encode()).digest()


def plan(rows: list[tuple[int, str]], annotators: list[str], overlap: float, seed: int
         ) -> tuple[list[int], dict[str, list[int]]]:  # fmt: skip
    """(overlap ids, {annotator: own ids}) for (id, input hash) rows."""
    ordered = [aid for _, aid in sorted((order_key(seed, h), aid) for aid, h in rows)]
    n_overlap = round(overlap * len(ordered))
    shared, rest = ordered[:n_overlap], ordered[n_overlap:]
    own = {name: rest[i :: len(annotators)] for i, name in enumerate(annotators)}
    return sorted(shared), {name: sorted(ids) for name, ids in own.items()}


def check_names(annotators: list[str]) -> list[str]:
    names = [a.strip() for a in annotators if a.strip()]
    if len(names) < 2:
        raise ProjectError("name at least two annotators (--annotators alice,bob)")
    if len(set(names)) != len(names):
        raise ProjectError(f"an annotator is named twice: {', '.join(names)}")
    for name in names:
        if not NAME.match(name):
            raise ProjectError(f"{name!r}: an annotator's name becomes a file name: use letters, "
                               "digits, '.', '_' or '-'")  # fmt: skip
    return names


def split_project(pool_path: Path, annotators: list[str], out: Path, overlap: float = 0.1,
                  seed: int = 0) -> SplitReport:  # fmt: skip
    names = check_names(annotators)
    if not 0.0 <= overlap <= 1.0:
        raise ProjectError(f"--overlap {overlap}: give a share between 0 and 1")
    out = Path(out)
    targets = {name: out / f"{name}.annotator.db" for name in names}
    taken = [str(p) for p in targets.values() if p.exists()]
    if taken:
        raise ProjectError(f"{', '.join(taken)} exists already: split writes new files only")
    pool_path = Path(pool_path)
    if any(os.path.realpath(p) == os.path.realpath(pool_path) for p in targets.values()):
        raise ProjectError("--out would write over the pool itself")
    with Project(pool_path, create=False) as pool:  # migrated to this version if older
        rows = pool.store.conn.execute(
            "SELECT id, input_hash FROM articles WHERE status = 'pending'").fetchall()
        settings = dict(pool.store.conn.execute("SELECT key, value FROM settings").fetchall())
    if not rows:
        raise ProjectError(f"{pool_path}: no pending articles to split")
    shared, own = plan(rows, names, overlap, seed)
    out.mkdir(parents=True, exist_ok=True)
    report = SplitReport(overlap=len(shared), pending=len(rows))
    for name in names:
        ids = sorted(set(shared) | set(own[name]))
        _write_share(pool_path, targets[name], ids, settings, name,
                     {"pool": str(pool_path.resolve()), "seed": seed, "overlap": overlap,
                      "annotators": names, "overlap_articles": len(shared)})  # fmt: skip
        report.files[name], report.shares[name] = targets[name], len(ids)
    return report


def _write_share(pool_path: Path, target: Path, ids: list[int], settings: dict, name: str,
                 split_info: dict) -> None:  # fmt: skip
    import json

    partial = target.with_name(target.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)  # a killed split's: ours, by its name
    Project(partial).close()  # the schema, marked as a project file
    conn = sqlite3.connect(partial.resolve().as_uri(), uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("ATTACH DATABASE ? AS pool", [read_only_uri(Path(pool_path))])
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TEMP TABLE pick (id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO pick VALUES (?)", [(i,) for i in ids])
        conn.execute("INSERT INTO labels SELECT * FROM pool.labels")
        for table in KB_TABLES:
            tcols = ", ".join(f'"{r[1]}"' for r in conn.execute(
                f"PRAGMA main.table_info({table})"))  # fmt: skip
            conn.execute(f"INSERT INTO {table} ({tcols}) SELECT {tcols} FROM pool.{table}")
        cols = ", ".join(f'"{r[1]}"' for r in conn.execute("PRAGMA main.table_info(articles)"))
        conn.execute(f"INSERT INTO articles ({cols}) SELECT {cols} FROM pool.articles "
                     "WHERE id IN (SELECT id FROM pick)")  # fmt: skip
        for table in ARTICLE_TABLES:
            tcols = ", ".join(f'"{r[1]}"' for r in conn.execute(
                f"PRAGMA main.table_info({table})") if r[1] != "id")  # fmt: skip
            conn.execute(f"INSERT INTO {table} ({tcols}) SELECT {tcols} FROM pool.{table} "
                         "WHERE article_id IN (SELECT id FROM pick)")  # fmt: skip
        wanted = {k: v for k, v in settings.items() if k not in SKIPPED_SETTINGS}
        wanted["annotator"] = json.dumps(name)
        wanted["split"] = json.dumps(split_info)
        conn.executemany("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
                         list(wanted.items()))  # fmt: skip
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE pool")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
        partial.unlink(missing_ok=True)
        raise
    conn.close()
    os.replace(partial, target)
