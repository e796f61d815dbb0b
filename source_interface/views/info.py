"""Public pages: the reader keys and why they matter, and /metadata for tools."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, render_template
from flask.typing import ResponseReturnValue

from sealdrop.errors import NotFound
from sealdrop.services import intake
from sealdrop.services import metadata as instance_metadata

bp = Blueprint("info", __name__)


@bp.get("/public-key")
def public_key() -> ResponseReturnValue:
    """Every key submissions are encrypted to, in one armored file: gpg imports them all."""
    keys = intake.public_keys(g.db, g.instance.gpg)
    name = f"{keys[0].fingerprint}.asc" if len(keys) == 1 else "public-keys.asc"
    return Response(
        "\n".join(key.armored.strip() + "\n" for key in keys),
        mimetype="application/pgp-keys",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/why-public-key")
def why_public_key() -> ResponseReturnValue:
    try:
        fingerprints = [key.fingerprint for key in intake.public_keys(g.db, g.instance.gpg)]
    except NotFound:
        fingerprints = []
    return render_template("why_key.html", fingerprints=fingerprints)


@bp.get("/metadata")
def metadata() -> ResponseReturnValue:
    inst = g.instance
    return jsonify(instance_metadata.public_metadata(g.db, inst.config, inst.gpg))
