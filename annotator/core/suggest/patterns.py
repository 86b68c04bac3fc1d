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

**Regular expressions are time-limited.** A ``REGEX`` predicate can backtrack for ever
(``(a|aa)+$`` on a long run of ``a``). Before the patterns reach the ruler, every ``REGEX``
predicate on a string attribute (``TEXT``/``ORTH``, ``LOWER``, ``NORM``, ``SHAPE``,
``PREFIX``, ``SUFFIX``, ...; also ``{"REGEX": {"IN": [...]}}`` and ``NOT_IN``) is replaced by
a custom token extension whose getter runs the same search with the third-party ``regex``
module (compatible with ``re``), which can stop a search after a timeout. Each of a
pattern's regular expressions may spend :data:`REGEX_BUDGET` seconds per text in total
(results are memoised per token string, so a well-behaved one costs less than spaCy's own
predicate). When one runs out, every pattern using it is skipped *for that text* (the text
is matched again without them, so the others match exactly as if those patterns were not
in the file), and :attr:`PatternMatcher.skipped` counts it; :meth:`PatternMatcher.warnings`
reports each such pattern once, with its line and the number of texts.

**Long texts** are matched a piece at a time (:class:`~.pieces.PieceRuler`), with exactly
the entities the ruler gives on the whole text, matches across a piece cut included; no Doc
of the whole text is made.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.records import Span, check_label_name

from .pieces import PIECE_CHARS, PieceRuler, make_doc, piece_docs

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
    try:
        check_label_name(label)
    except ValueError as exc:
        return f"'label': {exc}"
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
        from ..os_errors import describe

        raise PatternsError(f"cannot read the patterns file: {describe(exc, path)}") from exc
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


REGEX_BUDGET = 1.0  # seconds each regular expression may take on one text, in total

# Attributes whose REGEX predicates are rewritten: spaCy searches the attribute's string,
# `vocab.strings[get_token_attr_for_matcher(token, ATTR)]`, which these read directly.
_STRING_ATTRS: dict[str, Callable[[Any], str]] = {
    "ORTH": operator.attrgetter("text"),
    "TEXT": operator.attrgetter("text"),
    "LOWER": operator.attrgetter("lower_"),
    "NORM": operator.attrgetter("norm_"),
    "SHAPE": operator.attrgetter("shape_"),
    "PREFIX": operator.attrgetter("prefix_"),
    "SUFFIX": operator.attrgetter("suffix_"),
    "LEMMA": operator.attrgetter("lemma_"),
    "POS": operator.attrgetter("pos_"),
    "TAG": operator.attrgetter("tag_"),
    "DEP": operator.attrgetter("dep_"),
    "ENT_TYPE": operator.attrgetter("ent_type_"),
    "ENT_ID": operator.attrgetter("ent_id_"),
    "ENT_KB_ID": operator.attrgetter("ent_kb_id_"),
    "MORPH": lambda token: str(token.morph),
}
_MEMO_LIMIT = 100_000  # token strings remembered per regular expression
_names = itertools.count()


class _Clock:
    """Time spent per extension on the current text, and the extensions out of time."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.spent: dict[str, float] = {}
        self.failed: set[str] = set()

    def start(self) -> None:
        self.spent.clear()
        self.failed.clear()


def _regex_getter(read, regexes: tuple, negate: bool, name: str, clock: _Clock):
    """The getter of one rewritten REGEX predicate: True where spaCy's predicate is true."""
    memo: dict[str, bool] = {}
    perf_counter = time.perf_counter

    def get(token) -> bool:
        if name in clock.failed:
            return False
        value = read(token)
        hit = memo.get(value)
        if hit is not None:
            return hit
        spent = clock.spent.get(name, 0.0)
        t0 = perf_counter()
        found = False
        try:
            for rx in regexes:
                left = clock.budget - spent - (perf_counter() - t0)
                if rx.search(value, timeout=max(left, 0.001)) is not None:
                    found = True
                    break
        except TimeoutError:
            clock.failed.add(name)
            return False
        spent += perf_counter() - t0
        clock.spent[name] = spent
        if spent > clock.budget:
            clock.failed.add(name)
        hit = found != negate
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[value] = hit
        return hit

    return get


