"""SourceBrowser: what a source does in Chromium, and what every response it got looked like."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from playwright.sync_api import Page, Response, expect


@dataclass(frozen=True)
class Seen:
    """One HTTP response as the browser received it."""

    url: str
    status: int
    content_type: str
    csp: str | None
    body: bytes


@dataclass
class SourceBrowser:
    """A source driving the real site; every response is recorded for later checks."""

    page: Page
    base_url: str
    responses: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("response", self._record)

    def _record(self, response: Response) -> None:
        headers = response.all_headers()
        is_redirect = 300 <= response.status < 400  # Chromium keeps no body for redirects
        self.responses.append(
            Seen(
                url=response.url,
                status=response.status,
                content_type=headers.get("content-type", ""),
                csp=headers.get("content-security-policy"),
                body=b"" if is_redirect else response.body(),
            )
        )

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def get_codename(self) -> str:
        self.open("/")
        self.page.get_by_role("link", name="Get a codename").click()
        expect(self.page).to_have_url(self.base_url + "/generate")
        codename = self.page.locator("#codename").inner_text().strip()
        assert len(codename.split()) == 7, f"not a seven-word codename: {codename!r}"
        return codename

    def confirm_codename_saved(self) -> dict[str, list[str]]:
        """Tick the box and continue; returns the fields the browser sent to /create."""
        self.page.get_by_label("I have written down or memorised my codename.").check()
        with self.page.expect_request(lambda sent: sent.url.endswith("/create")) as request:
            self.page.get_by_role("button", name="Continue").click()
        expect(self.page).to_have_url(self.base_url + "/lookup")
        return parse_qs(request.value.post_data or "", keep_blank_values=True)

    def submit(self, message: str, files: list[Path]) -> None:
        self.page.get_by_label("Message").fill(message)
        self.page.get_by_label("Files").set_input_files(files)
        self.page.get_by_role("button", name="Submit").click()
        expect(self.page).to_have_url(self.base_url + "/lookup")

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("You are logged out")

    def log_in(self, codename: str) -> None:
        self.open("/login")
        self.page.get_by_label("Your codename").fill(codename)
        self.page.get_by_role("button", name="Continue").click()
        expect(self.page).to_have_url(self.base_url + "/lookup")

    def flashes(self) -> list[str]:
        return [text.strip() for text in self.page.locator(".flash").all_inner_texts()]

    def replies(self) -> list[str]:
        return self.page.locator("article.reply pre").all_inner_texts()

    def delete_reply(self, index: int = 0) -> None:
        self.page.get_by_role("button", name="Delete this reply").nth(index).click()
        expect(self.page).to_have_url(self.base_url + "/lookup")


@dataclass
class JournalistBrowser:
    """A journalist driving the newsroom site in Chromium, with JavaScript off."""

    page: Page
    base_url: str

    def log_in(self, username: str, passphrase: str, code: str) -> None:
        self.page.goto(self.base_url + "/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Passphrase").fill(passphrase)
        self.page.get_by_label("Two-factor code").fill(code)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page).to_have_url(self.base_url + "/")

    def open_source(self, designation: str) -> None:
        self.page.get_by_role("link", name=designation).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(designation)

    def download_conversation(self, into: Path) -> Path:
        with self.page.expect_download() as started:
            self.page.get_by_role("button", name="Download the whole conversation").click()
        target = into / started.value.suggested_filename
        started.value.save_as(target)
        return target

    def reply(self, text: str) -> None:
        self.page.get_by_role("textbox", name="Reply").fill(text)
        self.page.get_by_role("button", name="Send the reply").click()

    def flashes(self) -> list[str]:
        return [text.strip() for text in self.page.locator(".flash").all_inner_texts()]
