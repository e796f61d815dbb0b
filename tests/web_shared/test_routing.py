"""Shared URL builders: a second app of either kind compiles none, and every URL comes out as
Werkzeug's own."""

from __future__ import annotations

from typing import Any, Protocol

import pytest
from flask import Flask
from werkzeug.routing import Map, Rule

import journalist_interface
import source_interface
from sealdrop.config import Config
from sealdrop.runtime.instance import Instance
from tests.harness import ConfigFactory, ReaderKeys
from web_shared.routing import SharedBuilderRule, shared_builder_count


class AppFactory(Protocol):
    def __call__(self, config: Config, *, instance: Instance | None = None) -> Flask: ...


def arguments_for(rule: Rule) -> dict[str, Any]:
    """A value for each variable of `rule` that its converter accepts."""
    return {name: 7 if "int" in repr(rule._converters[name]) else "x" for name in rule.arguments}


@pytest.mark.parametrize(
    ("create_app", "at_least"),
    [(source_interface.create_app, 14), (journalist_interface.create_app, 40)],
    ids=["source", "journalist"],
)
def test_a_second_app_compiles_no_builder_and_builds_the_same_urls(
    create_app: AppFactory, at_least: int, make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    with make_config.instance(submission_key=reader_keys.public_key) as opened:
        first = create_app(opened.config, instance=opened)
        before = shared_builder_count()
        second = create_app(opened.config, instance=opened)
        assert shared_builder_count() == before
        for mine, earlier in zip(
            second.url_map.iter_rules(), first.url_map.iter_rules(), strict=True
        ):
            assert mine._build.__func__ is earlier._build.__func__  # type: ignore[attr-defined]
        plain = Map(
            [
                Rule(r.rule, endpoint=r.endpoint, defaults=r.defaults)
                for r in second.url_map.iter_rules()
            ]
        )
        built = 0
        for rule in second.url_map.iter_rules():
            assert isinstance(rule, SharedBuilderRule)
            values = {**arguments_for(rule), "page": 2}
            with second.test_request_context():
                ours = second.url_map.bind("localhost").build(rule.endpoint, values)
            theirs = plain.bind("localhost").build(rule.endpoint, values)
            assert ours == theirs
            built += 1
        assert built >= at_least


@pytest.mark.parametrize(
    ("first", "other", "values", "expected"),
    [
        ("/a/<int:n>", "/c/<int:n>", {"n": 3}, ("/a/3", "/c/3")),
        ("/b/<name>", "/c/<name>", {"name": "y"}, ("/b/y", "/c/y")),
    ],
)
def test_rules_that_differ_get_builders_of_their_own(
    first: str, other: str, values: dict[str, Any], expected: tuple[str, str]
) -> None:
    url_map = Map(
        [SharedBuilderRule(first, endpoint="first"), SharedBuilderRule(other, endpoint="other")]
    )
    adapter = url_map.bind("localhost")
    assert (adapter.build("first", values), adapter.build("other", values)) == expected
    assert adapter.build("first", {**values, "q": "1"}) == f"{expected[0]}?q=1"


def test_a_default_for_a_variable_is_never_shared() -> None:
    url_map = Map(
        [
            SharedBuilderRule("/p/<int:page>", endpoint="list", defaults={"page": 1}),
            SharedBuilderRule("/p/<int:page>", endpoint="other", defaults={"page": 2}),
        ]
    )
    adapter = url_map.bind("localhost")
    assert adapter.build("list", {"page": 1}) == "/p/1"
    assert adapter.build("other", {"page": 2}) == "/p/2"
