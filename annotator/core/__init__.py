"""The Qt-free core of Annotator: project file, import, suggestions, export.

Nothing under this package may import PySide6 (a test enforces it).
"""
