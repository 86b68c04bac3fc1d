"""The learning curve, as Prodigy's `train-curve` gives it: a model's dev F when trained on
25%, 50% and 75% of the training articles, the model itself being the 100% point.

`annotator train` computes it after it has trained, saved and registered the model (the
model and its adoption never wait for it): the same training (base, seed, epochs) on nested
shares of the same training articles (`data.subset`), each scored on the same dev articles
(the model alone, and the suggestions an annotator would see with it: F and corrections).
"The same" is guaranteed by reading the project through one snapshot (`snapshot`) from
before the main training to the end of the curve: articles accepted meanwhile in the window
wait for the next training. Each point is stored with the model's record as soon as it is
done, under `scores["curve"]`, so a curve cut short keeps the points it has.

A curve still rising at 100% says that more accepted articles will help; a flat one, that
they will not help much. It costs about as much as the main training: each point gets a
time budget in proportion to its share (`budgets`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import replace

from ..errors import ProjectError
from ..wording import plural
from .trainer import TrainOptions, TrainResult, train_ner

FRACTIONS = (0.25, 0.5, 0.75)
MIN_POINT_SECONDS = 2.0  # a point's least budget (tiny projects: a few epochs, not one step)


@contextlib.contextmanager
def snapshot(project) -> Iterator[object]:
    """The project as it is now, for reading only, until the block ends: a second
    connection holding one read transaction (WAL lets the first one, and the window, go on
    writing meanwhile). Without WAL a reader would block every writer: the project itself
    is yielded then, and the curve reads it as it is when each point starts."""
    if not getattr(project, "wal", False) or getattr(project, "read_only", False):
        yield project
        return
    from ..project import Project

    frozen = Project(project.path, create=False)
    try:
        frozen.store.conn.execute("BEGIN")
        frozen.store.conn.execute("SELECT count(*) FROM models").fetchone()  # the snapshot
        yield frozen
    finally:
        with contextlib.suppress(Exception):
            frozen.store.conn.rollback()
        frozen.close()


def budgets(seconds: float, fractions: tuple[float, ...] = FRACTIONS) -> list[float]:
    """Seconds for each point: the main training's time shared in proportion to the
    fractions, so that the whole curve costs about as much as the main training."""
    total = sum(fractions) or 1.0
    return [max(MIN_POINT_SECONDS, seconds * f / total) for f in fractions]


def point(fraction: float, result: TrainResult) -> dict:
    """One point of the curve from a training on `fraction` of the training articles."""
    scores = result.scores
    suggestions = scores.get("suggestions") or {}
    return {"fraction": fraction, "train_articles": result.train_articles,
            "dev_articles": result.dev_articles, "f": scores.get("f", 0.0),
            "p": scores.get("p", 0.0), "r": scores.get("r", 0.0),
            "suggestions_f": suggestions.get("f"), "corrections": suggestions.get("corrections"),
            "epochs": result.epochs + 1, "seconds": result.seconds,
            "stopped": result.stopped}  # fmt: skip


def model_point(record) -> dict:
    """The 100% point: the registered model itself."""
    suggestions = record.scores.get("suggestions") or {}
    return {"fraction": 1.0, "train_articles": record.train_articles,
            "dev_articles": record.dev_articles, "f": record.f,
            "p": record.scores.get("p", 0.0), "r": record.scores.get("r", 0.0),
            "suggestions_f": suggestions.get("f"), "corrections": suggestions.get("corrections"),
            "seconds": record.seconds}  # fmt: skip


def points(record) -> list[dict]:
    """The curve of a model as drawn: its stored points that were trained (not those
    skipped for too few articles), then the model itself at 100%. A model trained without a
    curve has only the last."""
    stored = [p for p in record.scores.get("curve") or [] if "f" in p]
    return sorted([*stored, model_point(record)], key=lambda p: p["fraction"])


def has_curve(record) -> bool:
    return bool(record.scores.get("curve"))


def store(project, number: int, curve: list[dict]) -> None:
    """Keep the points done so far with model `number`'s record."""
    with project.write():
        record = project.models.get(number)
        project.models.update_scores(number, {**record.scores, "curve": curve})


def learning_curve(frozen, project, number: int, options: TrainOptions, seconds: float, *,
                   fractions: tuple[float, ...] = FRACTIONS,
                   started: Callable[[int, int, float], None] | None = None,
                   done: Callable[[dict], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> list[dict]:  # fmt: skip
    """Train on each share of the training articles of `frozen` (the snapshot the model was
    trained on), score it, and store the points with model `number` in `project` one by one.
    `seconds`: what the main training took (the curve's budget). `started(k, n, fraction)`
    before point k of n, `done(point)` after it. A share with too few articles to train on
    is kept as skipped, with why."""
    curve: list[dict] = []
    for k, (fraction, budget) in enumerate(zip(fractions, budgets(seconds, fractions),
                                               strict=True), start=1):  # fmt: skip
        if should_stop and should_stop():
            break
        if started:
            started(k, len(fractions), fraction)
        opts = replace(options, fraction=fraction, max_minutes=budget / 60)
        try:
            result = train_ner(frozen, opts, should_stop=should_stop)
        except ProjectError as exc:  # too few articles in this share
            item = {"fraction": fraction, "skipped": str(exc)}
        else:
            if result.stopped == "cancelled":
                break
            item = point(fraction, result)
            del result
        curve.append(item)
        store(project, number, curve)
        if done:
            done(item)
    return curve


def describe(item: dict) -> str:
    """One line for the command line."""
    share = f"{item['fraction']:.0%}"
    if "f" not in item:
        return f"learning curve {share}: skipped ({item.get('skipped', 'not trained')})"
    line = (f"learning curve {share}: {item['train_articles']:,} training articles, "
            f"dev F {item['f']:.3f}")
    if item.get("suggestions_f") is not None:
        line += (f", suggestions F {item['suggestions_f']:.3f} "
                 f"({plural(item['corrections'], 'correction')})")
    return line + (f", {item['seconds']:.0f} s" if "seconds" in item else "")
