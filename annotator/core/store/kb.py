"""The knowledge base (`kb_entities`, `kb_aliases`, schema 8): the only SQL that touches
them, and the counts of links (`spans.kb_id`) that rank an alias's candidates.

An entity's aliases are its name and the aliases given with it; each alias is stored with
its `norm` and `skeleton` (annotator/core/kb/keys.py). Adding an entity whose id is
there already replaces its name, description, label and aliases (never a second row).

Links are the other side: a span names an entity through `spans.kb_id` (an entity id,
"NIL" for "not in the knowledge base", NULL for not linked). Link edits belong to the
annotation code; this module only reads them (`link_counts`, `linked_spans`), except that
`remove(force=True)` unlinks the spans of the entities it removes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import ProjectError
from ..kb.keys import ends, norm, skeleton
from ..wording import plural
from .connection import Store
from .settings import Events, now

NIL = "NIL"  # spans.kb_id of a mention whose entity is not in the knowledge base
BATCH = 500  # entities per statement batch (SQLite's 999 variables)


@dataclass(frozen=True, slots=True)
class KbEntry:
    """An entity as a file gives it (or a caller adds it)."""

    id: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    label: str | None = None

    def all_aliases(self) -> tuple[str, ...]:
        """The name first, then the aliases; each once, whitespace collapsed."""
        out = dict.fromkeys(" ".join(a.split()) for a in (self.name, *self.aliases))
        out.pop("", None)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class KbEntity:
    """An entity as stored."""

    id: str
    name: str
    description: str
    label: str | None
    source: str
    added_at: str
    aliases: tuple[str, ...] = ()


@dataclass(slots=True)
class KbChange:
    """What one `add` did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    aliases: int = 0  # aliases stored for the entities added or updated

    def __iadd__(self, other: KbChange) -> KbChange:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.aliases += other.aliases
        return self


@dataclass(frozen=True, slots=True)
class LinkedSpan:
    """A span linked to an entity, with its text."""

    article_id: int
    start: int
    end: int
    label: str
    kb_id: str
    text: str


class KbInUseError(ProjectError):
    """Entities cannot be removed while spans are linked to them."""

    def __init__(self, linked: dict[str, int]):
        shown = ", ".join(f"{k} ({plural(n, 'span')})" for k, n in list(linked.items())[:5])
        more = f" and {len(linked) - 5} more" if len(linked) > 5 else ""
        super().__init__(f"spans are linked to {shown}{more}: unlink them first, or remove "
                         "with --force, which unlinks them")  # fmt: skip
        self.linked = linked


@dataclass(slots=True)
class _LinkIndex:
    """The project's links counted by the norm of the linked text, kept per span so that a
    refresh reads only the spans whose link changed and those of the articles edited since."""

    stamp: tuple[int, int] | None = None  # the file's data_version when last brought up to date
    fingerprint: str | None = None  # every linked span's id and entity (NIL included)
    tokens: set[str] = field(default_factory=set)  # the fingerprint's "id␟entity" items
    event: int = 0  # the last event seen
    spans: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # -> article, norm, id
    by_article: dict[int, set[int]] = field(default_factory=dict)  # -> span ids counted
    by_norm: dict[str, Counter[str]] = field(default_factory=dict)
    by_entity: Counter[str] = field(default_factory=Counter)

    def put(self, span_id: int, article_id: int, key: str, kb_id: str) -> None:
        self.spans[span_id] = (article_id, key, kb_id)
        self.by_article.setdefault(article_id, set()).add(span_id)
        self.by_norm.setdefault(key, Counter())[kb_id] += 1
        self.by_entity[kb_id] += 1

    def drop(self, span_id: int) -> None:
        found = self.spans.pop(span_id, None)
        if found is None:
            return
        article_id, key, kb_id = found
        ids = self.by_article[article_id]
        ids.discard(span_id)
        if not ids:
            del self.by_article[article_id]
        counts = self.by_norm[key]
        counts[kb_id] -= 1
        if not counts[kb_id]:
            del counts[kb_id]
            if not counts:
                del self.by_norm[key]
        self.by_entity[kb_id] -= 1
        if not self.by_entity[kb_id]:
            del self.by_entity[kb_id]


