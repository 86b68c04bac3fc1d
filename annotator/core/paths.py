"""Where things live: the default project file and the bundled resources."""

from __future__ import annotations

import sys
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "Annotator"


def data_dir() -> Path:
    """The user's data folder: XDG on Linux, Application Support on macOS, AppData on Windows."""
    return user_data_path(APP_NAME, appauthor=False)


def default_project() -> Path:
    return data_dir() / "default.annotator.db"


def resources_dir() -> Path:
    """`resources/` beside the package, or inside the PyInstaller bundle when frozen."""
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def samples_dir() -> Path:
    return resources_dir() / "samples"
