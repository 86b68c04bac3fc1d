"""Tests on a real X server (Qt's xcb platform plugin). tests/test_x11.py runs them in a
pytest of their own with pytest-xvfb: `QT_QPA_PLATFORM=xcb pytest tests/x11 -p xvfb`."""
