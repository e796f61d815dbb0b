"""Public pages: the Submission Key and why it matters, and /metadata for tools."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, render_template
from flask.typing import ResponseReturnValue

from sealdrop.services import intake
from sealdrop.services import metadata as instance_metadata

bp = Blueprint("info", __name__)


@bp.get("/public-key")
def public_key() -> ResponseReturnValue:
    fingerprint, armored = intake.submission_public_key(g.db)
    return Response(
        armored,
        mimetype="application/pgp-keys",
        headers={
            "Content-Disposition": f'attachment; filename="{fingerprint}.asc"',
        },
    )


@bp.get("/why-public-key")
def why_public_key() -> ResponseReturnValue:
    fingerprint = intake.submission_key_fingerprint(g.db)
    return render_template("why_key.html", fingerprint=fingerprint)


@bp.get("/metadata")
def metadata() -> ResponseReturnValue:
    return jsonify(instance_metadata.public_metadata(g.db, g.instance.config))
