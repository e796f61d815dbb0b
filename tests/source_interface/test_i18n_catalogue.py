"""The French catalogue: complete, current, compiled, and holding every message a source can see.

The core raises SealdropErrors in English and the views show them through `_(str(exc))`, so
those messages must be in the catalogue too; source_interface/babel.cfg extracts them by naming
the error classes as keywords, and the tests here check that nothing slips past it.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from sealdrop.errors import ConfigError, SealdropError
from tests.source_interface.actions import SourceActions, flashes_on, html_lang, page

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "source_interface"
TRANSLATIONS = PACKAGE / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FRENCH_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"

# The newsroom's use cases: a source never sees what they raise (babel.cfg skips them too).
NEWSROOM_SERVICES = {
    "journalists",
    "journalist_auth",
    "audit",
    "conversations",
    "bundles",
    "items",
    "downloads",
    "client_replies",
    "versions",
    "enrolment",
    "records",
    "api_events",
}
# The operator's use cases: their messages reach only the command line.
OPERATOR_SERVICES = {"backup", "backup_format", "restore", "restore_drill"}
# Where the core raises what a source can be shown, and which error classes count there:
# gpg.py's KeyImportErrors only reach the administrator's command line.
CORE_RAISE_SITES: dict[str, frozenset[str] | None] = {
    **{
        f"sealdrop.services.{path.stem}": None
        for path in sorted((ROOT / "sealdrop" / "services").glob("*.py"))
        if path.stem not in NEWSROOM_SERVICES | OPERATOR_SERVICES
    },
    # SettingsInvalid reaches only admins; MessageTooShort's text is never shown: the source
    # view words that refusal itself, with the minimum, in the source's language.
    "sealdrop.services.settings": frozenset(),
    "sealdrop.domain.codenames": None,
    "sealdrop.crypto.gpg": frozenset({"EncryptionFailed", "DecryptionFailed"}),
    "sealdrop.crypto.stream": frozenset({"EncryptionFailed"}),
}


def load_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def translated(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


# -- the catalogue -------------------------------------------------------------------------------


def test_french_catalogue_is_complete_and_not_fuzzy() -> None:
    catalog = load_po(FRENCH_PO)
    assert catalog.locale_identifier == "fr"
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    # Babel's checkers: %(name)s placeholders kept, no stray ones added.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_french_catalogue_matches_the_template() -> None:
    template = {m.id for m in load_po(TEMPLATE) if m.id}
    french = {m.id for m in load_po(FRENCH_PO) if m.id}
    assert french == template, "run `make translations` and translate what is new"


def extracted_messages() -> set[str]:
    """What `make translations` would extract now, read with the same babel.cfg."""
    with (PACKAGE / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(PACKAGE / "babel.cfg"))  # type: ignore[no-untyped-call]

    def in_packages(path: str) -> bool:  # babel.cfg's patterns name only these two
        return Path(path).relative_to(ROOT).parts[0] in {"source_interface", "sealdrop"}

    found = extract_from_dir(str(ROOT), method_map, options_map, directory_filter=in_packages)
    return {m if isinstance(m, str) else m[0] for _file, _line, m, _comments, _ctx in found}


def test_template_is_up_to_date_with_the_sources() -> None:
    template = {str(m.id) for m in load_po(TEMPLATE) if m.id}
    assert extracted_messages() == template, "run `make translations` and translate what is new"


def test_compiled_catalogue_matches_the_po() -> None:
    with FRENCH_MO.open("rb") as f:
        compiled = read_mo(f)
    assert translated(compiled) == translated(load_po(FRENCH_PO)), "run `make translations`"


# -- the core's messages -------------------------------------------------------------------------


def core_raise_sites() -> list[tuple[str, int, type[SealdropError], ast.expr | None]]:
    """Every `raise SomeSealdropError(message, ...)` where a source can be shown the message."""
    sites: list[tuple[str, int, type[SealdropError], ast.expr | None]] = []
    for module_name, classes in CORE_RAISE_SITES.items():
        module = importlib.import_module(module_name)
        assert module.__file__
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
            ):
                continue
            raised = getattr(module, node.exc.func.id, None)
            if not (isinstance(raised, type) and issubclass(raised, SealdropError)):
                continue
            if classes is not None and raised.__name__ not in classes:
                continue
            message = node.exc.args[0] if node.exc.args else None
            sites.append((f"{module_name}:{node.lineno}", node.lineno, raised, message))
    return sites


def test_newsroom_services_are_kept_out_of_the_source_catalogue() -> None:
    config = (PACKAGE / "babel.cfg").read_text(encoding="utf-8")
    for stem in NEWSROOM_SERVICES | OPERATOR_SERVICES:
        ignored = f"[ignore: sealdrop/services/{stem}.py]" in config or any(
            stem.startswith(prefix) and f"[ignore: sealdrop/services/{prefix}*.py]" in config
            for prefix in ("journalist", "backup", "restore")
        )
        assert ignored, f"babel.cfg extracts sealdrop/services/{stem}.py"


def test_core_raise_sites_are_found() -> None:
    classes = {raised.__name__ for _where, _line, raised, _message in core_raise_sites()}
    # A sample the scan must see, so a broken scan cannot pass the test below vacuously.
    assert {"CodenameMalformed", "CodenameUnknown", "EmptySubmission", "SubmissionsClosed"} <= (
        classes
    )


def test_every_core_message_a_source_can_see_is_translated() -> None:
    french = translated(load_po(FRENCH_PO))
    template = {str(m.id) for m in load_po(TEMPLATE) if m.id}
    missing: list[str] = []
    unliteral: list[str] = []
    for where, _line, raised, message in core_raise_sites():
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            if message.value not in template or message.value not in french:
                missing.append(f"{where}: {message.value!r}")
        elif not issubclass(raised, ConfigError):
            # `_(str(exc))` cannot translate a computed message; only a ConfigError, which
            # stops the server before any source arrives, may carry one.
            unliteral.append(f"{where}: {raised.__name__}")
    assert missing == [], "add the error class to the keywords in source_interface/babel.cfg"
    assert unliteral == [], "a message a source can see must be a literal string"


def test_core_error_is_shown_in_french(client: FlaskClient, source: SourceActions) -> None:
    client.get("/?l=fr")
    response = source.login("only three words")
    assert response.status_code == 400
    assert html_lang(response) == "fr"
    assert "Un nom de code compte exactement sept mots" in page(response)


def test_a_stale_confirmation_is_explained_in_french(
    client: FlaskClient, source: SourceActions
) -> None:
    client.get("/?l=fr")
    token = source.csrf("/login")  # no codename in this session: /create sends it to get one
    response = client.post(
        "/create", data={"saved": "y", "csrf_token": token}, follow_redirects=True
    )
    assert html_lang(response) == "fr"
    assert flashes_on(response) == ["Votre page était trop ancienne. Voici un nouveau nom de code."]
