"""The File menu's work, as a mixin of MainWindow: new/open/recent projects, import
(files, dropped files, the sample articles), export, labels and preferences.

Dialogs go through `dialogs` (ask, inform, choose_*), which tests monkeypatch."""

from __future__ import annotations

from pathlib import Path

from annotator.core import paths

from . import dialogs


class ProjectActions:
    """Needs from the window: project, settings, annotator, article, side, feed,
    open_project, restart_suggestions, reload_labels, show_article, show_error,
    apply_theme, statusBar."""

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_projects()
        for path in recent:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def open_recent(self, path: Path) -> bool:
        """A recent project that was moved or deleted is said to be missing and leaves the
        list; it is never re-created as an empty file."""
        if not Path(path).is_file():
            self.settings.remove_recent(path)
            dialogs.inform(self, "Recent projects", f"{path} is missing (moved or deleted?); "
                           "it was removed from the list of recent projects.")  # fmt: skip
            return False
        return self.open_project(path, create=False)

    def new_project(self) -> None:
        path = dialogs.choose_new_project(self)
        if path is None:
            return
        if path.exists():
            self.show_error(f"{path} exists already: use Open…", dialog=True)
            return
        self.open_project(path)

    def choose_project(self) -> None:
        path = dialogs.choose_open_project(self)
        if path is not None:
            self.open_project(path, create=False)

    # ---- import ---------------------------------------------------------------------------------
    def import_files(self) -> None:
        if self.project is not None:
            files = dialogs.choose_files(self)
            if files:
                self.import_paths(files)

    def import_samples(self) -> None:
        folder = paths.samples_dir()
        files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
        if not files:
            self.show_error(f"No sample articles found in {folder}", dialog=True)
            return
        self.import_paths(files)

    def import_paths(self, files: list[Path]) -> None:
        """Import in a worker thread (cancellable progress), then show what came in."""
        if self.project is None:
            return
        report = dialogs.run_import(self, self.project.path, list(files), self.annotator)
        if report is None:
            return
        self.project.invalidate_caches()  # the import may have added labels
        self.reload_labels()
        self.side.reload()
        self._counts = self.project.counts()
        if self.article is None:
            self._show_start()
        else:
            self._update_status()
            self._request_suggestions()
        self.focus_start()
        text, detail = dialogs.import_summary(report)
        if report.bad:
            dialogs.inform(self, "Import", text, detail)
        self.statusBar().showMessage(text, 10000)

    # ---- export, labels, preferences ------------------------------------------------------------
    def export(self) -> None:
        if self.project is None:
            return
        dlg = dialogs.ExportDialog(self.project, self)
        if dlg.exec() != dlg.DialogCode.Accepted:
            return
        options = dlg.options()
        self.project.set_setting("export_dir", str(options["out"]))
        if dialogs.run_export(self, self.project.path, options) is not None:
            self.statusBar().showMessage(f"Exported to {options['out']}", 10000)

    def edit_labels(self) -> None:
        if self.project is None:
            return
        dlg = dialogs.LabelsDialog(self.project, self.annotator, self)
        dlg.labelsChanged.connect(self.reload_labels)
        dlg.exec()
        self.reload_labels()
        if self.article is not None:
            self.show_article(self.article.id)  # removed labels took their spans along

    def edit_preferences(self) -> None:
        dlg = dialogs.PreferencesDialog(self.settings, self.project, self)
        if dlg.exec() != dlg.DialogCode.Accepted:
            return
        suggestions_changed = dlg.save()
        self.apply_theme(self.settings.theme())
        if suggestions_changed:
            self.restart_suggestions()  # new model/patterns: a new worker generation
