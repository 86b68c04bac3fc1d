"""Opening a project file, and the one way to write to it.

A file is opened only when it is ours: an Annotator project (marked with
`PRAGMA application_id`, or an older project recognised by its migrations table), an
empty file, or a new one. Anything else (another program's database, a file from a newer
Annotator, not SQLite at all) is refused *before* a single byte is written, so a refused
file stays byte-identical.

Every write is one `write()` transaction: `BEGIN IMMEDIATE` takes the write lock first,
an expected article version is checked inside it, and SQLite's errors come out as
`StorageError` with one plain sentence.

Reading never depends on writing. A project this process may not write (a read-only file,
folder, disk or share) opens read-only: recognised as ours, never switched to WAL nor
migrated, `read_only` set, a one-line `warning`, and every `write()` refused with the
read-only sentence before anything is touched. In a read-only folder SQLite cannot create
the `-shm` file a WAL-mode file needs and refuses even `mode=ro`; such a file is then read
`immutable=1` (see `connect_read_only`).
"""

from __future__ import annotations

import errno
import os
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
from ..os_errors import describe, file_in_the_way
from .schema import APPLICATION_ID, SCHEMA_VERSION, migrations

BUSY_TIMEOUT_MS = 10000


def read_only_sentence(path: Path) -> str:
    """What a write to a read-only project says (a StorageError's text)."""
    return f"{path.name} is read-only here: nothing can be saved to it"


def read_only_warning(path: Path) -> str:
    """The one line said when a read-only project is opened."""
    return (f"{path} is read-only here: you can read it and see suggestions, but nothing can "
            "be saved (copy it somewhere you can write to)")  # fmt: skip


class _ReadOnlyFile(StorageError):
    """SQLite found the file read-only although `os.access` said it was writable."""


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def writable(path: Path) -> bool:
    """Whether this process may change the file and create its -wal/-shm (or journal)
    beside it. `os.access` answers for the real user, and says no on a read-only mount,
    for root too."""
    if not os.access(path, os.W_OK):
        return False
    if os.access(path.parent, os.W_OK | os.X_OK):
        return True
    return all(os.access(_sidecar(path, s), os.W_OK) for s in ("-wal", "-shm"))


