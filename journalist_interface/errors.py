"""Every error becomes a page (or, under /api/, a JSON body) with its 4xx status; no traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from sealdrop.errors import SealdropError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, message: str) -> ResponseReturnValue:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if _wants_json():
        return jsonify(error=phrase, message=message), status
    return render_template("error.html", title=phrase, message=message, status=status), status


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    description = exc.description if status < HTTPStatus.INTERNAL_SERVER_ERROR else None
    return render_error(status, description or "Please go back and try again.")


def _csrf_error(_exc: CSRFError) -> ResponseReturnValue:
    return render_error(400, "The form expired or was incomplete. Reload the page and try again.")


def _sealdrop_error(exc: SealdropError) -> ResponseReturnValue:
    return render_error(exc.http_status, str(exc))


def _unexpected(exc: Exception) -> ResponseReturnValue:
    log.error("unexpected error: %s", exc.__class__.__name__)
    return render_error(500, "Something went wrong on our side. Please try again.")


def install(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SealdropError, _sealdrop_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
