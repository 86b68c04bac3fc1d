"""Every key of the window, in one table: the actions and the help overlay both read it.

Keys follow Prodigy's where it has one (a accept, x reject, space skip, Ctrl+Z undo).
Left/Right move the text cursor, so moving between articles uses Alt+Left/Alt+Right.
Span edges move by one token with two pairs of keys: the left key of a pair moves the
edge left, the right key moves it right ([ ] for the start, , . for the end).
"""

from __future__ import annotations

from dataclasses import dataclass

LABEL_KEYS = tuple("1234567890")  # one action per key; the label bar says which label has it
VERSION_KEYS = tuple(f"Alt+{i}" for i in range(1, 10))  # review: take annotator N's version
# Entity linking: Shift+1…9 takes candidate N of the entity panel, Shift+0 "not in the
# knowledge base". With Shift held, most layouts send the shifted symbol instead of the
# digit: both are bound (the US layout's symbols; the digits cover keypads and others).
LINK_KEYS = tuple(f"Shift+{i}" for i in range(1, 10))
LINK_SYMBOLS = tuple("!@#$%^&*(")  # Shift+1…9 on a US keyboard
NIL_KEYS = ("Shift+0", ")")


@dataclass(frozen=True, slots=True)
class Binding:
    action: str  # the QAction's name
    keys: tuple[str, ...]  # QKeySequence strings, first one shown in menus
    text: str  # menu text
    help: str  # one line in the help overlay
    group: str  # heading in the help overlay


GROUPS = ("Decide", "Spans", "Move", "Edit", "Project")

BINDINGS: tuple[Binding, ...] = (
    # Decide on the whole article
    Binding("accept", ("A",), "&Accept article",
            "Accept (suggestions become spans), go on", "Decide"),
    Binding("reject", ("X",), "&Reject article", "Reject, go on", "Decide"),
    Binding("skip", ("Space",), "&Skip article", "Skip for now, go on", "Decide"),
    Binding("flag", ("F",), "&Flag for later…",
            "Flag for later, with a note (again: clear the flag)", "Decide"),
    Binding("take_version", VERSION_KEYS, "Take version",
            "Review: take annotator N's version (a team file's article)", "Decide"),
    # Spans
    Binding("label", LABEL_KEYS, "Apply label", "Label the selection / relabel the span", "Spans"),
    Binding("next_span", ("J", "Tab"), "Next span", "Cursor on the next span", "Spans"),
    Binding("previous_span", ("K", "Shift+Tab"), "Previous span",
            "Cursor on the previous span", "Spans"),
    Binding("delete", ("Delete", "Backspace"), "&Delete span",
            "Delete the span (dismiss a suggestion)", "Spans"),
    Binding("start_left", ("[",), "Start one token left",
            "Span start one token left (grow)", "Spans"),
    Binding("start_right", ("]",), "Start one token right",
            "Span start one token right (shrink)", "Spans"),
    Binding("end_left", (",",), "End one token left", "Span end one token left (shrink)", "Spans"),
    Binding("end_right", (".",), "End one token right", "Span end one token right (grow)", "Spans"),
    Binding("clear", ("Esc",), "Clear selection", "Clear the selection", "Spans"),
    # Entity linking (the entity panel beside the article, when the project has a KB)
    Binding("link", LINK_KEYS, "Link to candidate",
            "Link to the entity panel's candidate N", "Spans"),
    Binding("link_nil", NIL_KEYS, "Not in the knowledge base",
            "Not in the knowledge base (NIL)", "Spans"),
    Binding("unlink", ("Shift+Del", "Shift+Backspace"), "Unlink",
            "Unlink the span", "Spans"),
    # Move between articles without deciding
    Binding("previous", ("Alt+Left", "Ctrl+PgUp"), "&Previous article",
            "Previous article (no decision)", "Move"),
    Binding("next", ("Alt+Right", "Ctrl+PgDown"), "&Next article",
            "Next article (no decision)", "Move"),
    Binding("next_pending", ("Alt+Down",), "Next &pending article", "Next pending article", "Move"),
    Binding("search", ("Ctrl+F",), "&Find articles…", "Search the queue", "Move"),
    # Edit
    Binding("undo", ("Ctrl+Z",), "&Undo", "Undo (also across articles)", "Edit"),
    Binding("redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "&Redo", "Redo", "Edit"),
    Binding("zoom_in", ("Ctrl+=", "Ctrl++"), "Zoom &in", "Larger text", "Edit"),
    Binding("zoom_out", ("Ctrl+-",), "Zoom &out", "Smaller text", "Edit"),
    Binding("zoom_reset", ("Ctrl+0",), "&Actual size", "Text size back to normal", "Edit"),
    Binding("help", ("?", "F1"), "&Keyboard shortcuts", "Show or hide this help", "Edit"),
    # Project
    Binding("new", ("Ctrl+N",), "&New project…", "New project", "Project"),
    Binding("open", ("Ctrl+O",), "&Open…", "Open a project", "Project"),
    Binding("import", ("Ctrl+I",), "&Import files…", "Import files (or drop them here)", "Project"),
    Binding("export", ("Ctrl+E",), "&Export…", "Export training data", "Project"),
    Binding("labels", ("Ctrl+L",), "&Labels…", "Add, recolour or remove labels", "Project"),
    Binding("preferences", ("Ctrl+,",), "&Preferences…", "Name, model, patterns, theme", "Project"),
    Binding("train", ("Ctrl+T",), "&Train now",
            "Train a model on the accepted articles (in the background)", "Project"),
    Binding("terms", ("Ctrl+Shift+T",), "T&erms…",
            "Terms: grow a label's word list from word vectors", "Project"),
    Binding("quit", ("Ctrl+Q",), "&Quit", "Quit", "Project"),
)  # fmt: skip

BY_ACTION = {b.action: b for b in BINDINGS}
# Keys the article view turns into a signal itself (a window shortcut would take them from
# every other widget too, e.g. Tab in the search box): listed in the help, not shortcuts.
VIEW_KEYS = frozenset(("Tab", "Shift+Tab"))


def keys_text(binding: Binding) -> str:
    """How the help overlay writes a binding's keys."""
    if binding.keys == LABEL_KEYS:
        return "1 – 9, 0"
    if binding.keys == VERSION_KEYS:
        return "Alt+1 – Alt+9"
    if binding.keys == LINK_KEYS:
        return "Shift+1 – Shift+9"
    if binding.keys == NIL_KEYS:
        return "Shift+0"
    if binding.action == "unlink":
        return "Shift+Del"
    return " / ".join(binding.keys)
