"""Terms from word vectors, as Prodigy's `terms.teach` grows a word list from seeds.

From a label's seeds (its accepted mentions, its terms, its pattern rules' phrases, seed
words given), `TermSession` proposes similar words and phrases one at a time
(`candidates.py`, vectors from `vectors.py`); the annotator accepts or rejects each, and
the project keeps the decision (`Project.decide_terms`, store/terms.py). Accepted terms
are suggested at once wherever they occur, as pattern rules are (`matching.py`).
"""

from __future__ import annotations

from .candidates import Candidate, TermSession, make_session
from .matching import TermMatcher, term_spans, terms_signature
from .vectors import NoVectorsError, load_vectors

__all__ = ["Candidate", "NoVectorsError", "TermMatcher", "TermSession", "load_vectors",
           "make_session", "term_spans", "terms_signature"]  # fmt: skip