class _Rewriter:
    """Replaces REGEX predicates by time-limited token extensions (see the module doc)."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.names: dict[tuple, str] = {}  # (attr, op, regexes) -> extension name
        self.users: dict[str, set[int]] = {}  # extension name -> pattern indices

    def extension(self, attr: str, op: str, sources: tuple[str, ...], index: int) -> str:
        import regex
        from spacy.tokens import Token

        key = (attr, op, sources)
        name = self.names.get(key)
        if name is None:
            compiled = tuple(regex.compile(src) for src in sources)
            name = f"annotator_regex_{next(_names)}"
            getter = _regex_getter(_STRING_ATTRS[attr], compiled, op == "NOT_IN", name,
                                   self.clock)  # fmt: skip
            Token.set_extension(name, getter=getter)
            self.names[key] = name
        self.users.setdefault(name, set()).add(index)
        return name

    def token(self, spec: Any, index: int) -> Any:
        if not isinstance(spec, dict):
            return spec
        out: dict = {}
        added: list[str] = []
        for key, value in spec.items():
            attr = key.upper() if isinstance(key, str) else None
            if attr not in _STRING_ATTRS or not isinstance(value, dict):
                out[key] = value
                continue
            rest: dict = {}
            for op, arg in value.items():
                if not (isinstance(op, str) and op.upper() == "REGEX"):
                    rest[op] = arg
                elif isinstance(arg, str):
                    added.append(self.extension(attr, "SEARCH", (arg,), index))
                elif isinstance(arg, dict):
                    inner: dict = {}
                    for sub, items in arg.items():
                        kind = sub.upper() if isinstance(sub, str) else None
                        if (kind in ("IN", "NOT_IN") and isinstance(items, list)
                                and all(isinstance(x, str) for x in items)):  # fmt: skip
                            added.append(self.extension(attr, kind, tuple(items), index))
                        else:  # other operators inside REGEX never run a search
                            inner[sub] = items
                    if inner:
                        rest[op] = inner
                else:
                    rest[op] = arg
            if rest:
                out[key] = rest
        if added:
            underscore_key = next((k for k in out if k == "_"), "_")
            underscore = dict(out.get(underscore_key) or {})
            for name in added:
                underscore[name] = {"==": True}
            out[underscore_key] = underscore
        return out

    def entry(self, pattern: dict, index: int) -> dict:
        entry = {k: pattern[k] for k in ("label", "pattern", "id") if k in pattern}
        if isinstance(entry["pattern"], list):
            entry["pattern"] = [self.token(spec, index) for spec in entry["pattern"]]
        return entry


def _remove_extensions(names: list[str]) -> None:
    from spacy.tokens import Token

    for name in names:
        if Token.has_extension(name):
            Token.remove_extension(name)


def _ruler_entries(patterns: Iterable[dict]) -> list[dict]:
    keys = ("label", "pattern", "id")
    return [{k: p[k] for k in keys if k in p} for p in patterns]


class PatternMatcher:
    """Finds pattern matches with spaCy's EntityRuler on a blank pipeline of its own.

    ``budget``: seconds each regular expression may take on one text (see the module doc).
    Not thread-safe (the time budget is per instance): use one per thread.
    """

    def __init__(
        self,
        patterns: Iterable[dict],
        *,
        lang: str = "en",
        source_name: str = "<patterns>",
        budget: float = REGEX_BUDGET,
        piece_chars: int = PIECE_CHARS,
    ) -> None:
        import spacy

        self.patterns = list(patterns)
        self.source_name = source_name
        self.piece_chars = piece_chars
        self.skipped: Counter[int] = Counter()  # pattern index -> texts it was skipped on
        self._clock = _Clock(budget)
        self._rewriter = _Rewriter(self._clock)
        self.nlp: Language = spacy.blank(lang)
        try:
            self._entries = [self._rewriter.entry(p, i) for i, p in enumerate(self.patterns)]
        except Exception as exc:  # regex.error: a regular expression that does not compile
            self._locate_error(lang, source_name)
            raise PatternsError(f"{source_name}: {exc}") from exc
        finally:
            names = list(self._rewriter.users)
            weakref.finalize(self, _remove_extensions, names)
        ruler = self.nlp.add_pipe("entity_ruler")
        try:
            ruler.add_patterns(self._entries)
        except Exception:
            self._locate_error(lang, source_name)
            raise
        self._rulers: dict[frozenset[int], Any] = {frozenset(): ruler}
        self._piece_rulers: dict[frozenset[int], PieceRuler] = {}
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
                if isinstance(p["pattern"], list):
                    _Rewriter(_Clock(0.0)).entry(p, 0)
            except Exception as exc:
                line = p.get("_line", "?")
                raise PatternsError(f"{source_name}:{line}: spaCy rejects it: {exc}") from exc

    @classmethod
    def from_file(cls, path: str | Path, *, lang: str = "en", **kwargs) -> PatternMatcher:
        return cls(read_patterns(path), lang=lang, source_name=str(path), **kwargs)

    def __len__(self) -> int:
        return len(self.patterns)

    @property
    def budget(self) -> float:
        return self._clock.budget

    def _ruler(self, excluded: frozenset[int]):
        """An EntityRuler with every pattern but ``excluded`` (made once per set)."""
        ruler = self._rulers.get(excluded)
        if ruler is None:
            import spacy

            if len(self._rulers) > 32:  # each distinct set of skipped patterns: rare
                self._rulers = {frozenset(): self._rulers[frozenset()]}
                self._piece_rulers = {}
            nlp = spacy.blank(self.nlp.lang, vocab=self.nlp.vocab)
            ruler = nlp.add_pipe("entity_ruler")
            ruler.add_patterns([e for i, e in enumerate(self._entries) if i not in excluded])
            self._rulers[excluded] = ruler
        return ruler

    def _piece_ruler(self, excluded: frozenset[int]) -> PieceRuler:
        found = self._piece_rulers.get(excluded)
        if found is None:
            found = self._piece_rulers[excluded] = PieceRuler(self._ruler(excluded))
        return found

    def _out_of_time(self) -> set[int]:
        """Patterns using a regular expression that ran out of time on this text."""
        users = self._rewriter.users
        return {i for name in self._clock.failed for i in users.get(name, ())}

    @staticmethod
    def spans_of(doc: Doc) -> list[Span]:
        """The ruler's matches on a doc made by :meth:`doc`."""
        return [Span(e.start_char, e.end_char, e.label_, SOURCE) for e in doc.ents]

    def doc(self, text: str) -> Doc:
        """Tokenize ``text`` with the blank tokenizer into one Doc (of the whole text, even
        a long one) and run the ruler on it; patterns out of time are skipped (see the
        module doc). :meth:`spans` finds the same without a Doc of the whole text."""
        doc = make_doc(self.nlp, text, self.piece_chars)
        if self._empty:
            return doc
        self._clock.start()
        excluded: frozenset[int] = frozenset()
        while True:
            if len(excluded) == len(self.patterns):
                doc.set_ents([], default="missing")
                break
            self._ruler(excluded)(doc)
            late = self._out_of_time() - excluded
            if not late:
                break
            excluded |= late
            doc.set_ents([], default="missing")
        for i in excluded:
            self.skipped[i] += 1
        return doc

    def spans(self, text: str, pieces: Iterable[tuple[int, Doc]] | None = None) -> list[Span]:
        """The matches in ``text`` (those of :meth:`doc`), found a piece at a time.

        ``pieces``: the text's ``(offset, Doc)`` pieces as :func:`~.pieces.piece_docs` makes
        them with :attr:`nlp` (made here when None); they are all read, once, whatever is
        found. A pattern that runs out of time is left out and the text matched again, its
        pieces made afresh."""
        if pieces is None:
            pieces = piece_docs(self.nlp, text, self.piece_chars)
        if self._empty:
            for _ in pieces:
                pass
            return []
        self._clock.start()
        excluded: frozenset[int] = frozenset()
        while True:
            if len(excluded) == len(self.patterns):
                found = []
                break
            found = self._piece_ruler(excluded).find(pieces)
            late = self._out_of_time() - excluded
            if not late:
                break
            excluded |= late
            pieces = piece_docs(self.nlp, text, self.piece_chars)
        for i in excluded:
            self.skipped[i] += 1
        return [Span(start, end, label, SOURCE) for start, end, label in found]

    def __call__(self, text: str) -> list[Span]:
        return self.spans(text)

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Span]]:
        for text in texts:
            yield [] if self._empty else self(text)

    def warnings(self) -> list[str]:
        """One message per pattern skipped on some text: its line, and on how many texts."""
        out = []
        for i, n in sorted(self.skipped.items()):
            p = self.patterns[i]
            out.append(
                f"{self.source_name}:{p.get('_line', '?')}: the pattern for {p['label']} took "
                f"longer than {self.budget:g} s (a REGEX that backtracks) on {n} "
                f"article{'s' if n != 1 else ''}; it was skipped there"
            )
        return out


def load_patterns(path: str | Path, *, lang: str = "en") -> PatternMatcher:
    """Read, validate and compile a patterns file."""
    return PatternMatcher.from_file(path, lang=lang)
