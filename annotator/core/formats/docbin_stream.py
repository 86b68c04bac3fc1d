"""A `.spacy` (DocBin) file written as docs come, in flat memory.

spaCy's `DocBin` keeps every doc's token array until `to_bytes()`, which then stacks them,
copies them to bytes, packs and compresses them: four copies at once, ~46 KB an article of
100 words (4.6 GB for an export of 100k articles). Here each doc's arrays go to scratch
files as they are added, and the file is written by streaming them through msgpack's
framing and zlib: the same bytes `DocBin.to_bytes()` would hold (a msgpack map with the
same keys, zlib-compressed), read back by `DocBin().from_disk`. What stays in memory per
doc is its length, flags and span groups (tens of bytes), plus the set of strings.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import zlib
from array import array
from pathlib import Path

CHUNK = 1 << 20


class StreamingDocBin:
    def __init__(self, scratch: Path):
        from spacy.attrs import SPACY
        from spacy.tokens import DocBin

        template = DocBin(store_user_data=False)
        self.attrs: list[int] = list(template.attrs)
        self.version: str = template.version
        self._spacy = SPACY
        self._tokens = tempfile.TemporaryFile(dir=scratch)
        self._spaces = tempfile.TemporaryFile(dir=scratch)
        self.lengths = array("i")
        self.strings: set[str] = set()
        self.cats: list[dict] = []
        self.flags: list[dict] = []
        self.span_groups: list[bytes] = []

    def add(self, doc) -> None:
        """As DocBin.add (without user data)."""
        import numpy

        tokens = doc.to_array(self.attrs)
        if len(tokens.shape) == 1:
            tokens = tokens.reshape((tokens.shape[0], 1))
        self._tokens.write(numpy.ascontiguousarray(tokens).tobytes("C"))
        self._spaces.write(numpy.asarray(doc.to_array(self._spacy), dtype=bool).tobytes("C"))
        self.lengths.append(tokens.shape[0])
        self.flags.append({"has_unknown_spaces": doc.has_unknown_spaces})
        add = self.strings.add
        for token in doc:
            add(token.text), add(token.tag_), add(token.lemma_), add(token.norm_)
            add(str(token.morph)), add(token.dep_), add(token.ent_type_)
            add(token.ent_kb_id_), add(token.ent_id_)
        self.cats.append(doc.cats)
        self.span_groups.append(doc.spans.to_bytes())
        for group in doc.spans.values():
            for span in group:
                add(span.label_)

    def write(self, path: Path) -> str:
        """Write the file (fsynced); returns its sha256 (hex). Scratch files are closed."""
        import srsly

        digest = hashlib.sha256()
        squeeze = zlib.compressobj()
        with open(path, "wb") as out:

            def emit(data: bytes) -> None:
                packed = squeeze.compress(data)
                if packed:
                    digest.update(packed)
                    out.write(packed)

            def pack(value) -> None:
                emit(srsly.msgpack_dumps(value))

            def binary(fh) -> None:
                size = fh.tell()
                emit(b"\xc6" + struct.pack(">I", size))  # msgpack bin 32
                fh.seek(0)
                while block := fh.read(CHUNK):
                    emit(block)

            emit(b"\x89")  # a map of 9 entries, in DocBin.to_bytes' order
            pack("version"), pack(self.version)
            pack("attrs"), pack(self.attrs)
            pack("tokens"), binary(self._tokens)
            pack("spaces"), binary(self._spaces)
            pack("lengths"), pack(self.lengths.tobytes())
            pack("strings"), pack(sorted(self.strings))
            pack("cats"), pack(self.cats)
            pack("flags"), pack(self.flags)
            pack("span_groups"), pack(self.span_groups)
            tail = squeeze.flush()
            digest.update(tail)
            out.write(tail)
            out.flush()
            os.fsync(out.fileno())
        self.close()
        return digest.hexdigest()

    def close(self) -> None:
        self._tokens.close()
        self._spaces.close()
