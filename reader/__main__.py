"""`python -m reader`: the same as the `sealdrop-reader` command."""

from reader.cli import run

raise SystemExit(run())
