"""URL rules whose generated URL builders are shared by every app this process builds.

Both web apps build their URL rules from this class. Werkzeug writes two small Python functions
per URL rule (to build its URLs) through `ast` and `compile`: about 0.4 ms a rule, so some 20 ms
for each journalist app (56 rules) and 5 ms for each source app (14), most of what building a
source app costs. A server process builds one app, so sharing changes nothing there; the tests
build hundreds. A builder depends only on the rule's text, its parts and the names of its
defaults (it reads the converters through the rule it is bound to when called), so rules with the
same of those get the same function, bound to each. A rule with a default for one of its own
variables bakes that value in: it is never shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from werkzeug.routing import Rule

BuilderKey = tuple[str, tuple[tuple[bool, str], ...], tuple[str, ...], bool]


class SharedBuilderRule(Rule):
    """A Rule that compiles its URL builders once per process (see the module's text)."""

    _builders: ClassVar[dict[BuilderKey, Callable[..., tuple[str, str]]]] = {}

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        trace = tuple(self._trace)
        if any(dynamic and name in defaults for dynamic, name in trace):
            return super()._compile_builder(append_unknown)
        key: BuilderKey = (self.rule, trace, tuple(str(name) for name in defaults), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = super()._compile_builder(append_unknown)
            self._builders[key] = builder
        return builder


def shared_builder_count() -> int:
    """How many builders this process has compiled for SharedBuilderRule (for tests)."""
    return len(SharedBuilderRule._builders)
