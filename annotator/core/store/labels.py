"""The project's labels: names (checked), colours, keys and order.

The list is cached per connection and re-read whenever `PRAGMA data_version` says the file
changed, so a rename or removal in another window or by the command line is seen at once.
Spans, dismissed and imported suggestions refer to labels by foreign key: a rename is one
`UPDATE labels` that cascades, and a label in use cannot be deleted by accident.

Keys: after every add and remove, `rekey` runs in the same transaction: labels without a key
get the free keys (1-9, 0) in label order, and if one of the first ten labels still has none,
it takes the key of the last label past the tenth that holds one. So the first ten labels
always have a key; a key chosen with `set_key` (``labels key``) stays where it was put.
Colours: a new label gets `colours.pick_colour`, never a colour another label has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import colours
from ..errors import LabelInUseError, LabelNameError, ProjectError
from ..records import check_label_name
from .connection import Store
from .settings import Events, Settings


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    colour: str
    key: str | None
    ord: int


def checked_name(name: str) -> str:
    try:
        return check_label_name(name)
    except ValueError as exc:
        raise LabelNameError(str(exc)) from None


class Labels:
    def __init__(self, store: Store, settings: Settings, events: Events):
        self.store, self.settings, self.events = store, settings, events
        self._cache: list[Label] | None = None
        self._key: tuple[int, int] | None = None

    def all(self) -> list[Label]:
        key = self.store.data_version()
        if self._cache is None or key != self._key:
            rows = self.store.conn.execute("SELECT name, colour, key, ord FROM labels "
                                           "ORDER BY ord, name")  # fmt: skip
            self._cache, self._key = [Label(*r) for r in rows.fetchall()], key
        return list(self._cache)

    def names(self) -> list[str]:
        return [lab.name for lab in self.all()]

    def forget(self) -> None:
        self._cache = None

    def add(self, name: str, colour: str | None = None, key: str | None = None,
            annotator: str = "") -> Label:  # fmt: skip
        name = checked_name(name)
        if colour is not None and not colours.is_colour(colour):
            raise ProjectError(f"{colour!r} is not a colour like #aa9cfc")
        with self.store.write():
            self.forget()
            existing = {lab.name: lab for lab in self.all()}
            if name in existing:
                raise ProjectError(f"label {name} exists already")
            used = {lab.key for lab in existing.values() if lab.key}
            if key is not None and key in used:
                raise ProjectError(f"key {key} is taken by another label")
            order = max((lab.ord for lab in existing.values()), default=-1) + 1
            colour = colour or colours.pick_colour(name, [lab.colour for lab in
                                                          existing.values()])  # fmt: skip
            self.store.conn.execute(
                "INSERT INTO labels(name, colour, key, ord) VALUES (?, ?, ?, ?)",
                [name, colour, key, order],
            )
            self.rekey()
            label = {lab.name: lab for lab in self.all()}[name]
            self.events.log("label_add", annotator=annotator, label=name, colour=label.colour,
                            key=label.key)  # fmt: skip
        self.forget()
        return label

    def rekey(self, keep: str | None = None) -> dict[str, str | None]:
        """Give keys as the module docstring says (call inside a write transaction); label
        ``keep`` never gives its key away. Returns the labels whose key changed."""
        conn = self.store.conn
        rows = conn.execute("SELECT name, key FROM labels ORDER BY ord, name").fetchall()
        keys = {name: (key if key in colours.KEYS else None) for name, key in rows}
        names = [name for name, _ in rows]
        head = names[: len(colours.KEYS)]
        free = [k for k in colours.KEYS if k not in keys.values()]
        donors = [n for n in reversed(names[len(colours.KEYS) :]) if keys[n] and n != keep]
        for name in head:
            if keys[name] is None:
                if not free and not donors:
                    break
                if not free:
                    donor = donors.pop(0)
                    free.append(keys[donor])
                    keys[donor] = None
                keys[name] = free.pop(0)
        before = dict(rows)
        changed = {n: k for n, k in keys.items() if k != before[n]}
        for name, key in changed.items():
            conn.execute("UPDATE labels SET key = ? WHERE name = ?", [key, name])
        self.forget()
        return changed

    def set_key(self, name: str, key: str, annotator: str = "") -> dict[str, str | None]:
        """Give label ``name`` the shortcut ``key`` (1-9 or 0). A label that had that key
        loses it and gets a free one (`rekey`). Returns {label: key} of every label changed."""
        if key not in colours.KEYS:
            raise ProjectError(f"key {key!r}: expected one of {' '.join(colours.KEYS)}")
        with self.store.write():
            self.forget()
            labels = {lab.name: lab for lab in self.all()}
            if name not in labels:
                raise ProjectError(f"no label {name}")
            changed: dict[str, str | None] = {}
            conn = self.store.conn
            for other in labels.values():
                if other.key == key and other.name != name:
                    conn.execute("UPDATE labels SET key = NULL WHERE name = ?", [other.name])
                    changed[other.name] = None
            conn.execute("UPDATE labels SET key = ? WHERE name = ?", [key, name])
            if labels[name].key != key:
                changed[name] = key
            changed.update(self.rekey(keep=name))
            self.events.log("label_key", annotator=annotator, label=name, key=key)
            self.forget()
        return {n: k for n, k in changed.items() if k != labels[n].key}

    def ensure(self, names: Iterable[str], annotator: str = "") -> list[str]:
        """Add the labels that don't exist yet, all in one transaction. Returns the added."""
        added: list[str] = []
        with self.store.write():
            have = set(self.names())
            for raw in names:
                name = checked_name(raw)
                if name not in have:
                    self.add(name, annotator=annotator)
                    have.add(name)
                    added.append(name)
        return added

    def update(self, name: str, *, colour: str | None = None, key: str | None = None,
               annotator: str = "") -> Label:  # fmt: skip
        if colour is not None and not colours.is_colour(colour):
            raise ProjectError(f"{colour!r} is not a colour like #aa9cfc")
        with self.store.write():
            self.forget()
            labels = {lab.name: lab for lab in self.all()}
            if name not in labels:
                raise ProjectError(f"no label {name}")
            conn = self.store.conn
            if key is not None:
                key = key or None
                if key and any(lab.key == key and lab.name != name for lab in labels.values()):
                    raise ProjectError(f"key {key} is taken by another label")
                conn.execute("UPDATE labels SET key = ? WHERE name = ?", [key, name])
            if colour is not None:
                conn.execute("UPDATE labels SET colour = ? WHERE name = ?", [colour, name])
            self.events.log("label_update", annotator=annotator, label=name, colour=colour,
                            key=key)  # fmt: skip
            self.forget()
        return {lab.name: lab for lab in self.all()}[name]

    def rename(self, old: str, new: str, annotator: str = "") -> int:
        """Rename a label everywhere (one cascading UPDATE: spans, dismissed and imported
        suggestions follow) and in the label map: a model label mapped to `old`, or `old`
        itself, now maps to `new`. Returns how many spans changed."""
        new = checked_name(new)
        with self.store.write():
            self.forget()
            names = self.names()
            if old not in names:
                raise ProjectError(f"no label {old}")
            if new == old:
                return 0
            if new in names:
                raise ProjectError(f"label {new} exists already")
            conn = self.store.conn
            conn.execute(
                "UPDATE articles SET version = version + 1 WHERE id IN "
                "(SELECT article_id FROM spans WHERE label = ? UNION "
                " SELECT article_id FROM imported_suggestions WHERE label = ?)",
                [old, old],
            )
            n = conn.execute("SELECT count(*) FROM spans WHERE label = ?", [old]).fetchone()[0]
            conn.execute("UPDATE labels SET name = ? WHERE name = ?", [new, old])
            mapping = {k: (new if v == old else v)
                       for k, v in self.settings.get("label_map", {}).items()}  # fmt: skip
            mapping.setdefault(old, new)
            self.settings.set("label_map", mapping)
            self.events.log("label_rename", annotator=annotator, label=old, to=new, spans=n)
            self.forget()
        return n

    def remove(self, name: str, *, force: bool = False, annotator: str = "") -> int:
        """Remove a label. Refuses (LabelInUseError) while spans use it, unless `force`:
        then its spans go too. Returns how many spans were deleted."""
        with self.store.write():
            self.forget()
            if name not in self.names():
                raise ProjectError(f"no label {name}")
            conn = self.store.conn
            used = conn.execute("SELECT count(*) FROM spans WHERE label = ?", [name]).fetchone()[0]
            if used and not force:
                raise LabelInUseError(name, used)
            conn.execute(
                "UPDATE articles SET version = version + 1, prodigy_task_hash = NULL WHERE id IN "
                "(SELECT article_id FROM spans WHERE label = ?)",
                [name],
            )
            conn.execute("DELETE FROM spans WHERE label = ?", [name])
            conn.execute("DELETE FROM labels WHERE name = ?", [name])
            self.rekey()
            self.events.log("label_remove", annotator=annotator, label=name, spans_deleted=used)
            self.forget()
        return used
