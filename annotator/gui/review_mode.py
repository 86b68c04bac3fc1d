"""Review mode, as a mixin of MainWindow: a team file's article with several annotators'
versions shows them above the text (versions_bar.py); Alt+N takes version N as one undo
step; the accept that follows is stored as the reviewed result (`reviewed_by`, in the
core's set_status). Model → Agreement… shows the team's agreement figures, and the queue's
"Disagreements" filter lists the articles whose versions differ most first."""

from __future__ import annotations

from PySide6.QtGui import QAction

from annotator.core.annotation import AddSpan, RemoveSpan
from annotator.core.project import Article
from annotator.core.records import Span
from annotator.core.team.review import versions

from . import dialogs


class ReviewMode:
    """Needs from the window: project, article, shown, pages, push, statusBar,
    show_article, colours."""

    def _init_review(self) -> dict[str, QAction]:
        agreement = QAction("&Agreement…", self)
        agreement.setObjectName("agreement")
        agreement.triggered.connect(self.show_agreement)
        return {"agreement": agreement}

    def _show_versions(self, article: Article) -> None:
        found = versions(self.project, article.id)
        reviewed = None
        if len(found) > 1:
            row = self.project.store.conn.execute(
                "SELECT reviewed_by FROM articles WHERE id = ?", [article.id]).fetchone()
            reviewed = row[0] if row else None
        self.pages.versions_bar.show_versions(article.text, found, self.colours(), reviewed)

    def take_version(self, number: int) -> None:
        """The article's spans become version `number`'s (confirmed), in one undo step."""
        found = self.pages.versions_bar.versions
        if self.article is None or len(found) < 2:
            self.statusBar().showMessage("This article has no annotators' versions to take",
                                         4000)  # fmt: skip
            return
        if not 1 <= number <= len(found):
            self.statusBar().showMessage(f"There are {len(found)} versions", 4000)
            return
        version = found[number - 1]
        aid = self.article.id
        edits = [RemoveSpan(aid, s) for s in self.shown]
        edits += [AddSpan(aid, Span(s.start, s.end, s.label, "human")) for s in version.spans]
        if edits:
            self.push(edits, f"take {version.annotator}'s version")
        verb = {"accepted": "accept", "rejected": "reject (X)", "skipped": "skip (Space)"}
        self.statusBar().showMessage(
            f"{version.annotator}'s version taken ({version.status}): edit if needed, then "
            f"{verb.get(version.status, 'decide')}", 8000)  # fmt: skip

    def show_agreement(self) -> None:
        if self.project is None:
            return
        from annotator.core.team.agreement import agreement, disagreement_rows

        from .agreement_dialog import AgreementDialog

        result = agreement(self.project)
        if not result["overlap_articles"]:
            dialogs.inform(self, "Agreement", "No article has versions from two annotators yet."
                           " Merge the annotators' files first (annotator merge).")  # fmt: skip
            return
        dlg = AgreementDialog(self, result, disagreement_rows(self.project))
        dlg.articleChosen = lambda aid: (dlg.accept(), self.show_article(aid))
        dlg.exec()
