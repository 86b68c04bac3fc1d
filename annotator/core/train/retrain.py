"""When the window retrains by itself: after N articles accepted *by people* since the last
training.

The project's event log says who accepted what: every decision made in the window (or a
review) is a `status` event, while an import stores its accepted articles with no event of
their own. So "accepted since the last training" is the number of articles that are
accepted now and got a `status` event saying so after the last training read the project.
A project imported with 1,521 accepted articles does not start a training on its first `a`;
an article accepted, undone and accepted again counts once.

"The last training read the project" is an event id: `annotator train` keeps the newest
event id it saw with the model it registers (`scores["events_seen"]`); a model registered
otherwise (the API, an older version) is marked by its own `model_trained` event.
"""

from __future__ import annotations

EVENTS_SEEN = "events_seen"  # the key in a model's scores


def last_event(project) -> int:
    """The newest event's id (0 for none): what a training starting now has seen."""
    return project.store.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


def training_mark(project, record) -> int:
    """The event id up to which model `record`'s training saw the project's decisions."""
    seen = record.scores.get(EVENTS_SEEN)
    if isinstance(seen, int):
        return seen
    # Newest first: the event of the newest model is near the end of the log.
    for (event_id,) in project.store.conn.execute(
        "SELECT id FROM events WHERE action = 'model_trained' AND "
        "json_extract(data, '$.model') = ? ORDER BY id DESC LIMIT 1", [record.id]
    ):  # fmt: skip
        return int(event_id)
    return 0


def last_training_mark(project) -> int:
    """The newest model's mark, 0 without models (every accept by a person counts)."""
    record = project.models.newest()
    return 0 if record is None else training_mark(project, record)


def accepted_since(project, mark: int, limit: int | None = None) -> int:
    """Articles accepted now whose acceptance is a `status` event after event `mark`
    (counted up to `limit`: enough to decide, without reading every event of a project
    whose retraining was off for long)."""
    sql = ("SELECT DISTINCT e.article_id FROM events e JOIN articles a ON a.id = e.article_id "
           "WHERE e.id > ? AND e.action = 'status' AND a.status = 'accepted' "
           "AND json_extract(e.data, '$.status') = 'accepted'")  # fmt: skip
    args: list = [mark]
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return project.store.conn.execute(f"SELECT count(*) FROM ({sql})", args).fetchone()[0]
