"""Typed configuration, read once at the edge: the settings (data) and how they are loaded."""

from sealdrop.config.load import load_config, require_loopback
from sealdrop.config.settings import (
    FORM_OVERHEAD_BYTES,
    PREFIX,
    AppSettings,
    Config,
    JournalistSettings,
    KdfCost,
    Secrets,
    ServingLimits,
    SourceSettings,
)

__all__ = [
    "FORM_OVERHEAD_BYTES",
    "PREFIX",
    "AppSettings",
    "Config",
    "JournalistSettings",
    "KdfCost",
    "Secrets",
    "ServingLimits",
    "SourceSettings",
    "load_config",
    "require_loopback",
]
