"""Schema of the project file, as sqlite-utils migrations. Documented in docs/schema.md.

`connection.Store` applies pending migrations inside one `BEGIN IMMEDIATE` transaction
(each step a savepoint), then marks the file with `APPLICATION_ID` and `SCHEMA_VERSION`
(`PRAGMA application_id`, `PRAGMA user_version`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite-utils is imported only to migrate (its import takes ~300 ms)
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

APPLICATION_ID = int.from_bytes(b"ANNO", "big")  # PRAGMA application_id of every project
SCHEMA_VERSION = 10  # PRAGMA user_version: the number of migrations below


def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            input_hash TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            meta TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'rejected', 'skipped')),
            status_by TEXT,
            status_at TEXT,
            prodigy_input_hash INTEGER,
            prodigy_task_hash INTEGER,
            version INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_articles_status ON articles(status, id)")
    db.execute(
        """
        CREATE TABLE labels (
            name TEXT PRIMARY KEY,
            colour TEXT NOT NULL,
            key TEXT,
            ord INTEGER NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE spans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: undo re-creates by id
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT NOT NULL,
            source TEXT NOT NULL,
            annotator TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            CHECK (start >= 0 AND "end" > start)
        )"""
    )
    db.execute("CREATE INDEX idx_spans_article ON spans(article_id, start)")
    db.execute("CREATE INDEX idx_spans_label ON spans(label)")
    db.execute(
        """
        CREATE TABLE suggestions (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            spans TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (article_id, fingerprint)
        )"""
    )
    db.execute(
        """
        CREATE TABLE dismissed (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT NOT NULL,
            annotator TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            PRIMARY KEY (article_id, start, "end", label)
        )"""
    )
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            annotator TEXT NOT NULL DEFAULT '',
            article_id INTEGER,
            action TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    db.execute("CREATE INDEX idx_events_article ON events(article_id, id)")
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # Full-text search over title and text. New articles are indexed by the import, batch by
    # batch, and whatever is behind is caught up in the background by the window
    # (Project.ensure_search_index), never inside a search; edits and deletes are kept in
    # step by triggers. `detail=none`: the search box only needs "every word, as a prefix".
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "title, text, content='articles', content_rowid='id', tokenize='unicode61', detail=none)"
    )
    db.execute("CREATE TABLE search_index_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "indexed_upto INTEGER NOT NULL)")  # fmt: skip
    db.execute("INSERT INTO search_index_state VALUES (1, 0)")
    db.execute(
        """CREATE TRIGGER articles_ad AFTER DELETE ON articles
           WHEN old.id <= (SELECT indexed_upto FROM search_index_state) BEGIN
           INSERT INTO articles_fts(articles_fts, rowid, title, text)
           VALUES ('delete', old.id, old.title, old.text);
           END"""
    )
    db.execute(
        """CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles
           WHEN old.id <= (SELECT indexed_upto FROM search_index_state) BEGIN
           INSERT INTO articles_fts(articles_fts, rowid, title, text)
           VALUES ('delete', old.id, old.title, old.text);
           INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
           END"""
    )


def m002_label_keys(db: Database) -> None:
    """Spans, dismissed and imported suggestions refer to labels by foreign key
    (`ON UPDATE CASCADE`: a rename is one statement); imported suggestions get a table of
    their own; articles say whether their annotation is complete or partial."""
    # Labels used by spans but missing from `labels` (possible before version 2) are added,
    # so that no span is lost; dismissed suggestions of unknown labels meant nothing.
    db.execute(
        "INSERT OR IGNORE INTO labels(name, colour, key, ord) "
        "SELECT DISTINCT label, '#dddddd', NULL, (SELECT count(*) FROM labels) FROM spans"
    )
    seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'spans'").fetchone()
    db.execute(
        """
        CREATE TABLE spans_v2 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: undo re-creates by id
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT NOT NULL REFERENCES labels(name) ON UPDATE CASCADE,
            source TEXT NOT NULL,
            annotator TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            CHECK (start >= 0 AND "end" > start)
        )"""
    )
    db.execute("INSERT INTO spans_v2 SELECT * FROM spans")
    db.execute("DROP TABLE spans")
    db.execute("ALTER TABLE spans_v2 RENAME TO spans")
    if seq is not None:
        db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'spans'", [seq[0]])
    db.execute("CREATE INDEX idx_spans_article ON spans(article_id, start)")
    db.execute("CREATE INDEX idx_spans_label ON spans(label)")
    db.execute(
        """
        CREATE TABLE dismissed_v2 (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT NOT NULL REFERENCES labels(name) ON UPDATE CASCADE ON DELETE CASCADE,
            annotator TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            PRIMARY KEY (article_id, start, "end", label)
        )"""
    )
    db.execute("INSERT INTO dismissed_v2 SELECT * FROM dismissed "
               "WHERE label IN (SELECT name FROM labels)")  # fmt: skip
    db.execute("DROP TABLE dismissed")
    db.execute("ALTER TABLE dismissed_v2 RENAME TO dismissed")
    db.execute(
        """
        CREATE TABLE imported_suggestions (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT NOT NULL REFERENCES labels(name) ON UPDATE CASCADE ON DELETE CASCADE,
            PRIMARY KEY (article_id, start, "end", label),
            CHECK (start >= 0 AND "end" > start)
        ) WITHOUT ROWID"""
    )
    for article_id, spans in db.execute(
        "SELECT article_id, spans FROM suggestions WHERE fingerprint = 'import'"
    ).fetchall():
        for start, end, label, *_ in json.loads(spans):
            db.execute(
                "INSERT OR IGNORE INTO labels(name, colour, key, ord) "
                "VALUES (?, '#dddddd', NULL, (SELECT count(*) FROM labels))",
                [label],
            )
            db.execute(
                'INSERT OR IGNORE INTO imported_suggestions(article_id, start, "end", label) '
                "VALUES (?, ?, ?, ?)",
                [article_id, start, end, label],
            )
    db.execute("DELETE FROM suggestions WHERE fingerprint = 'import'")
    db.execute(
        "ALTER TABLE articles ADD COLUMN annotation TEXT NOT NULL DEFAULT 'complete' "
        "CHECK (annotation IN ('complete', 'partial'))"
    )


def m003_models(db: Database) -> None:
    """Models trained on the project: where they are, what they learnt from, how they scored."""
    db.execute(
        """
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            path TEXT NOT NULL,          -- the model folder (spacy.load-able)
            base TEXT NOT NULL,          -- what it was trained from: "blank" or a model
            articles INTEGER NOT NULL,   -- accepted articles it was trained and evaluated on
            train_articles INTEGER NOT NULL,
            dev_articles INTEGER NOT NULL,
            scores TEXT NOT NULL,        -- JSON: {"f", "p", "r", "per_label": {...}}
            baseline TEXT,               -- JSON: the model in use then, scored on the same dev set
            fingerprint TEXT NOT NULL,   -- sha256 of the model's files
            seconds REAL NOT NULL,
            activated INTEGER NOT NULL DEFAULT 0  -- 1 if it became the suggestion model
        )"""
    )


def m004_article_suggestions(db: Database) -> None:
    """Suggestions stored with an article also come from the annotator's own labelling in
    that article ("label all occurrences"): their source says which."""
    db.execute("ALTER TABLE imported_suggestions ADD COLUMN source TEXT NOT NULL DEFAULT 'import'")


def m005_flags(db: Database) -> None:
    """An annotator can flag an article for later, with a note."""
    db.execute("ALTER TABLE articles ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE articles ADD COLUMN flag_note TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX idx_articles_flagged ON articles(flagged, id) WHERE flagged = 1")


def m006_article_counts(db: Database) -> None:
    """How many articles have each status (and how many are flagged), kept by triggers: the
    status bar, `stats` and the queue read them at once, whatever the project's size."""
    db.execute("CREATE TABLE article_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL)"
               " WITHOUT ROWID")  # fmt: skip
    db.execute("INSERT INTO article_counts VALUES ('pending', 0), ('accepted', 0), "
               "('rejected', 0), ('skipped', 0), ('flagged', 0)")
    db.execute("UPDATE article_counts SET n = (SELECT count(*) FROM articles a "
               "WHERE a.status = article_counts.status) WHERE status != 'flagged'")
    db.execute("UPDATE article_counts SET n = (SELECT count(*) FROM articles "
               "WHERE flagged = 1) WHERE status = 'flagged'")
    for trigger in (
        """CREATE TRIGGER articles_count_insert AFTER INSERT ON articles BEGIN
           UPDATE article_counts SET n = n + 1 WHERE status = new.status;
           UPDATE article_counts SET n = n + 1 WHERE status = 'flagged' AND new.flagged = 1;
           END""",
        """CREATE TRIGGER articles_count_delete AFTER DELETE ON articles BEGIN
           UPDATE article_counts SET n = n - 1 WHERE status = old.status;
           UPDATE article_counts SET n = n - 1 WHERE status = 'flagged' AND old.flagged = 1;
           END""",
        """CREATE TRIGGER articles_count_status AFTER UPDATE OF status ON articles
           WHEN old.status != new.status BEGIN
           UPDATE article_counts SET n = n - 1 WHERE status = old.status;
           UPDATE article_counts SET n = n + 1 WHERE status = new.status;
           END""",
        """CREATE TRIGGER articles_count_flag AFTER UPDATE OF flagged ON articles
           WHEN (old.flagged = 1) != (new.flagged = 1) BEGIN
           UPDATE article_counts SET n = n + (CASE WHEN new.flagged = 1 THEN 1 ELSE -1 END)
           WHERE status = 'flagged';
           END""",
    ):  # one statement each: executescript would commit the migration's transaction
        db.execute(trigger)


