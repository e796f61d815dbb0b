"""The journalist API: SecureDrop's v1 and the v2 sync, in one blueprint named "api"."""

from __future__ import annotations

# Each module adds its routes to the blueprint when imported.
from journalist_interface.api import (  # noqa: F401
    openapi,
    v1_replies,
    v1_session,
    v1_sources,
    v1_submissions,
    v2,
)
from journalist_interface.api.blueprint import bp

__all__ = ["bp"]
