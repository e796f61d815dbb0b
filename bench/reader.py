"""Benchmark: the reader against gpg --decrypt; the code is in reader_bench.py.

This file's name would shadow the `reader` package for mypy and for imports, so it only runs
reader_bench.py (same options: see its docstring or --help).
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("reader_bench.py")), run_name="__main__")
