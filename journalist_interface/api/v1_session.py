"""v1: the API's root, tokens (log in, log out) and who the journalists are."""

from __future__ import annotations

import time

from flask import current_app, g, jsonify
from flask.typing import ResponseReturnValue

from journalist_interface.api import index_answers, payload, serializers
from journalist_interface.api.auth import naive_utc
from journalist_interface.api.blueprint import bp
from journalist_interface.auth import THROTTLE_KEY
from sealdrop.services import journalist_auth, journalists
from sealdrop.services.journalist_auth import Credentials

V1 = serializers.V1


@bp.get("/v1/")
def root() -> ResponseReturnValue:
    return jsonify(
        auth_token_url=f"{V1}/token",
        current_user_url=f"{V1}/user",
        all_users_url=f"{V1}/users",
        replies_url=f"{V1}/replies",
        seen_url=f"{V1}/seen",
        sources_url=f"{V1}/sources",
        submissions_url=f"{V1}/submissions",
    )


@bp.post("/v1/token")
def token() -> ResponseReturnValue:
    body = payload.json_object()
    credentials = Credentials(
        payload.text(body, "username"),
        payload.text(body, "passphrase"),
        payload.text(body, "one_time_code"),
    )
    # The web login's throttle: the same accounts, so the same count of failures.
    journalist = journalist_auth.authenticate(
        g.db,
        current_app.extensions[THROTTLE_KEY],
        credentials=credentials,
        cost=journalists.argon2_cost(g.instance.config),
        now=time.time(),
    )
    issued, expires = journalist_auth.issue_token(
        g.db, journalist, now=naive_utc(g.now), hours=g.instance.config.journalist.token_hours
    )
    index = index_answers.current(g.db)
    return jsonify(
        token=issued,
        expiration=serializers.iso_moment(expires),
        journalist_uuid=journalist.uuid,
        journalist_first_name=journalist.first_name,
        journalist_last_name=journalist.last_name,
        # For v2 clients: how much a first sync will fetch, and the index it will start from.
        hints={"version": index.version, "sources": index.sources, "items": index.items},
    )


@bp.post("/v1/logout")
def logout() -> ResponseReturnValue:
    journalist_auth.revoke_token(g.db, g.api_token)
    return jsonify(message="Your token has been revoked.")


@bp.get("/v1/user")
def user() -> ResponseReturnValue:
    return jsonify(serializers.user(g.journalist))


@bp.get("/v1/users")
def users() -> ResponseReturnValue:
    return jsonify(users=[serializers.user_brief(each) for each in journalists.everyone(g.db)])
