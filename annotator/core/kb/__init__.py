"""The project's knowledge base for entity linking: the keys aliases are found by
(`keys`), reading CSV and JSONL files (`files`, `loading`), candidate entities for a
mention (`lookup`) and a spaCy `InMemoryLookupKB` for training `entity_linker`
(`spacy_kb`). Storage is `store/kb.py` (`project.kb`). Nothing here imports spaCy but
`spacy_kb`."""
