"""PySide6 widgets, item models and background tasks. Workers never touch widgets."""