_ENTITY_COLS = "id, name, description, label, source, added_at"
PART_LIMIT = 200  # aliases a part match reads per key


class KnowledgeBase:
    """The project's knowledge base (`project.kb`)."""

    def __init__(self, store: Store, events: Events):
        self.store, self.events = store, events
        self._links = _LinkIndex()

    # ---- writing -------------------------------------------------------------------------
    def add(self, entries: Iterable[KbEntry], source: str = "", annotator: str = "") -> KbChange:
        """Add or update entities with their aliases, in one transaction (a savepoint inside
        the caller's). An entity already there with other data is replaced whole."""
        change = KbChange()
        with self.store.write():
            batch: list[KbEntry] = []
            for entry in entries:
                batch.append(entry)
                if len(batch) >= BATCH:
                    change += self._add_batch(batch, source)
                    batch = []
            if batch:
                change += self._add_batch(batch, source)
            if change.added or change.updated:
                self.events.log("kb_add", None, annotator, source=source, added=change.added,
                                updated=change.updated, aliases=change.aliases)  # fmt: skip
        return change

    def _add_batch(self, batch: list[KbEntry], source: str) -> KbChange:
        conn = self.store.conn
        entries = {e.id: e for e in batch}  # a later entry of the same id wins
        ids = list(entries)
        marks = ",".join("?" * len(ids))
        before = {r[0]: r[1:] for r in conn.execute(
            f"SELECT id, name, description, label FROM kb_entities WHERE id IN ({marks})", ids)}
        had: dict[str, set[str]] = {}
        for entity_id, alias in conn.execute(
                f"SELECT entity_id, alias FROM kb_aliases WHERE entity_id IN ({marks})", ids):
            had.setdefault(entity_id, set()).add(alias)  # fmt: skip
        change = KbChange()
        rows, replaced, aliases = [], [], []
        stamp = now()
        for entity_id, e in entries.items():
            names = e.all_aliases()
            old = before.get(entity_id)
            if old is not None:
                if old == (e.name, e.description, e.label) and had.get(entity_id) == set(names):
                    change.unchanged += 1
                    continue
                change.updated += 1
                replaced.append(entity_id)
            else:
                change.added += 1
            rows.append((entity_id, e.name, e.description, e.label, source, stamp))
            for alias in names:
                key = norm(alias)
                aliases.append((entity_id, alias, key, skeleton(key), *ends(key)))
        if replaced:
            conn.execute(f"DELETE FROM kb_aliases WHERE entity_id IN "
                         f"({','.join('?' * len(replaced))})", replaced)  # fmt: skip
        conn.executemany(
            f"INSERT INTO kb_entities({_ENTITY_COLS}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "description = excluded.description, label = excluded.label, "
            "source = excluded.source, added_at = excluded.added_at", rows)  # fmt: skip
        conn.executemany("INSERT INTO kb_aliases(entity_id, alias, norm, skeleton, head, tail) "
                         "VALUES (?, ?, ?, ?, ?, ?)", aliases)  # fmt: skip
        change.aliases = len(aliases)
        return change

    def remove(self, ids: Sequence[str], *, force: bool = False, annotator: str = "") -> int:
        """Remove entities (their aliases go with them); returns how many spans were
        unlinked. Refused (nothing removed) if one is not there, or, without `force`,
        while spans are linked to one; `force` unlinks them (their articles' versions
        bumped, so a window notices)."""
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if self.get(i) is None]
        if missing:
            raise ProjectError(f"no entity {', '.join(missing)} in the knowledge base")
        conn = self.store.conn
        with self.store.write():
            linked = {i: n for i in ids if (n := self.linked_count(i))}
            if linked and not force:
                raise KbInUseError(linked)
            unlinked = 0
            for part in _chunks(ids):
                marks = ",".join("?" * len(part))
                if linked:
                    conn.execute(
                        "UPDATE articles SET version = version + 1 WHERE id IN (SELECT "
                        f"DISTINCT article_id FROM spans WHERE kb_id IN ({marks}))", part)
                    unlinked += conn.execute(
                        f"UPDATE spans SET kb_id = NULL WHERE kb_id IN ({marks})", part
                    ).rowcount  # fmt: skip
                conn.execute(f"UPDATE imported_suggestions SET kb_id = NULL "
                             f"WHERE kb_id IN ({marks})", part)  # fmt: skip
                conn.execute(f"DELETE FROM kb_entities WHERE id IN ({marks})", part)
            self.events.log("kb_remove", None, annotator, ids=ids, unlinked=unlinked)
        return unlinked

    # ---- reading -------------------------------------------------------------------------
    def get(self, entity_id: str) -> KbEntity | None:
        row = self.store.conn.execute(f"SELECT {_ENTITY_COLS} FROM kb_entities WHERE id = ?",
                                      [entity_id]).fetchone()  # fmt: skip
        if row is None:
            return None
        return KbEntity(*row, aliases=self.aliases_of([entity_id])[entity_id])

    def many(self, ids: Sequence[str]) -> dict[str, KbEntity]:
        """The entities of `ids` that exist (without their aliases), by id."""
        out: dict[str, KbEntity] = {}
        for part in _chunks(list(ids)):
            for row in self.store.conn.execute(
                    f"SELECT {_ENTITY_COLS} FROM kb_entities WHERE id IN "
                    f"({','.join('?' * len(part))})", part):  # fmt: skip
                out[row[0]] = KbEntity(*row)
        return out

    def aliases_of(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each entity's aliases: its name, then the others in alphabetical order."""
        out: dict[str, list[str]] = {i: [] for i in ids}
        names = {e.id: e.name for e in self.many(ids).values()}
        for part in _chunks(list(ids)):
            for entity_id, alias in self.store.conn.execute(
                    "SELECT entity_id, alias FROM kb_aliases WHERE entity_id IN "
                    f"({','.join('?' * len(part))}) ORDER BY entity_id, alias", part):  # fmt: skip
                out[entity_id].append(alias)
        return {i: tuple(sorted(a, key=lambda s: s != names.get(i))) for i, a in out.items()}

    def page(self, limit: int = 50, after: str | None = None) -> list[KbEntity]:
        """Up to `limit` entities in id order, after the id `after` (keyset paging: as
        fast on the last page as on the first), with their aliases."""
        rows = self.store.conn.execute(
            f"SELECT {_ENTITY_COLS} FROM kb_entities WHERE id > ? ORDER BY id LIMIT ?",
            [after if after is not None else "", limit]).fetchall()  # fmt: skip
        aliases = self.aliases_of([r[0] for r in rows])
        return [KbEntity(*r, aliases=aliases[r[0]]) for r in rows]

    def iterate(self, batch: int = 2000) -> Iterator[KbEntity]:
        """Every entity, without aliases, in id order."""
        after = ""
        while True:
            rows = self.store.conn.execute(
                f"SELECT {_ENTITY_COLS} FROM kb_entities WHERE id > ? ORDER BY id LIMIT ?",
                [after, batch]).fetchall()  # fmt: skip
            if not rows:
                return
            yield from (KbEntity(*r) for r in rows)
            after = rows[-1][0]

    def alias_table(self) -> Iterator[tuple[str, str]]:
        """(alias, entity id) for every alias, ordered by alias."""
        yield from self.store.conn.execute(
            "SELECT alias, entity_id FROM kb_aliases INDEXED BY idx_kb_alias ORDER BY alias")

    def count(self) -> tuple[int, int]:
        """(entities, aliases)."""
        conn = self.store.conn
        return (conn.execute("SELECT count(*) FROM kb_entities").fetchone()[0],
                conn.execute("SELECT count(*) FROM kb_aliases").fetchone()[0])  # fmt: skip

    def matches(self, alias: str, key: str, skel: str
                ) -> tuple[list[tuple[str, str]], ...]:  # fmt: skip
        """(entity id, alias) of the aliases equal to `alias`, of those whose norm is `key`,
        and of those whose skeleton is `skel`: three look-ups, each in an index that holds
        what it returns (the table's key), so no row of the table is read."""
        conn = self.store.conn
        return tuple(conn.execute(f"SELECT entity_id, alias FROM kb_aliases WHERE {column} = ?",
                                  [value]).fetchall()  # fmt: skip
                     for column, value in (("alias", alias), ("norm", key), ("skeleton", skel)))

    def part_matches(self, column: str, value: str, limit: int = PART_LIMIT
                     ) -> list[tuple[str, str]]:  # fmt: skip
        """(entity id, alias) of at most `limit` aliases whose `column` ("head", "tail" or
        "skeleton") is `value` (a common first name may start thousands of names)."""
        if column not in ("head", "tail", "skeleton"):
            raise ValueError(column)
        return self.store.conn.execute(
            f"SELECT entity_id, alias FROM kb_aliases WHERE {column} = ? LIMIT ?",
            [value, limit]).fetchall()  # fmt: skip

    # ---- links ---------------------------------------------------------------------------
    def linked_count(self, entity_id: str) -> int:
        """How many spans are linked to the entity (any article status)."""
        return self.store.conn.execute("SELECT count(*) FROM spans WHERE kb_id = ?",
                                       [entity_id]).fetchone()[0]  # fmt: skip

    def linked_spans(self, statuses: Sequence[str] | None = ("accepted",)) -> list[LinkedSpan]:
        """The spans linked to an entity (not NIL) in articles of these statuses (None:
        all), with their text."""
        where = ""
        args: list = []
        if statuses is not None:
            where = f" AND a.status IN ({','.join('?' * len(statuses))})"
            args = list(statuses)
        rows = self.store.conn.execute(
            'SELECT s.article_id, s.start, s."end", s.label, s.kb_id, '
            'substr(a.text, s.start + 1, s."end" - s.start) FROM spans s INDEXED BY '
            "idx_spans_kb JOIN articles a ON a.id = s.article_id "
            f"WHERE s.kb_id IS NOT NULL AND s.kb_id != '{NIL}'{where} "
            "ORDER BY s.article_id, s.start", args).fetchall()  # fmt: skip
        return [LinkedSpan(*r) for r in rows]

    def link_counts(self, key: str) -> dict[str, int]:
        """How often each entity was chosen for a mention of this norm in the project:
        the spans linked to it whose text has norm `key` (NIL is not counted)."""
        return dict(self._index().by_norm.get(key, {}))

    def entity_link_counts(self, ids: Iterable[str]) -> dict[str, int]:
        """How many spans are linked to each entity, whatever their text."""
        totals = self._index().by_entity
        return {i: totals.get(i, 0) for i in ids}

    def _index(self) -> _LinkIndex:
        """The link counts, brought up to date when the file changed since the last call.

        The linked spans' ids and entities are read from the partial index `idx_spans_kb`
        alone, as one string (~1 ms for 6,000 links); the spans whose item in it changed,
        and the counted spans of articles edited since (events: a span's new boundaries
        may keep its link), are read again with their text. So the counts stay right
        whoever wrote the links, and a refresh costs little more than that string."""
        index = self._links
        stamp = self.store.data_version()
        if index.stamp == stamp:
            return index
        conn = self.store.conn
        fingerprint = conn.execute(
            "SELECT group_concat(id || char(31) || kb_id, char(30)) FROM spans "
            "INDEXED BY idx_spans_kb WHERE kb_id IS NOT NULL").fetchone()[0] or ""  # fmt: skip
        event = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        stale: set[int] = set()
        if fingerprint != index.fingerprint:
            tokens = set(fingerprint.split("\x1e")) if fingerprint else set()
            stale.update(int(t.partition("\x1f")[0]) for t in tokens ^ index.tokens)
            index.tokens = tokens
        if event != index.event and index.spans:
            for (article_id,) in conn.execute(
                    "SELECT DISTINCT article_id FROM events WHERE id > ? AND article_id IS NOT "
                    "NULL", [index.event]):  # fmt: skip
                stale.update(index.by_article.get(article_id, ()))
        for span_id in stale:
            index.drop(span_id)
        for part in _chunks(list(stale)):
            for span_id, article_id, kb_id, text in conn.execute(
                    'SELECT s.id, s.article_id, s.kb_id, substr(a.text, s.start + 1, s."end" - '
                    "s.start) FROM spans s JOIN articles a ON a.id = s.article_id WHERE s.id IN "
                    f"({','.join('?' * len(part))}) AND s.kb_id IS NOT NULL "
                    f"AND s.kb_id != '{NIL}'", part):  # fmt: skip
                index.put(span_id, article_id, norm(text), kb_id)
        index.fingerprint, index.event, index.stamp = fingerprint, event, stamp
        return index


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
