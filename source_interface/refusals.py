"""Pages for requests the server refused before reading their body: too large, or too busy.

The server decides (it must, before a byte of the body costs anything) and calls the app with an
empty body and the status in the environ; the app only words the answer, in the visitor's
language, so the refusal looks like every other page of the site.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, Response, abort, make_response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop.serving.body import UploadsBusy
from sealdrop.serving.limits import REFUSED_KEY
from source_interface.errors import render_error


def install(app: Flask, *, retry_after_seconds: int) -> None:
    """Register first, so no other hook (CSRF, sessions' work) runs on a refused request."""

    @app.before_request
    def answer_refusals() -> ResponseReturnValue | None:
        status = request.environ.get(REFUSED_KEY)
        if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            abort(413)  # the app's own "too large" page
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            return busy_page()
        return None

    # The server asks for an upload slot when the app first reads the body; none was free.
    @app.errorhandler(UploadsBusy)
    def answer_busy(_exc: UploadsBusy) -> ResponseReturnValue:
        return busy_page()

    def busy_page() -> Response:
        response = make_response(
            render_error(
                503,
                _(
                    "Many people are sending files right now. Please try again in a few "
                    "minutes; nothing was stored."
                ),
            )
        )
        response.headers["Retry-After"] = str(retry_after_seconds)
        return response