def _cannot_open(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_CANTOPEN
    return "unable to open" in str(exc).lower()


def _is_read_only(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_READONLY
    return "readonly" in str(exc).lower()


def _has_wal(path: Path) -> bool:
    try:
        return _sidecar(path, "-wal").stat().st_size > 0
    except OSError:
        return False


def connect_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A connection that can only read `path`, and whether it is `immutable`.

    `mode=ro` first: it sees other connections' commits and takes SQLite's shared locks.
    A WAL-mode file needs its `-shm` index beside it; where the folder is read-only and
    there is none, SQLite refuses even to read. Then, if no `-wal` file holds commits not
    yet in the file, it is read `immutable=1`: as it is, without locks or `-shm` (SQLite
    then trusts nobody to change it meanwhile; nobody can without rights on the folder).
    A `-wal` file that cannot be read that way is refused with one sentence."""
    uri = path.resolve().as_uri()
    timeout = BUSY_TIMEOUT_MS / 1000
    conn = None
    try:
        conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout)
        conn.execute("PRAGMA schema_version").fetchone()  # opens the file and its -shm
        return conn, False
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        if not (isinstance(exc, sqlite3.OperationalError) and _cannot_open(exc)):
            raise
        if _has_wal(path):
            raise StorageError(
                f"{path}: cannot be read here: its latest changes are in {path.name}-wal, "
                f"and SQLite can read them only where it may create {path.name}-shm; copy "
                f"{path.name} and {path.name}-wal to a folder you can write to"
            ) from exc
    return sqlite3.connect(uri + "?immutable=1", uri=True, timeout=timeout), True


def read_only_uri(path: Path) -> str:
    """The URI SQLite can read `path` through (for `ATTACH` and other connections): the
    one `connect_read_only` found working."""
    conn, immutable = connect_read_only(path)
    conn.close()
    return path.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")


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
    if not os.access(path, os.R_OK):
        raise ProjectError(describe(PermissionError(errno.EACCES, "", str(path))))
    try:
        probe, _ = connect_read_only(Path(path))
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        why = "not an SQLite database" if "not a database" in text else str(exc)
        raise NotAProjectError(f"{path}: not an Annotator project file ({why})") from exc
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
        msg = read_only_sentence(path)
    elif "full" in text:
        msg = (f"the disk holding {path.name} is full: nothing more can be saved (free some "
               "space and try again)")  # fmt: skip
    elif "unable to open" in text:
        msg = (f"{path.name} could not be opened: check that it and its folder are there and "
               "can be read")  # fmt: skip
    elif "disk i/o" in text:
        msg = f"{path.name} could not be written (a disk error)"
    elif isinstance(exc, sqlite3.IntegrityError):
        msg = f"{path.name}: the change was refused as inconsistent with what is stored ({exc})"
    else:
        msg = f"{path.name}: {exc}"
    return StorageError(msg)


class Store:
    """One SQLite connection to a project file, configured, migrated, with `write()`.

    `read_only`: this process may not write the file (see the module docstring);
    `immutable`: it is read without locks, as it is (a read-only folder, no `-shm`)."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        self._db = None  # a sqlite-utils Database over `conn`, made when first needed
        self.commits = 0  # own commits: `PRAGMA data_version` only counts other connections'
        self.immutable = False
        kind = identify(self.path)
        if kind == "missing" and not create:
            raise ProjectError(self._not_there())
        self.read_only = kind != "missing" and not writable(self.path)
        if not self.read_only:
            try:
                self._open_for_writing(kind)
                return
            except _ReadOnlyFile:  # os.access said yes, SQLite says read-only
                if kind == "missing":
                    raise
            self.read_only = True
        self._open_read_only(kind)

    def _not_there(self) -> str:
        if file_in_the_way(str(self.path)) is not None:
            return describe(NotADirectoryError(errno.ENOTDIR, "", str(self.path)))
        return f"{self.path}: no such project file"

    def _open_for_writing(self, kind: str) -> None:
        folder = self.path.parent
        try:
            if kind == "missing" and file_in_the_way(str(self.path)) is not None:
                raise NotADirectoryError(errno.ENOTDIR, "", str(self.path))
            if kind == "missing" and folder != Path(""):
                folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
        except OSError as exc:
            raise ProjectError(describe(exc)) from exc
        except sqlite3.Error as exc:
            if kind == "missing" and not os.access(folder, os.W_OK):
                raise ProjectError(f"{self.path}: cannot be created: the folder {folder} is "
                                   "read-only here; choose a folder you can write to") from exc
            raise translate(exc, self.path) from exc
        self.conn = conn
        try:
            self._configure()
            self._migrate()
        except sqlite3.Error as exc:
            conn.close()
            if _is_read_only(exc):
                raise _ReadOnlyFile(read_only_sentence(self.path)) from exc
            raise translate(exc, self.path) from exc
        except BaseException:
            conn.close()
            raise

    def _open_read_only(self, kind: str) -> None:
        """Read it as it is: no WAL switch, no migration; an older project is left alone."""
        if kind == "empty":
            raise ProjectError(f"{self.path}: an empty file, read-only here: no project can be "
                               "made in it; choose a place you can write to")  # fmt: skip
        try:
            conn, self.immutable = connect_read_only(self.path)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if kind == "legacy" or version < SCHEMA_VERSION:
                raise ProjectError(
                    f"{self.path}: made by an older version of Annotator; it must be upgraded "
                    "before it can be opened, and it is read-only here, so it was left "
                    "unchanged: copy it somewhere you can write to"
                )
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, self.path) from exc
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.wal = str(mode).lower() == "wal"
        self.warning = read_only_warning(self.path)

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
        locked" when another connection commits between our first read and first write.
        A read-only project refuses at once, touching nothing."""
        if self.read_only:
            raise StorageError(read_only_sentence(self.path))
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
