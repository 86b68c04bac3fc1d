"""Killing the process at any moment loses nothing already done, and corrupts nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from annotator.core.project import Project
from annotator.core.records import ArticleRecord

CHILD = r"""
import sys
from annotator.core.annotation import AddSpan, SetStatus
from annotator.core.project import Project
from annotator.core.records import Span
p = Project(sys.argv[1])
for aid in p.article_ids():
    AddSpan(aid, Span(0, 7, "ORG")).apply(p, "ann")
    SetStatus(aid, "accepted").apply(p, "ann")
    print(aid, flush=True)  # reported only after both commits returned
"""


def test_sigkill_mid_annotation_loses_nothing_reported(tmp_path):
    path = tmp_path / "kill.db"
    with Project(path) as p:
        p.add_label("ORG")
        p.add_records([ArticleRecord(text=f"Reuters story {i}.") for i in range(2000)])
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    done = [int(child.stdout.readline()) for _ in range(40)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with Project(path) as p:
        assert p.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for aid in done:
            art = p.article(aid)
            assert art.status == "accepted" and art.status_by == "ann"
            assert [(s.start, s.end, s.label) for s in p.spans(aid)] == [(0, 7, "ORG")]
        accepted = p.counts()["accepted"]
        assert accepted >= len(done)
        # every accepted article is whole: no status without its span or the reverse
        assert p.stats()["spans"] >= accepted


def test_opening_the_file_again_in_this_process_keeps_its_locks(tmp_path):
    """A second Project in this process (the window's worker) must not drop the first one's
    locks: if it did, another process closing the file (the training command) would delete
    the WAL under the window and corrupt the project ("disk I/O error", "malformed")."""
    import sqlite3
    import subprocess
    import sys

    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord

    path = tmp_path / "p.db"
    with Project(path) as p:
        p.add_records([ArticleRecord(text=f"text {i}") for i in range(50)])
    window = Project(path)
    window.set_setting("x", 1)
    worker = Project(path)  # opened while the window's connection is live
    subprocess.run([sys.executable, "-c", (
        "from annotator.core.project import Project\n"
        f"with Project({str(path)!r}) as p:\n    p.set_setting('y', 2)\n")], check=True)
    for i in range(3):
        window.set_setting("x", i)
    assert window.get_setting("y") == 2 and window.counts()["articles"] == 50
    window.close()  # the worker's connection is still open
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT value FROM settings WHERE key = 'x'").fetchone() == ("2",)
    conn.close()
    worker.close()
