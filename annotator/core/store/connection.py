"""Opening a project file, and the one way to write to it.

A file is opened only when it is ours: an Annotator project (marked with
`PRAGMA application_id`, or an older project recognised by its migrations table), an
empty file, or a new one. Anything else (another program's database, a file from a newer
Annotator, not SQLite at all) is refused *before* a single byte is written, so a refused
file stays byte-identical.

Every write is one `write()` transaction: `BEGIN IMMEDIATE` takes the write lock first,
an expected article version is checked inside it, and SQLite's errors come out as
`StorageError` with one plain sentence.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import (
    ConflictError,
    NewerProjectError,
    NotAProjectError,
    ProjectError,
    StorageError,
)
from .schema import APPLICATION_ID, SCHEMA_VERSION, migrations

BUSY_TIMEOUT_MS = 10000


def identify(path: Path) -> str:
    """What the file is, read without changing it: "missing", "empty", "ours",
    "legacy" (an Annotator project from before application_id), or raise
    NotAProjectError / NewerProjectError.

    The file is read through SQLite only (a read-only connection), never with a plain
    open(): on POSIX systems closing *any* descriptor of a file drops every lock this
    process holds on it, so a stray open/close would silently unlock this process's own
    connections to the project, and another process could then delete the WAL under them.
    SQLite's own connections share their locks within a process and never do that."""
    if not path.exists():
        return "missing"
    if path.is_dir():
        raise NotAProjectError(f"{path}: is a folder, not a project file")
    if not path.is_file():
        raise NotAProjectError(f"{path}: is not a regular file")
    try:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        probe = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise NotAProjectError(f"{path}: cannot be read as a project file ({exc})") from exc
    try:
        probe.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        app_id = probe.execute("PRAGMA application_id").fetchone()[0]
        version = probe.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        legacy = False
        if app_id == 0 and "_sqlite_migrations" in tables:
            legacy = probe.execute(
                "SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'annotator' LIMIT 1"
            ).fetchone() is not None
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        why = "not an SQLite database" if "not a database" in text else str(exc)
        raise NotAProjectError(f"{path}: not an Annotator project file ({why})") from exc
    finally:
        probe.close()
    if app_id not in (0, APPLICATION_ID):
        raise NotAProjectError(
            f"{path}: not an Annotator project file (another program's SQLite database)"
        )
    if app_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise NewerProjectError(
                f"{path}: made by a newer version of Annotator (project format {version}, "
                f"this version reads up to {SCHEMA_VERSION}); update Annotator to open it"
            )
        return "ours"
    if legacy:
        return "legacy"
    if not tables:
        return "empty"
    shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
    raise NotAProjectError(
        f"{path}: not an Annotator project file (an SQLite database with tables {shown}); "
        "it was left unchanged"
    )


def translate(exc: sqlite3.Error, path: Path) -> ProjectError:
    """SQLite's error as one sentence a person can act on."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        msg = (f"{path.name} is busy: another program (an import, another window) has been "
               "writing to it for too long; try again in a moment")  # fmt: skip
    elif "readonly" in text or "read-only" in text or "read only" in text:
        msg = f"{path.name} is read-only here: nothing can be saved to it"
    elif "full" in text:
        msg = f"the disk holding {path.name} is full: nothing more can be saved"
    elif "disk i/o" in text:
        msg = f"{path.name} could not be written (a disk error)"
    elif isinstance(exc, sqlite3.IntegrityError):
        msg = f"{path.name}: the change was refused as inconsistent with what is stored ({exc})"
    else:
        msg = f"{path.name}: {exc}"
    return StorageError(msg)


class Store:
    """One SQLite connection to a project file, configured, migrated, with `write()`."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        kind = identify(self.path)
        if kind == "missing" and not create:
            raise ProjectError(f"{self.path}: no such project file")
        try:
            if kind == "missing" and self.path.parent != Path(""):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
        except (OSError, sqlite3.Error) as exc:
            raise ProjectError(f"{self.path}: cannot open ({exc})") from exc
        self.conn = conn
        self._db = None  # a sqlite-utils Database over `conn`, made when first needed
        self.commits = 0  # own commits: `PRAGMA data_version` only counts other connections'
        try:
            self._configure()
            self._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, self.path) from exc
        except BaseException:
            conn.close()
            raise

    @property
    def db(self):
        """sqlite-utils over the same connection (for migrations and tests); imported on
        first use, so that opening a project (the window's first frame) does not pay for
        importing it."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    def _configure(self) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = self._switch_to_wal()
        self.wal = str(mode).lower() == "wal"
        self.warning = None if self.wal else (
            f"{self.path}: SQLite could not use write-ahead logging here (journal mode "
            f"{mode}); is the file on a network drive? Keep project files on a local disk."
        )
        # FULL: a committed decision survives a power cut, not only a crash.
        conn.execute("PRAGMA synchronous = FULL")

    def _switch_to_wal(self) -> str:
        """`PRAGMA journal_mode = WAL`, retried: while another process is creating the
        same new file, SQLite refuses the switch with "database is locked" at once,
        without waiting on the busy timeout, so two imports started together would fail."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.01
        while True:
            try:
                return self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _migrate(self) -> None:
        """Create or upgrade the schema under the write lock, so two processes opening a
        new file at once never both create it."""
        if self._current():
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise NewerProjectError(f"{self.path}: made by a newer version of Annotator")
            if not self._current():
                migrations().apply(self.db)
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def _current(self) -> bool:
        c = self.conn
        return (c.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
                and c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION)  # fmt: skip

    def data_version(self) -> tuple[int, int]:
        """Changes whenever the file changed: another connection's commit or our own."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0], self.commits

    @contextmanager
    def write(self, expect: tuple[int, int] | None = None) -> Iterator[None]:
        """One write transaction; nested calls become savepoints.

        `expect=(article_id, version)`: raise ConflictError, writing nothing, unless the
        article is still at that version. The check is inside the transaction, after the
        write lock is taken, so no other connection can change the article in between.
        `BEGIN IMMEDIATE` also avoids the deferred transaction's instant "database is
        locked" when another connection commits between our first read and first write."""
        conn = self.conn
        if conn.in_transaction:  # a savepoint inside the transaction
            conn.execute("SAVEPOINT nested_write")
            try:
                self._expect(expect)
                yield
            except BaseException:
                conn.execute("ROLLBACK TO nested_write")
                conn.execute("RELEASE nested_write")
                raise
            conn.execute("RELEASE nested_write")
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc
        try:
            self._expect(expect)
            yield
        except BaseException as exc:
            if conn.in_transaction:
                conn.rollback()
            if isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.ProgrammingError):
                raise translate(exc, self.path) from exc
            raise
        try:
            conn.commit()
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            raise translate(exc, self.path) from exc
        self.commits += 1

    def _expect(self, expect: tuple[int, int] | None) -> None:
        if expect is None:
            return
        article_id, version = expect
        row = self.conn.execute("SELECT version FROM articles WHERE id = ?",
                                [article_id]).fetchone()  # fmt: skip
        if row is None:
            raise ProjectError(f"no article {article_id}")
        if row[0] != version:
            raise ConflictError(f"article {article_id} was changed elsewhere")

    def close(self) -> None:
        self.conn.close()
