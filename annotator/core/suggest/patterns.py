"""Pattern rules: a JSONL file in spaCy's EntityRuler / Prodigy patterns format.

One pattern per line, either a token pattern or a phrase pattern, with an optional ``id``::

    {"label": "FASHION_BRAND", "pattern": [{"lower": "ann"}, {"lower": "taylor"}]}
    {"label": "ORG", "pattern": "Reuters", "id": "reuters"}

Blank lines are skipped; anything else that is not a valid pattern raises
:class:`PatternsError` naming ``file:line``.

Matching is done by spaCy's own ``entity_ruler`` component, with its default settings, in a
pipeline of its own on ``spacy.blank(lang)``: so what this finds is by construction exactly
what a stand-alone EntityRuler finds (longest match first, then the earliest; no overlaps),
on the tokenization that export uses. It never sees, nor changes, the model's entities.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.records import Span

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

SOURCE = "pattern"


class PatternsError(ValueError):
    """A patterns file could not be read; the message starts with ``file:line:``."""


def patterns_fingerprint(path: str | Path) -> str:
    """sha256 (hex) of the patterns file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check(entry: Any) -> str | None:
    """Why ``entry`` is not a valid pattern, or None."""
    if not isinstance(entry, dict):
        return f"expected a JSON object, got {type(entry).__name__}"
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        return "'label' must be a non-empty string"
    if "id" in entry and not isinstance(entry["id"], (str, int)):
        return "'id' must be a string"
    if "pattern" not in entry:
        return "missing 'pattern'"
    pattern = entry["pattern"]
    if isinstance(pattern, str):
        if not pattern.strip():
            return "phrase 'pattern' is empty"
        return None
    if isinstance(pattern, list):
        from spacy.schemas import validate_token_pattern

        errors = validate_token_pattern(pattern)
        return "invalid token pattern: " + "; ".join(errors) if errors else None
    return "'pattern' must be a string (phrase) or a list of token dicts"


def read_patterns(path: str | Path) -> list[dict]:
    """Read and validate a patterns JSONL file. Each returned dict gets ``_line`` (1-based)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PatternsError(f"{path}: cannot read patterns file: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PatternsError(f"{path}: not UTF-8: {exc}") from exc
    patterns: list[dict] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PatternsError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
        problem = _check(entry)
        if problem:
            raise PatternsError(f"{path}:{lineno}: {problem}")
        patterns.append({**entry, "_line": lineno})
    return patterns


def _ruler_entries(patterns: Iterable[dict]) -> list[dict]:
    keys = ("label", "pattern", "id")
    return [{k: p[k] for k in keys if k in p} for p in patterns]


class PatternMatcher:
    """Finds pattern matches with spaCy's EntityRuler on a blank pipeline of its own."""

    def __init__(
        self,
        patterns: Iterable[dict],
        *,
        lang: str = "en",
        source_name: str = "<patterns>",
    ) -> None:
        import spacy

        self.patterns = list(patterns)
        self.nlp: Language = spacy.blank(lang)
        ruler = self.nlp.add_pipe("entity_ruler")
        try:
            ruler.add_patterns(_ruler_entries(self.patterns))
        except Exception:
            self._locate_error(lang, source_name)
            raise
        self.labels: tuple[str, ...] = tuple(ruler.labels)
        # An empty ruler warns (W036) on every doc; with no patterns, only tokenize.
        self._empty = not self.patterns

    def _locate_error(self, lang: str, source_name: str) -> None:
        """Re-add one pattern at a time to say which line spaCy rejects."""
        import spacy

        probe = spacy.blank(lang).add_pipe("entity_ruler")
        for p in self.patterns:
            try:
                probe.add_patterns(_ruler_entries([p]))
            except Exception as exc:
                line = p.get("_line", "?")
                raise PatternsError(f"{source_name}:{line}: spaCy rejects it: {exc}") from exc

    @classmethod
    def from_file(cls, path: str | Path, *, lang: str = "en") -> PatternMatcher:
        return cls(read_patterns(path), lang=lang, source_name=str(path))

    def __len__(self) -> int:
        return len(self.patterns)

    @staticmethod
    def spans_of(doc: Doc) -> list[Span]:
        """The ruler's matches on a doc made by :meth:`doc`."""
        return [Span(e.start_char, e.end_char, e.label_, SOURCE) for e in doc.ents]

    def doc(self, text: str) -> Doc:
        """Tokenize ``text`` with the blank tokenizer and run the ruler on it."""
        return self.nlp.make_doc(text) if self._empty else self.nlp(text)

    def __call__(self, text: str) -> list[Span]:
        return self.spans_of(self.doc(text))

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Span]]:
        if self._empty:
            for _ in texts:
                yield []
            return
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield self.spans_of(doc)


def load_patterns(path: str | Path, *, lang: str = "en") -> PatternMatcher:
    """Read, validate and compile a patterns file."""
    return PatternMatcher.from_file(path, lang=lang)
