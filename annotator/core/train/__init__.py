"""Training a spaCy NER model on the project's accepted articles, and the models it keeps.

- :mod:`.data`      the project's accepted articles as spaCy Examples (its stable dev split),
                    and rehearsal examples that keep a base model's other labels alive
- :mod:`.scoring`   precision, recall and F per label, the same way for every model
- :mod:`.trainer`   spaCy's training loop (``train_while_improving``) with a time budget
- :mod:`.registry`  trained models beside the project file, recorded in it, activated
"""
