"""The PySide6 window: a thin layer over annotator.core."""
