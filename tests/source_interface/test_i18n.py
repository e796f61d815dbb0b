"""The source interface in French: choosing the language, keeping the choice, the chooser.

Whether the catalogue itself is complete is checked in test_i18n_catalogue.py.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.source_interface.actions import SourceActions, html_lang, page

CHOOSER_LINK = re.compile(r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+">([^<]+)</a>')
CURRENT_LANGUAGE = re.compile(r'<strong aria-current="true">([^<]+)</strong>')


def chooser_links(response: TestResponse) -> dict[str, str]:
    """The language chooser's links on a page, as {language code: href}."""
    return {code: href for href, code, _name in CHOOSER_LINK.findall(page(response))}


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
    anonymous = ["/", "/generate", "/login", "/why-public-key"]
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


# As the server decodes them: `/%5Cevil.example/`, `/%09/x`, `//x`, a bare page that is not there.
CRAFTED_PATHS = ["/\\evil.example/", "/\t/x", "//x", "//evil.example/%2e%2e", "/no-such-page"]


@pytest.mark.parametrize("path", CRAFTED_PATHS)
def test_chooser_on_a_page_that_matched_no_route_leads_to_the_start(
    client: FlaskClient, path: str
) -> None:
    """A crafted path is never echoed into a link: `/%5Cevil.example/` once led off the onion."""
    # PATH_INFO set as a server would, since the test client reads `//x` as a host name.
    response = client.get("/", environ_overrides={"PATH_INFO": path})
    assert response.status_code == 404
    assert chooser_links(response) == {"fr": "/?l=fr"}
    base = "http://127.0.0.1:8080" + path
    for href in re.findall(r'(?:href|action)="([^"]*)"', page(response)):
        # A browser reads a backslash as a slash, which is how the old link left the site.
        resolved = urlsplit(urljoin(base, href.replace("&amp;", "&").replace("\\", "/")))
        assert (resolved.scheme, resolved.netloc) == ("http", "127.0.0.1:8080"), href


def test_chooser_is_on_the_logout_page(source: SourceActions) -> None:
    source.create()
    assert chooser_links(source.logout()) == {"fr": "/?l=fr"}


def test_chooser_after_a_post_leads_to_a_page(client: FlaskClient, source: SourceActions) -> None:
    source.create()
    response = client.get(chooser_links(source.logout())["fr"])
    assert response.status_code == 200
