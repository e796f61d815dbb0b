"""The source interface in French: choosing the language, and a catalogue that is complete.

The core raises SealdropErrors in English and the views show them through `_(str(exc))`, so
those messages must be in the catalogue too; source_interface/babel.cfg extracts them by naming
the error classes as keywords, and the last tests here check that nothing slips past it.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sealdrop.errors import ConfigError, SealdropError
from tests.source_interface.actions import SourceActions

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "source_interface"
TRANSLATIONS = PACKAGE / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FRENCH_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"

# Where the core raises what a source can be shown, and which error classes count there:
# gpg.py's KeyImportErrors only reach the administrator's command line.
CORE_RAISE_SITES: dict[str, frozenset[str] | None] = {
    **{
        f"sealdrop.services.{path.stem}": None
        for path in sorted((ROOT / "sealdrop" / "services").glob("*.py"))
    },
    "sealdrop.codenames": None,
    "sealdrop.crypto.gpg": frozenset({"EncryptionFailed", "DecryptionFailed"}),
}

CHOOSER_LINK = re.compile(r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+">([^<]+)</a>')
CURRENT_LANGUAGE = re.compile(r'<strong aria-current="true">([^<]+)</strong>')


def page(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def html_lang(response: TestResponse) -> str:
    match = re.search(r'<html lang="([^"]+)">', page(response))
    assert match, "the page has no <html lang>"
    return match.group(1)


def chooser_links(response: TestResponse) -> dict[str, str]:
    """The language chooser's links on a page, as {language code: href}."""
    return {code: href for href, code, _name in CHOOSER_LINK.findall(page(response))}


def load_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def translated(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


# -- choosing the language -----------------------------------------------------------------------


def test_landing_page_defaults_to_english(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert "First time here?" in page(response)


def test_link_shows_the_landing_page_in_french(client: FlaskClient) -> None:
    response = client.get("/?l=fr")
    assert response.status_code == 200
    assert html_lang(response) == "fr"
    text = page(response)
    assert "Première visite\u00a0?" in text
    assert "Obtenir un nom de code" in text
    assert "Propulsé par Sealdrop" in text
    assert "First time here?" not in text
    assert CURRENT_LANGUAGE.findall(text) == ["français"]


def test_choice_persists_across_pages(client: FlaskClient) -> None:
    client.get("/?l=fr")
    login = client.get("/login")
    assert html_lang(login) == "fr"
    assert "Saisissez votre nom de code" in page(login)
    key_page = client.get("/why-public-key")
    assert html_lang(key_page) == "fr"
    assert "Notre clé de dépôt" in page(key_page)
    # Choosing again switches back, and that choice persists in turn.
    assert html_lang(client.get("/login?l=en")) == "en"
    assert html_lang(client.get("/")) == "en"


def test_choice_overrides_accept_language(client: FlaskClient) -> None:
    client.get("/?l=en", headers={"Accept-Language": "fr"})
    assert html_lang(client.get("/", headers={"Accept-Language": "fr"})) == "en"


def test_choice_survives_logging_out(client: FlaskClient, source: SourceActions) -> None:
    source.create()
    client.get("/lookup?l=fr")
    response = source.logout()
    assert html_lang(response) == "fr"
    assert "Votre session est fermée" in page(response)
    assert html_lang(client.get("/")) == "fr"


def test_choice_survives_getting_a_codename(client: FlaskClient, source: SourceActions) -> None:
    client.get("/?l=fr")
    source.create()
    assert html_lang(client.get("/lookup")) == "fr"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("de-DE,fr;q=0.8,en;q=0.5", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.5", "en"),
        ("de", "en"),
    ],
)
def test_accept_language_picks_the_language_without_the_link(
    client: FlaskClient, header: str, expected: str
) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert html_lang(response) == expected


def test_accept_language_french_translates_the_page(client: FlaskClient) -> None:
    response = client.get("/login", headers={"Accept-Language": "fr"})
    assert "Saisissez votre nom de code" in page(response)


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    response = client.get("/?l=xx")
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert "First time here?" in page(response)
    assert "xx" not in chooser_links(response)
    # An unknown code neither replaces an earlier choice nor overrides Accept-Language.
    client.get("/?l=fr")
    assert html_lang(client.get("/?l=xx")) == "fr"
    assert html_lang(client.get("/login?l=<script>")) == "fr"


def test_unknown_language_does_not_override_accept_language(client: FlaskClient) -> None:
    response = client.get("/?l=xx", headers={"Accept-Language": "fr"})
    assert html_lang(response) == "fr"


# -- the chooser ---------------------------------------------------------------------------------


def test_chooser_is_on_every_page_and_works_without_javascript(
    client: FlaskClient, source: SourceActions
) -> None:
    anonymous = ["/", "/generate", "/login", "/why-public-key", "/no-such-page"]
    pages = {path: client.get(path) for path in anonymous}
    source.create()
    pages["/lookup"] = client.get("/lookup")
    for path, response in pages.items():
        assert html_lang(response) == "en", path
        assert "<script" not in page(response), path
        assert CURRENT_LANGUAGE.findall(page(response)) == ["English"], path
        links = chooser_links(response)
        assert links == {"fr": f"{path}?l=fr"}, path
        # The chooser is a plain link: following it is one GET, which answers in French.
        french = client.get(links["fr"])
        assert french.status_code == response.status_code, path
        assert html_lang(french) == "fr", path
        assert CURRENT_LANGUAGE.findall(page(french)) == ["français"], path
        assert chooser_links(french) == {"en": f"{path}?l=en"}, path
        assert html_lang(client.get(f"{path}?l=en")) == "en", path


def test_chooser_is_on_the_logout_page(source: SourceActions) -> None:
    source.create()
    assert chooser_links(source.logout()) == {"fr": "/?l=fr"}


def test_chooser_after_a_post_leads_to_a_page(client: FlaskClient, source: SourceActions) -> None:
    source.create()
    response = client.get(chooser_links(source.logout())["fr"])
    assert response.status_code == 200


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
