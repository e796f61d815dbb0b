"""Reading an enrolment page as the new device would: its secret, a code from it, its QR."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pyotp
from werkzeug.test import TestResponse

SECRET_PATTERN = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
SVG_PATTERN = re.compile(r"<svg .*?</svg>", re.DOTALL)


def shown_secret(page: TestResponse) -> str:
    match = SECRET_PATTERN.search(page.get_data(as_text=True))
    assert match, "the enrolment page shows no secret"
    return match.group(1).replace(" ", "")


def totp_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def qr_svg(page: TestResponse) -> ET.Element:
    """The inline QR code, parsed as XML: it must be well-formed to render."""
    match = SVG_PATTERN.search(page.get_data(as_text=True))
    assert match, "the enrolment page shows no QR code"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own page, not untrusted XML
