"""Every error becomes a friendly page with the right 4xx (or 5xx) status, never a traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from sealdrop.errors import SealdropError

log = logging.getLogger(__name__)

PAUSED_RETRY_AFTER_SECONDS = 600

TITLES = {
    400: _l("That request could not be understood"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("That action is not available here"),
    421: _l("Wrong address"),
    413: _l("That is too large"),
    429: _l("Please slow down"),
    500: _l("Something went wrong on our side"),
    503: _l("Submissions are paused"),
}


def render_error(status: int, message: str) -> tuple[str, int]:
    title = str(TITLES.get(status, TITLES[400]))
    return render_template("error.html", title=title, message=message, status=status), status


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    retry_after = getattr(exc, "retry_after", None)
    if status == HTTPStatus.SERVICE_UNAVAILABLE and retry_after is not None:
        page = render_template(
            "error.html",
            title=str(TITLES[503]),
            status=503,
            message=exc.description or _("Please try again in a few minutes."),
        )
        return page, 503, {"Retry-After": str(retry_after)}
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return render_error(
            413,
            _(
                "The upload is larger than this service accepts. Send smaller "
                "files, or fewer at once."
            ),
        )
    if status == HTTPStatus.NOT_FOUND:
        return render_error(404, _("There is nothing at this address."))
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        return render_error(405, _("That page cannot be used this way. Go back and use its form."))
    description = exc.description if status < HTTPStatus.INTERNAL_SERVER_ERROR else None
    return render_error(status, description or _("Please go back and try again."))


def _csrf_error(_exc: CSRFError) -> ResponseReturnValue:
    return render_error(
        400, _("The form expired or was incomplete. Go back, reload the page and send it again.")
    )


def _sealdrop_error(exc: SealdropError) -> ResponseReturnValue:
    page, status = render_error(exc.http_status, _(str(exc)))
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        # Paused (no key, a full disk): an admin must act, so a browser need not retry soon.
        return page, status, {"Retry-After": str(PAUSED_RETRY_AFTER_SECONDS)}
    return page, status


def _unexpected(exc: Exception) -> ResponseReturnValue:
    # Only the exception type: a message or traceback might carry what a source sent.
    log.error("unexpected %s", exc.__class__.__name__)
    return render_error(500, _("Nothing you sent was stored. Please try again later."))


def install(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SealdropError, _sealdrop_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
