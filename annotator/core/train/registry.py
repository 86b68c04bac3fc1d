"""Trained models beside the project file, recorded in it.

`news.annotator.db` keeps its models in `news.annotator-models/model-N/`. A model is written
into a hidden temporary folder there, fsynced, renamed into place, and only then recorded
in the project's `models` table, in one transaction: a killed or failed training leaves no
model registered (and its leftover temporary folder is removed by the next training). It
becomes the project's suggestion model (the `model` setting) only when it beats the model
in use on the dev articles, or when the user says so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ProjectError
from ..store.models import ModelRecord


def models_dir(project_path: Path) -> Path:
    name = project_path.name
    stem = name[: -len(".db")] if name.endswith(".db") else project_path.stem
    return project_path.with_name(f"{stem}-models")


def clean_leftovers(folder: Path) -> None:
    for tmp in folder.glob(".training-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(Path(root, name), "rb") as fh:
                os.fsync(fh.fileno())


def save(project, result, activate: bool | None = None) -> ModelRecord:
    """Write the trained pipeline and record it; make it the suggestion model when it beats
    the current one (`activate=None`), or as told."""
    from ..suggest.models import model_info

    folder = models_dir(project.path)
    folder.mkdir(parents=True, exist_ok=True)
    clean_leftovers(folder)
    tmp = Path(tempfile.mkdtemp(prefix=".training-", dir=folder))
    try:
        result.nlp.meta["name"] = "annotator_model"
        result.nlp.to_disk(tmp)
        _fsync_tree(tmp)
        with project.write():
            number = project.models.next_id()
            final = folder / f"model-{number}"
            if final.exists():
                shutil.rmtree(final)  # an unregistered folder from a killed run
            os.replace(tmp, final)
            info = model_info(str(final))
            on = result.better if activate is None else activate
            project.models.add(number, str(final), result.base, result.train_articles,
                               result.dev_articles, result.scores, result.baseline, info.digest,
                               result.seconds, bool(on))  # fmt: skip
            if on:
                project.set_setting("model", str(final))
            project.log("model_trained", model=number, f=result.scores.get("f"),
                        activated=bool(on), base=result.base)  # fmt: skip
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune(project)
    return get(project, number)


KEEP_NEWEST = 2  # model folders kept besides the one in use and the best one


def kept(project) -> set[int]:
    """The models whose folders are kept: the one in use, the newest few, the best (fewest
    corrections on its dev articles). A model with word vectors is ~45 MB on disk: every
    training keeping its folder would fill the disk."""
    models = all_models(project)
    setting = project.get_setting("model")
    keep = {m.id for m in models[-KEEP_NEWEST:]}
    keep |= {m.id for m in models if m.activated and _same(m.path, setting)}
    scored = [m for m in models if (m.scores.get("suggestions") or {}).get("corrections")
              is not None]  # fmt: skip
    if scored:
        keep.add(min(scored, key=lambda m: (m.scores["suggestions"]["corrections"],
                                            -m.id)).id)  # fmt: skip
    return keep


def prune(project) -> list[int]:
    """Delete the folders of the models not kept (their records and scores stay; using
    one again says its folder was removed). Returns the models pruned now."""
    keep = kept(project)
    gone = []
    for m in all_models(project):
        if m.id not in keep and Path(m.path).is_dir():
            shutil.rmtree(m.path, ignore_errors=True)
            gone.append(m.id)
    return gone


def _same(path: str, setting) -> bool:
    if not isinstance(setting, str) or not setting:
        return False
    with contextlib.suppress(OSError):
        return Path(path).resolve() == Path(setting).resolve()
    return path == setting


def all_models(project) -> list[ModelRecord]:
    return project.models.all()


def get(project, number: int) -> ModelRecord:
    return project.models.get(number)


def activate(project, number: int) -> ModelRecord:
    """Make a trained model the project's suggestion model (the user's choice)."""
    record = get(project, number)
    if not Path(record.path).is_dir():
        raise ProjectError(f"model {number}'s folder {record.path} is missing (only the model "
                           f"in use, the best and the {KEEP_NEWEST} newest are kept)")
    with project.write():
        project.models.mark_activated(number)
        project.set_setting("model", record.path)
        project.log("model_activated", model=number)
    return get(project, number)
