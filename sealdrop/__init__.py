"""Sealdrop: an anonymous submission system whose server cannot read what it receives."""

__version__ = "0.1.0"
