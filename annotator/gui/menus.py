"""The window's actions (one per keymap entry, so keys and menus never disagree) and menus."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from . import keymap

EDIT_MENU = ("undo", "redo", None, "next_span", "previous_span", "delete", "start_left",
             "start_right", "end_left", "end_right", "clear")  # fmt: skip
ARTICLE_MENU = ("accept", "reject", "skip", "flag", None, "previous", "next", "next_pending",
                "search")  # fmt: skip
VIEW_MENU = ("zoom_in", "zoom_out", "zoom_reset")
MODEL_MENU = ("train", "cancel_training", None, "models", "terms", "agreement")


def make_actions(window: QMainWindow, handlers: dict[str, Callable[[], None]],
                 label_key: Callable[[str], None]) -> dict[str, QAction]:  # fmt: skip
    """A window-wide QAction per binding, and one per label key (1-9, 0, also on the
    keypad) that calls label_key(key)."""
    actions: dict[str, QAction] = {}
    for b in keymap.BINDINGS:
        if b.action in ("label", "take_version", "link"):  # one action per key, below
            continue
        action = QAction(b.text, window)
        action.setObjectName(b.action)
        keys = [k for k in b.keys if k not in keymap.VIEW_KEYS]
        if "?" in keys:  # Shift+/ arrives as "?" or as "Shift+?" depending on the platform
            keys.append("Shift+?")
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.WindowShortcut)
        action.triggered.connect(lambda _=False, f=handlers[b.action]: f())
        window.addAction(action)
        actions[b.action] = action
    for key in keymap.LABEL_KEYS:
        action = QAction(f"Label {key}", window)
        action.setShortcuts([QKeySequence(key), QKeySequence(f"Num+{key}")])
        action.triggered.connect(lambda _=False, k=key: label_key(k))
        window.addAction(action)
    for number, (key, symbol) in enumerate(zip(keymap.LINK_KEYS, keymap.LINK_SYMBOLS,
                                              strict=True), start=1):  # fmt: skip
        action = QAction(f"Link to candidate {number}", window)
        action.setShortcuts([QKeySequence(key), QKeySequence(symbol)])
        action.setShortcutContext(Qt.WindowShortcut)
        action.triggered.connect(lambda _=False, n=number: handlers["link"](n))
        window.addAction(action)
    for number, key in enumerate(keymap.VERSION_KEYS, start=1):
        action = QAction(f"Take version {number}", window)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.WindowShortcut)
        action.triggered.connect(lambda _=False, n=number: handlers["take_version"](n))
        window.addAction(action)
    return actions


def make_menus(window: QMainWindow, a: dict[str, QAction], fill_recent: Callable,
               open_samples: Callable) -> None:  # fmt: skip
    bar = window.menuBar()
    menu = bar.addMenu("&File")
    menu.addAction(a["new"])
    menu.addAction(a["open"])
    window.recent_menu = menu.addMenu("Recent projects")
    window.recent_menu.aboutToShow.connect(fill_recent)
    menu.addSeparator()
    menu.addAction(a["import"])
    menu.addAction("Open sample articles").triggered.connect(lambda: open_samples())
    menu.addAction(a["export"])
    menu.addSeparator()
    menu.addAction(a["labels"])
    menu.addAction(a["preferences"])
    menu.addSeparator()
    menu.addAction(a["quit"])
    for title, names in (("&Edit", EDIT_MENU), ("&Article", ARTICLE_MENU), ("&View", VIEW_MENU),
                         ("&Model", MODEL_MENU), ("&Help", ("help",))):  # fmt: skip
        menu = bar.addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(a[name])
