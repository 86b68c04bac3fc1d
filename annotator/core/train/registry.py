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
    return get(project, number)


def all_models(project) -> list[ModelRecord]:
    return project.models.all()


def get(project, number: int) -> ModelRecord:
    return project.models.get(number)


def activate(project, number: int) -> ModelRecord:
    """Make a trained model the project's suggestion model (the user's choice)."""
    record = get(project, number)
    if not Path(record.path).is_dir():
        raise ProjectError(f"model {number}'s folder {record.path} is missing")
    with project.write():
        project.models.mark_activated(number)
        project.set_setting("model", record.path)
        project.log("model_activated", model=number)
    return get(project, number)
