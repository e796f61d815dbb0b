"""The reader's desktop window (PySide6): sources, conversations, metadata, import and export."""
