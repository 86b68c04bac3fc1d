"""Long texts in pieces: spaCy refuses texts over ``nlp.max_length`` (1,000,000 characters,
error E088), and a model needs memory in proportion to the text.

:func:`iter_pieces` cuts a text into pieces of at most ``limit`` characters, each cut placed
just before the first non-space character after a run of whitespace that holds a newline
(a paragraph boundary). Such a run is always a token of its own for spaCy's tokenizer, so
tokenizing the pieces one by one gives exactly the tokens of the whole text (checked on
random texts by the tests). A piece with no newline to cut at is cut after other whitespace
(after a run other than one plain space, which is just as safe; failing that, after a single
space, where a tokenizer exception such as ``:)`` may in rare cases split differently), and
a run of ``limit`` characters without any whitespace is cut where it must be. With
``paragraphs=True`` only paragraph cuts are made (a longer paragraph stays whole), so the
pieces tokenize exactly like the whole text, always.

Memory stays bounded by a piece, never by the text: :func:`piece_docs` tokenizes one piece
at a time, and callers keep what they need of each piece (entities, matches, token
offsets) and let its ``Doc`` go. :func:`make_doc` still tokenizes a text of any length into
one ``Doc`` (pieces joined with ``Doc.from_docs``): the reference the tests compare with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PIECE_CHARS = 100_000  # the longest piece the model and the tokenizer are given

_WHITESPACE_RUN = re.compile(r"\s+(?=\S)")


def _cut(text: str, start: int, limit: int) -> int:
    """Where the piece that starts at ``start`` ends (``len(text) - start > limit``)."""
    end = start + limit
    # 1. After a whitespace run holding a newline: the last newline before `end` whose run
    #    of whitespace ends (at a non-space character) no later than `end`.
    i = text.rfind("\n", start, end)
    while i >= start:
        j = i + 1
        while j < end and text[j].isspace():
            j += 1
        if j < end or (j == end and not text[j].isspace()):
            if j > start:
                return j
        # This run reaches past `end`: look for a newline before the run starts.
        k = i
        while k > start and text[k - 1].isspace():
            k -= 1
        i = text.rfind("\n", start, k)
    # 2. After other whitespace: a run other than one space, else a single space.
    window = text[start : end + 1]
    best_any = best_safe = None
    for m in _WHITESPACE_RUN.finditer(window):
        if m.end() > limit or m.end() == 0:
            continue
        best_any = m.end()
        if m.group() != " ":
            best_safe = m.end()
    cut = best_safe or best_any
    if cut:
        return start + cut
    return end  # no whitespace at all: a hard cut


def _paragraph_cut(text: str, start: int, limit: int) -> int:
    """Where a piece that may be cut at paragraph boundaries only ends: the last such cut
    within ``limit`` (rule 1 of :func:`_cut`), else the first one after it, else the end."""
    cut = _cut(text, start, limit)
    if _after_newline_run(text, cut):
        return cut
    i = text.find("\n", start + limit)
    if i == -1:
        return len(text)
    j = i + 1
    while j < len(text) and text[j].isspace():
        j += 1
    return j  # len(text) when only whitespace follows: no cut


def _after_newline_run(text: str, cut: int) -> bool:
    """Whether ``cut`` follows a whitespace run holding a newline (a paragraph cut)."""
    k = cut
    while k > 0 and text[k - 1].isspace():
        k -= 1
        if text[k] == "\n":
            return True
    return False


def iter_pieces(
    text: str, limit: int = PIECE_CHARS, *, paragraphs: bool = False
) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text`` in order, one at a time; one pair for a
    short text. ``paragraphs``: cut at paragraph boundaries only (see the module doc)."""
    if len(text) <= limit:
        yield 0, text
        return
    if limit < 1:
        raise ValueError("the piece limit must be at least 1")
    start = 0
    while len(text) - start > limit:
        cut = _paragraph_cut(text, start, limit) if paragraphs else _cut(text, start, limit)
        yield start, text[start:cut]
        start = cut
    if start < len(text):
        yield start, text[start:]


