"""Entity linking in the window, with real key presses: the entity panel follows the span at
the cursor; Shift+1 links it and offers the entity to the other mentions of the same
string (one undo step); `a` stores exactly the links shown; Shift+0 marks NIL, Shift+Del
unlinks; an id the knowledge base lacks is refused; hover names the entity."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.core.project import Project
from annotator.core.records import NIL, ArticleRecord, Span
from annotator.core.store.kb import KbEntry

TEXT = "Zelensky met Biden in Kyiv. Later Zelensky spoke to reporters."
ENTITIES = [
    KbEntry("Q3874799", "Volodymyr Zelensky", "President of Ukraine since 2019",
            ("Zelensky", "Zelenskyy", "Volodymyr Zelenskyy")),
    KbEntry("Q1889", "Zelensky (disambiguation)", "a surname"),
    KbEntry("Q6279", "Joe Biden", "President of the United States", ("Biden",)),
    KbEntry("Q1899", "Kyiv", "capital of Ukraine", ("Kiev",)),
]  # fmt: skip


def at(part: str, label: str, nth: int = 0) -> Span:
    i = -1
    for _ in range(nth + 1):
        i = TEXT.index(part, i + 1)
    return Span(i, i + len(part), label, "human")


def project(tmp_path):
    path = tmp_path / "link.annotator.db"
    with Project(path) as p:
        p.ensure_labels(["PERSON", "GPE"])
        p.set_setting("model", "none")
        p.kb.add(ENTITIES, source="test")
        p.add_records([ArticleRecord(text=TEXT, spans=[at("Zelensky", "PERSON"),
                                                       at("Zelensky", "PERSON", 1)],
                                     suggestions=[at("Kyiv", "GPE", 0)])])  # fmt: skip
    return path


def links(win):
    return [(win.article.text[s.start : s.end], s.kb_id, s.kb_suggested) for s in win.shown
            if s.kb_id]  # fmt: skip


def cursor_on(qtbot, win, part: str, nth: int = 0) -> None:
    span = at(part, "X", nth)
    win.view.select_range(span.start, span.start)
    qtbot.waitUntil(lambda: win.link_panel.mention.text() == f"“{part}”")


def test_link_a_mention_and_undo_it_with_real_keys(qtbot, make_window, tmp_path):
    win = make_window(project(tmp_path), worker=True)
    qtbot.waitUntil(win.is_ready, timeout=30000)
    assert win.link_panel.isVisible()  # the project has a knowledge base
    cursor_on(qtbot, win, "Zelensky")
    assert win.link_panel.ids[:1] == ["Q3874799"]  # the alias, chosen 0 times: exact first
    assert win.link_panel.current.text() == "Not linked"
    qtbot.keyClick(win.view, Qt.Key_1, Qt.ShiftModifier)
    # the mention is linked, the other "Zelensky" offered the same entity (suggested)
    assert links(win) == [("Zelensky", "Q3874799", False), ("Zelensky", "Q3874799", True)]
    assert win.undo_stack.count() == 1  # one undo step
    assert "Volodymyr Zelensky (Q3874799)" in win.view.tooltip_text(at("Zelensky", "X").start)
    win.undo_stack.undo()
    assert links(win) == []
    win.undo_stack.redo()
    assert links(win)[0] == ("Zelensky", "Q3874799", False)
    # NIL on the second mention (its suggested link replaced), then unlinked again
    cursor_on(qtbot, win, "Zelensky", 1)
    qtbot.keyClick(win.view, Qt.Key_0, Qt.ShiftModifier)
    assert links(win)[1] == ("Zelensky", NIL, False)
    qtbot.keyClick(win.view, Qt.Key_Delete, Qt.ShiftModifier)
    assert [x for x in links(win) if x[2] is False] == [("Zelensky", "Q3874799", False)]
    # the Kyiv suggestion: linked through the panel's field by another name ("Kiev")
    cursor_on(qtbot, win, "Kyiv")
    qtbot.keyClicks(win.link_panel.field, "Kiev")
    assert win.link_panel.ids[:1] == ["Q1899"]
    qtbot.keyClick(win.link_panel.field, Qt.Key_Return)
    assert ("Kyiv", "Q1899", False) in links(win)
    qtbot.keyClick(win.view, Qt.Key_A)  # what was shown is what is stored
    qtbot.waitUntil(lambda: win.project.article(1).status == "accepted", timeout=10000)
    with Project(win.project.path) as p:
        stored = {(TEXT[s.start : s.end], s.start, s.kb_id) for s in p.spans(1)}
    assert stored == {("Zelensky", 0, "Q3874799"), ("Zelensky", TEXT.index("Zelensky", 1), None),
                      ("Kyiv", TEXT.index("Kyiv"), "Q1899")}  # fmt: skip


def test_an_id_the_knowledge_base_lacks_is_refused(qtbot, make_window, tmp_path):
    win = make_window(project(tmp_path))
    cursor_on(qtbot, win, "Zelensky")
    qtbot.keyClicks(win.link_panel.field, "Q999999")
    win.link_panel.show_candidates([])  # nothing named so: Return takes the id as typed
    qtbot.keyClick(win.link_panel.field, Qt.Key_Return)
    assert "Q999999" in win.statusBar().currentMessage()
    assert "not in this project's knowledge base" in win.statusBar().currentMessage()
    assert links(win) == [] and win.undo_stack.count() == 0


def test_no_knowledge_base_no_panel(qtbot, make_window, project_path):
    win = make_window(project_path)
    assert not win.link_panel.isVisible()
    qtbot.keyClick(win.view, Qt.Key_1, Qt.ShiftModifier)
    assert "no knowledge base" in win.statusBar().currentMessage()


def test_searching_an_entity_lists_and_marks_its_mentions(qtbot, make_window, tmp_path):
    path = project(tmp_path)
    with Project(path) as p:
        p.add_records([ArticleRecord(text="Nothing about him here."),
                       ArticleRecord(text="President Zelenskyy visited Kiev.")])  # fmt: skip
    win = make_window(path, article=1)
    cursor_on(qtbot, win, "Zelensky")
    qtbot.keyClick(win.view, Qt.Key_1, Qt.ShiftModifier)
    qtbot.waitUntil(win.link_panel.find_button.isEnabled)  # the panel shows the link
    win.link_panel.find_button.click()  # "Articles mentioning it": the search kb:Q3874799
    assert win.search.text() == "kb:Q3874799"
    qtbot.waitUntil(lambda: not win.queue_model.searching and list(win.queue_model.ids) == [1, 3])
    marked = [TEXT[a:b] for a, b in win.view.marks()]
    assert marked == ["Zelensky", "Zelensky"]  # the mentions, not the words "kb" and "Q…"
    win.show_article(3)
    assert [win.article.text[a:b] for a, b in win.view.marks()] == ["Zelenskyy"]


def test_a_surname_finds_the_full_name_in_the_panel(qtbot, make_window, tmp_path):
    """A knowledge base as spaCy's tutorials write it (`id,name,description`, no aliases):
    the panel offers "Volodymyr Zelenskyy" for "Zelensky", says why, and Shift+1 links."""
    path = tmp_path / "tutorial.annotator.db"
    with Project(path) as p:
        p.ensure_labels(["PERSON", "GPE"])
        p.set_setting("model", "none")
        p.kb.add([KbEntry("Q3874799", "Volodymyr Zelenskyy", "President of Ukraine"),
                  KbEntry("Q1899", "Kyiv", "capital of Ukraine")])  # fmt: skip
        p.add_records([ArticleRecord(text=TEXT, spans=[at("Zelensky", "PERSON")])])
    win = make_window(path, worker=True)
    qtbot.waitUntil(win.is_ready, timeout=30000)
    cursor_on(qtbot, win, "Zelensky")
    assert win.link_panel.ids == ["Q3874799"]
    assert "part of “Volodymyr Zelenskyy”" in win.link_panel.list.item(0).text()
    qtbot.keyClick(win.view, Qt.Key_1, Qt.ShiftModifier)
    assert links(win)[0] == ("Zelensky", "Q3874799", False)
