"""Sealdrop: an anonymous submission system whose server cannot read what it receives."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One version number, in pyproject.toml; the installed metadata carries it here.
    __version__ = version("sealdrop")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
