"""Compiled Jinja templates kept in memory, for every web app a process builds.

A server process builds one app, so this changes nothing there; the tests build hundreds, and
each would otherwise compile every template it renders again. Jinja keys each entry by the
template's name and file and checks it against the template's source before using it, so the
two web apps' templates never mix.
"""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class CompiledTemplates(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()
