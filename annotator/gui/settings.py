"""What the app remembers between runs (QSettings): projects, last article, theme, name.

Project-specific choices (model, patterns, labels) live in the project file instead, so
they travel with it. Tests point QSettings at a temporary folder (tests/gui/conftest.py).
"""

from __future__ import annotations

import getpass
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def _key(path: str | Path) -> str:
    # QSettings keys can't hold "/" or "\\" safely inside a group name.
    return str(Path(path).resolve()).replace("\\", "|").replace("/", "|")


class AppSettings:
    """Typed access to the app's QSettings. Every write is synced at once, so a killed
    process still reopens where it was. `read_only` (screenshots) reads but never writes,
    except the theme, which then lives in memory only."""

    def __init__(self, qsettings: QSettings | None = None, read_only: bool = False):
        self.q = qsettings or QSettings(
            QSettings.IniFormat, QSettings.UserScope, "Annotator", "Annotator"
        )
        self.read_only = read_only
        self._memory: dict[str, object] = {}

    def _set(self, key: str, value) -> None:
        if self.read_only:
            self._memory[key] = value
            return
        self.q.setValue(key, value)
        self.q.sync()

    def _get(self, key: str, default=None):
        if key in self._memory:
            return self._memory[key]
        return self.q.value(key, default)

    # ---- projects ---------------------------------------------------------------------
    def recent_projects(self) -> list[Path]:
        value = self._get("recent_projects", [])
        if isinstance(value, str):  # QSettings returns a lone string for a 1-item list
            value = [value]
        return [Path(v) for v in value or [] if v]

    def add_recent(self, path: str | Path) -> None:
        path = Path(path).resolve()
        items = [p for p in self.recent_projects() if p != path]
        self._set("recent_projects", [str(p) for p in [path, *items][:MAX_RECENT]])
        self._set("last_project", str(path))

    def remove_recent(self, path: str | Path) -> None:
        path = Path(path).resolve()
        self._set("recent_projects", [str(p) for p in self.recent_projects() if p != path])

    def last_project(self) -> Path | None:
        value = self._get("last_project", "")
        return Path(value) if value else None

    def last_article(self, project: str | Path) -> int | None:
        value = self._get(f"last_article/{_key(project)}", None)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def set_last_article(self, project: str | Path, article_id: int) -> None:
        self._set(f"last_article/{_key(project)}", int(article_id))

    # ---- preferences ------------------------------------------------------------------
    def theme(self) -> str:
        value = str(self._get("theme", "light"))
        return value if value in ("light", "dark") else "light"

    def set_theme(self, theme: str) -> None:
        self._set("theme", theme)

    def annotator_name(self) -> str:
        value = self._get("annotator_name", "")
        if value:
            return str(value)
        try:
            return getpass.getuser()
        except Exception:  # no user name in this environment
            return ""

    def set_annotator_name(self, name: str) -> None:
        self._set("annotator_name", name.strip())

    def text_size(self, default: float) -> float:
        """The article's text size in points (Ctrl+= / Ctrl+- / Ctrl+0)."""
        try:
            return float(self._get("article/text_size", default))
        except (TypeError, ValueError):
            return default

    def set_text_size(self, size: float) -> None:
        self._set("article/text_size", float(size))

    # ---- window -----------------------------------------------------------------------
    def geometry(self):
        return self._get("window/geometry")

    def set_geometry(self, data) -> None:
        self._set("window/geometry", data)

    def splitter(self):
        return self._get("window/splitter")

    def set_splitter(self, data) -> None:
        self._set("window/splitter", data)
