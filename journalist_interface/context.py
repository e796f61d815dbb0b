"""What every request of the journalist app gets: the instance, a database session, today."""

from __future__ import annotations

import datetime as dt

from flask import Flask, g

from sealdrop import __version__
from sealdrop.runtime.instance import Instance
from sealdrop.services.audit import Actor


def actor() -> Actor:
    """The signed-in journalist, as the audit trail names them."""
    return Actor(g.journalist.username, g.today)


def install(app: Flask, inst: Instance) -> None:
    app.extensions["sealdrop_instance"] = inst

    @app.before_request
    def open_request_context() -> None:
        g.instance = inst
        g.db = inst.sessions()
        g.now = dt.datetime.now(dt.UTC)
        g.today = g.now.date()

    @app.teardown_request
    def close_request_context(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.context_processor
    def page_context() -> dict[str, object]:
        return {
            "instance_name": inst.config.instance_name,
            "version": __version__,
            "journalist": g.get("journalist"),
        }
