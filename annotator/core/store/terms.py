"""Terms: words and phrases the annotator accepted (or rejected) for a label, one decision
per (label, term). Accepted terms are suggested like pattern rules (annotator.core.terms);
rejected ones are never proposed for that label again.

A term is kept as typed or shown (`text`) and compared case-insensitively (`key`: lower
case, runs of whitespace as one space), as Prodigy's `{"lower": ...}` patterns match.
The label is a foreign key (`ON UPDATE CASCADE ON DELETE CASCADE`): a rename carries the
terms along, removing a label removes them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..errors import ProjectError
from .connection import Store
from .settings import now

DECISIONS = ("accept", "reject")
MAX_TERM_CHARS = 200


@dataclass(frozen=True, slots=True)
class Term:
    label: str
    text: str
    decision: str  # "accept" or "reject"
    annotator: str = ""
    at: str = ""

    @property
    def key(self) -> str:
        return term_key(self.text)


def term_key(text: str) -> str:
    """How terms are compared: lower case, whitespace collapsed."""
    return " ".join(text.lower().split())


def clean_term(text: str) -> str:
    """The term as stored: surrounding whitespace off, inner runs as one space; a clear
    ProjectError for an empty or overlong one."""
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise ProjectError("a term cannot be empty")
    if len(cleaned) > MAX_TERM_CHARS:
        raise ProjectError(f"a term has at most {MAX_TERM_CHARS} characters "
                           f"({cleaned[:30]}… has {len(cleaned)})")  # fmt: skip
    return cleaned


def signature_of(pairs) -> str | None:
    """The digest of accepted terms given as (label, key) pairs, in any order; None for
    none."""
    rows = sorted({(label, key) for label, key in pairs})
    if not rows:
        return None
    blob = "\n".join(f"{label}\t{key}" for label, key in rows).encode()
    return "terms:" + hashlib.sha256(blob).hexdigest()[:16]


class Terms:
    def __init__(self, store: Store):
        self.store = store

    def _rows(self, sql: str, args=()) -> list[tuple]:
        return self.store.conn.execute(sql, args).fetchall()

    def list(self, label: str | None = None, decision: str | None = None) -> list[Term]:
        """Terms in the order they were decided (a label's, a decision's, or all)."""
        sql, conds, args = "SELECT label, text, decision, annotator, at FROM terms", [], []
        if label is not None:
            conds.append("label = ?")
            args.append(label)
        if decision is not None:
            conds.append("decision = ?")
            args.append(decision)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        return [Term(*r) for r in self._rows(sql + " ORDER BY at, rowid", args)]

    def get(self, label: str, text: str) -> Term | None:
        rows = self._rows("SELECT label, text, decision, annotator, at FROM terms "
                          "WHERE label = ? AND key = ?", [label, term_key(text)])  # fmt: skip
        return Term(*rows[0]) if rows else None

    def decide(self, label: str, texts: list[str] | str, decision: str, annotator: str = ""
               ) -> list[Term | None]:  # fmt: skip
        """Accept or reject terms for a label (one transaction); returns what each term was
        before (None: undecided), for undo."""
        if decision not in DECISIONS:
            raise ProjectError(f"a term's decision is accept or reject, not {decision!r}")
        texts = [texts] if isinstance(texts, str) else list(texts)
        cleaned = [clean_term(t) for t in texts]
        with self.store.write():
            self._check_label(label)
            before = [self.get(label, t) for t in cleaned]
            stamp = now()
            self.store.conn.executemany(
                "INSERT INTO terms(label, key, text, decision, annotator, at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(label, key) DO UPDATE SET "
                "text = excluded.text, decision = excluded.decision, "
                "annotator = excluded.annotator, at = excluded.at",
                [(label, term_key(t), t, decision, annotator, stamp) for t in cleaned],
            )
        return before

    def remove(self, label: str, texts: list[str] | str) -> list[Term | None]:
        """Forget terms' decisions (accepted or rejected); returns what each was."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        with self.store.write():
            self._check_label(label)
            before = [self.get(label, t) for t in texts]
            self.store.conn.executemany("DELETE FROM terms WHERE label = ? AND key = ?",
                                        [(label, term_key(t)) for t in texts])  # fmt: skip
        return before

    def restore(self, label: str, text: str, previous: Term | None) -> None:
        """Undo one decision: the term as it was (`previous`, None: undecided)."""
        with self.store.write():
            self.store.conn.execute("DELETE FROM terms WHERE label = ? AND key = ?",
                                    [label, term_key(text)])  # fmt: skip
            if previous is not None:
                self.store.conn.execute(
                    "INSERT INTO terms(label, key, text, decision, annotator, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [previous.label, previous.key, previous.text, previous.decision,
                     previous.annotator, previous.at],
                )  # fmt: skip

    def accepted_signature(self) -> str | None:
        """A digest of every accepted term and its label; None when there are none (so a
        project without terms keeps the signatures it had before terms existed)."""
        rows = self._rows("SELECT label, key FROM terms WHERE decision = 'accept'")
        return signature_of(rows)

    def _check_label(self, label: str) -> None:
        row = self.store.conn.execute("SELECT 1 FROM labels WHERE name = ?", [label]).fetchone()
        if row is None:
            raise ProjectError(f"no label {label!r} in this project")
