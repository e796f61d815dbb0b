"""Enrolment QR codes drawn on the server as inline SVG: no script, no image request."""

from __future__ import annotations

import segno
from markupsafe import Markup

MODULE_PIXELS = 5


def svg(data: str, *, title: str) -> Markup:
    """`data` as an <svg> element to put in a page; its <title> names it for screen readers."""
    code = segno.make(data, error="m")
    markup = code.svg_inline(scale=MODULE_PIXELS, title=title, svgclass="qr", lineclass=None)
    # segno escapes the title and draws only paths; role=img makes the title its accessible name.
    return Markup(markup.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704