def split_text(text: str, limit: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text`` in order; one pair for a short text."""
    return list(iter_pieces(text, limit))


def piece_docs(nlp: Language, text: str, limit: int = PIECE_CHARS) -> Iterator[tuple[int, Doc]]:
    """``(offset, nlp.make_doc(piece))`` for each piece of ``text``, made one at a time: their
    tokens are those of :func:`make_doc` (the same cuts), without a Doc of the whole text."""
    for offset, piece in iter_pieces(text, min(limit, nlp.max_length)):
        yield offset, nlp.make_doc(piece)


def make_doc(nlp: Language, text: str, limit: int = PIECE_CHARS) -> Doc:
    """``nlp.make_doc(text)`` for a text of any length (tokenized in pieces when long)."""
    limit = min(limit, nlp.max_length)
    if len(text) <= limit:
        return nlp.make_doc(text)
    from spacy.tokens import Doc

    docs = [nlp.make_doc(piece) for _, piece in split_text(text, limit)]
    return Doc.from_docs(docs, ensure_whitespace=False)


# --------------------------------------------------------------------------- rules in pieces


def _op(spec: dict) -> str | None:
    return next((v for k, v in spec.items() if isinstance(k, str) and k.upper() == "OP"), None)


_MIN_MAX = re.compile(r"\{\s*(\d*)\s*(,?)\s*(\d*)\s*\}")


def _most_tokens(pattern: list) -> int | None:
    """The most tokens a token pattern can match; None when it has no bound (``*``, ``+``,
    ``{n,}``, or an operator this does not know)."""
    total = 0
    for spec in pattern:
        op = _op(spec) if isinstance(spec, dict) else None
        if op is None or op in ("1", "!", "?"):  # "!" consumes a token that does not match
            total += 1
            continue
        m = _MIN_MAX.fullmatch(op) if isinstance(op, str) else None
        if m is None or (m.group(2) and not m.group(3)):
            return None
        total += int(m.group(3) if m.group(2) else m.group(1) or 0)
    return total


class PieceRuler:
    """What a spaCy ``EntityRuler`` puts in ``doc.ents`` on a whole text, found one piece
    at a time (no Doc of the whole text).

    The ruler's matcher and phrase matcher run on each piece. A match could cross a cut (a
    pattern may match the newline run a cut follows, e.g. ``{"IS_SPACE": true}``, or the
    plain space of a cut made without a newline), so at each cut this checks whether one
    does: only a token some pattern token could consume can be in a match (the ruler's
    token specs, run one by one as one-token patterns, ``!`` reversed, and the phrase
    patterns' token texts), and a match holds at most :attr:`longest` tokens; the matchers
    then run on the few tokens around the cut that could be in one. Pieces with a match
    across their cut are matched together, as one Doc (``Doc.from_docs``, as before). The
    matches of the whole text, in whole-text token positions and in the order the matchers
    give them on one Doc, then go through the ruler's own choice (``EntityRuler.match`` and
    ``set_annotations``: longest first, then the earliest, no overlaps; equal spans in the
    order of the same ``set``), so the entities are exactly those of the ruler on the Doc
    :func:`make_doc` makes of the whole text (the tests compare the two).

    A match across a cut that some pattern may make at every cut (a wildcard run such as
    ``[{"LOWER": "a"}, {"OP": "*"}, {"LOWER": "b"}]``) keeps all the pieces together:
    memory is then that of the whole text, as before.
    """

    def __init__(self, ruler) -> None:
        import json

        from spacy.matcher import Matcher

        self.ruler = ruler
        self.vocab = ruler.nlp.vocab
        lengths: list[int | None] = []
        specs: dict[str, tuple[bool, dict]] = {}
        for patterns in ruler.token_patterns.values():
            for pattern in patterns:
                lengths.append(_most_tokens(pattern))
                for spec in pattern:
                    bare = {k: v for k, v in spec.items()
                            if not (isinstance(k, str) and k.upper() == "OP")}  # fmt: skip
                    negated = _op(spec) == "!"
                    key = json.dumps([negated, bare], sort_keys=True, default=repr)
                    specs.setdefault(key, (negated, bare))
        phrases = [doc for docs in ruler.phrase_patterns.values() for doc in docs]
        lengths.extend(len(doc) for doc in phrases)
        self.longest: int | None = None if None in lengths else max(lengths, default=0)
        attr = ruler.phrase_matcher_attr
        self.orths: set[int] | None = set()
        if phrases and (attr is None or str(attr).upper() in ("ORTH", "TEXT")):
            self.orths = {t.orth for doc in phrases for t in doc}
        elif phrases:  # phrases matched on another attribute: any token may be in one
            self.orths = None
        self.specs = Matcher(self.vocab, validate=False,
                             fuzzy_compare=ruler.matcher_fuzzy_compare)  # as the ruler's
        self.negated: set[int] = set()
        for i, (negated, bare) in enumerate(specs.values()):
            name = f"annotator_spec_{i}"
            self.specs.add(name, [[bare]])
            if negated:
                self.negated.add(self.vocab.strings[name])

    # ---------------------------------------------------------------- cuts

    def _consumable(self, doc: Doc, a: int, b: int) -> list[bool]:
        """For tokens a..b-1 of `doc`: could some pattern token consume it?"""
        if self.orths is None:
            return [True] * (b - a)
        flags = [t.orth in self.orths for t in doc[a:b]]
        if len(self.specs) and b > a:
            hits: dict[int, set[int]] = {}
            for key, s, _ in self.specs(doc[a:b]):
                hits.setdefault(key, set()).add(s)
            for key, found in hits.items():
                if key not in self.negated:
                    for s in found:
                        flags[s] = True
            for key in self.negated:
                found = hits.get(key, set())
                flags = [f or i not in found for i, f in enumerate(flags)]
        return flags

    def _run(self, doc: Doc, backward: bool, cap: int | None) -> int:
        """How many consumable tokens `doc` ends with (backward) or starts with, at most
        `cap` (None: no limit)."""
        n, size, total = 0, 64, len(doc)
        while n < total and (cap is None or n < cap):
            take = min(size, total - n) if cap is None else min(size, total - n, cap - n)
            a, b = (total - n - take, total - n) if backward else (n, n + take)
            flags = self._consumable(doc, a, b)
            if backward:
                flags.reverse()
            k = next((i for i, f in enumerate(flags) if not f), take)
            n += k
            if k < take:
                break
            size *= 4
        return n

    def crosses(self, group: list[Doc], right: Doc) -> bool:
        """Whether a match crosses the cut between the pieces in `group` (matched together)
        and the next piece, `right`. True also when one might run on past `right`."""
        from spacy.tokens import Doc

        if self.longest is not None and self.longest < 2:
            return False
        cap = None if self.longest is None else self.longest - 1
        n_right = self._run(right, False, cap)
        if n_right == 0:
            return False
        if n_right == len(right) and (cap is None or n_right < cap):
            return True  # a match could go on into the piece after `right`
        n_left = 0
        for doc in reversed(group):
            k = self._run(doc, True, None if cap is None else cap - n_left)
            n_left += k
            if k < len(doc) or (cap is not None and n_left >= cap):
                break
        if n_left == 0:
            return False
        # The tokens around the cut, with one token more on the left when there is one: the
        # first token of a Doc starts a sentence, which the run's first token may not.
        want, parts = n_left + 1, []
        for doc in reversed(group):
            if want <= 0:
                break
            parts.append(doc if want >= len(doc) else doc[len(doc) - want :].as_doc())
            want -= len(doc)
        parts.reverse()
        seam = Doc.from_docs([*parts, right[:n_right].as_doc()], ensure_whitespace=False)
        cut = len(seam) - n_right
        found = [*self.ruler.matcher(seam), *self.ruler.phrase_matcher(seam)]
        return any(s < cut < e for _, s, e in found)

    # ---------------------------------------------------------------- matching

    def find(self, pieces: Iterable[tuple[int, Doc]]) -> list[tuple[int, int, str]]:
        """``(start_char, end_char, label)`` of the ruler's entities on the whole text whose
        pieces are ``(offset, Doc)``, sorted. Every piece is read, one at a time."""
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="\\[W036")  # as EntityRuler.match
            return self._find(pieces)

    def _find(self, pieces: Iterable[tuple[int, Doc]]) -> list[tuple[int, int, str]]:
        from spacy.tokens import Doc

        token_hits: list[tuple[int, int, int]] = []
        phrase_hits: list[tuple[int, int, int]] = []
        chars: dict[tuple[int, int], tuple[int, int]] = {}
        group: list[tuple[int, Doc]] = []
        before = 0  # tokens of the text before the group

        def flush() -> None:
            nonlocal before
            offset = group[0][0]
            doc = (group[0][1] if len(group) == 1
                   else Doc.from_docs([d for _, d in group], ensure_whitespace=False))  # fmt: skip
            for hits, found in ((token_hits, self.ruler.matcher(doc)),
                                (phrase_hits, self.ruler.phrase_matcher(doc))):  # fmt: skip
                for key, s, e in found:
                    hits.append((key, before + s, before + e))
                    if s != e:
                        span = doc[s:e]
                        chars[before + s, before + e] = (offset + span.start_char,
                                                         offset + span.end_char)  # fmt: skip
            before += len(doc)
            group.clear()

        for offset, doc in pieces:
            if group and not self.crosses([d for _, d in group], doc):
                flush()
            group.append((offset, doc))
        if group:
            flush()
        return self._choose(token_hits + phrase_hits, chars)

    def _choose(self, matches, chars) -> list[tuple[int, int, str]]:
        """``EntityRuler.match`` + ``set_annotations`` on a Doc without entities."""
        final = set([(key, s, e) for key, s, e in matches if s != e])  # noqa: C403 (as spaCy)
        ordered = sorted(final, key=lambda m: (m[2] - m[1], -m[1]), reverse=True)
        ent_ids = self.ruler._ent_ids
        seen: set[int] = set()
        out = []
        for key, s, e in ordered:
            if s not in seen and e - 1 not in seen:
                label = ent_ids[key][0] if key in ent_ids else self.vocab.strings[key]
                out.append((*chars[s, e], label))
                seen.update(range(s, e))
        out.sort()
        return out