def m007_versions(db: Database) -> None:
    """Several annotators: each one's decision and spans on an article, brought in by
    `annotator merge`, kept side by side; the article's own status and spans become the
    reviewed result (`reviewed_by`)."""
    db.execute(
        """
        CREATE TABLE versions (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            annotator TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'skipped')),
            spans TEXT NOT NULL DEFAULT '[]',  -- JSON [[start, end, label], ...], sorted
            decided_at TEXT,
            source TEXT NOT NULL DEFAULT '',  -- the file it was merged from
            PRIMARY KEY (article_id, annotator)
        ) WITHOUT ROWID"""
    )
    db.execute("ALTER TABLE articles ADD COLUMN reviewed_by TEXT")


def m008_knowledge_base(db: Database) -> None:
    """Entity linking: a knowledge base of entities (an id such as a Wikidata QID, a name, a
    description, an optional type naming a project label) with their aliases, and the
    entity each span names (`kb_id`: an entity's id, "NIL" for "not in the knowledge base",
    NULL for not linked). Aliases are found exactly, by `norm` (case and accents folded)
    and by `skeleton` (a transliteration-tolerant key: Kyiv/Kiev, Zelensky/Zelenskyy)."""
    db.execute(
        """
        CREATE TABLE kb_entities (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            label TEXT,
            source TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute(
        """
        CREATE TABLE kb_aliases (
            entity_id TEXT NOT NULL REFERENCES kb_entities(id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            norm TEXT NOT NULL,
            skeleton TEXT NOT NULL,
            PRIMARY KEY (entity_id, alias)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX idx_kb_alias ON kb_aliases(alias)")
    db.execute("CREATE INDEX idx_kb_norm ON kb_aliases(norm)")
    db.execute("CREATE INDEX idx_kb_skeleton ON kb_aliases(skeleton)")
    db.execute("ALTER TABLE spans ADD COLUMN kb_id TEXT")
    db.execute("CREATE INDEX idx_spans_kb ON spans(kb_id) WHERE kb_id IS NOT NULL")
    db.execute("ALTER TABLE imported_suggestions ADD COLUMN kb_id TEXT")


def m009_terms(db: Database) -> None:
    """Terms from word vectors: the words and phrases accepted (suggested like pattern
    rules) or rejected (never proposed again) for a label; `key` is the term in lower
    case, whitespace collapsed (store/terms.py)."""
    db.execute(
        """
        CREATE TABLE terms (
            label TEXT NOT NULL REFERENCES labels(name) ON UPDATE CASCADE ON DELETE CASCADE,
            key TEXT NOT NULL,
            text TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject')),
            annotator TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            PRIMARY KEY (label, key)
        )"""
    )


def m010_kb_name_parts(db: Database) -> None:
    """Part matches in the knowledge base: `head` and `tail`, the skeletons of the first and
    the last word of an alias of two words or more (NULL otherwise), so "Zelensky" finds
    "Volodymyr Zelenskyy" (annotator/core/kb/keys.py `ends`)."""
    from ..kb.keys import ends

    db.execute("ALTER TABLE kb_aliases ADD COLUMN head TEXT")
    db.execute("ALTER TABLE kb_aliases ADD COLUMN tail TEXT")
    conn = db.conn
    keys = ((ends(n), e, a) for e, a, n in conn.execute(
        "SELECT entity_id, alias, norm FROM kb_aliases").fetchall())  # fmt: skip
    conn.executemany("UPDATE kb_aliases SET head = ?, tail = ? WHERE entity_id = ? AND alias = ?",
                     [(*k, e, a) for k, e, a in keys if k != (None, None)])  # fmt: skip
    db.execute("CREATE INDEX idx_kb_head ON kb_aliases(head) WHERE head IS NOT NULL")
    db.execute("CREATE INDEX idx_kb_tail ON kb_aliases(tail) WHERE tail IS NOT NULL")


STEPS = (m001_initial, m002_label_keys, m003_models, m004_article_suggestions, m005_flags,
         m006_article_counts, m007_versions, m008_knowledge_base, m009_terms,
         m010_kb_name_parts)  # fmt: skip


def migrations() -> Migrations:
    """The steps as sqlite-utils migrations (named after their functions, applied in order)."""
    from sqlite_utils.migrations import Migrations

    out = Migrations("annotator")
    for step in STEPS:
        out()(step)
    return out
