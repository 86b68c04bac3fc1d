"""Killing the process in the middle of linking many mentions loses no link reported done,
and leaves every link whole: the link, the offer to the other mention, the article's
version and the events are there together or not at all (issue 19)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.store.kb import KbEntry

CHILD = r"""
import sys
from annotator.core.annotation import link_mention, shown_spans
from annotator.core.project import Project
p = Project(sys.argv[1])
for aid in p.article_ids():
    shown = shown_spans(p, aid)
    text = p.article(aid).text
    edits = link_mention(aid, shown, text, shown[0], "Q312545")
    with p.write(expect=(aid, p.article_version(aid))):  # as the window applies a command
        for edit in edits:
            edit.apply(p, "ann")
    print(aid, flush=True)  # reported only after the commit returned
"""


def test_sigkill_mid_linking_keeps_every_link_whole(tmp_path):
    path = tmp_path / "kill.db"
    with Project(path) as p:
        p.add_label("PERSON")
        p.kb.add([KbEntry("Q312545", "Roy Emerson")])
        ids = p.add_records([ArticleRecord(text=f"Emerson met Emerson ({i}).",
                                           spans=[Span(0, 7, "PERSON"), Span(12, 19, "PERSON")])
                             for i in range(3000)]).ids  # fmt: skip
        versions = {aid: p.article_version(aid) for aid in ids}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    done = [int(child.stdout.readline()) for _ in range(50)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with Project(path) as p:
        assert p.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn = p.store.conn
        linked = {aid for (aid,) in conn.execute(
            "SELECT article_id FROM spans WHERE kb_id = 'Q312545' AND start = 0")}  # fmt: skip
        offered = {aid for (aid,) in conn.execute(
            "SELECT article_id FROM imported_suggestions WHERE kb_id = 'Q312545' "
            "AND start = 12")}  # fmt: skip
        logged = {}
        for aid, action in conn.execute(
                "SELECT article_id, action FROM events WHERE action IN ('link', 'link_offer')"):
            logged.setdefault(aid, set()).add(action)
        assert set(done) <= linked  # every link reported done is there
        assert len(linked) < len(ids)  # the kill came in the middle
        assert linked == offered == set(logged)  # whole: the link with its offer and events
        assert all(actions == {"link", "link_offer"} for actions in logged.values())
        for aid in ids:  # a new version exactly where a link was written
            assert (p.article_version(aid) > versions[aid]) == (aid in linked)
        assert conn.execute("SELECT count(*) FROM spans WHERE kb_id IS NOT NULL "
                            "AND start != 0").fetchone()[0] == 0  # fmt: skip
