"""What can go wrong with Tor, each as one line an operator can act on."""

from __future__ import annotations


class OnionError(Exception):
    """Base of every error this package raises on purpose; its message is one operator line."""


class TorNotRunning(OnionError):
    """Nothing answers on the control port or socket."""


class TorPermission(OnionError):
    """Tor answers, but this user may not read its authentication cookie (or socket)."""


class TorAuthFailed(OnionError):
    """Tor refused the credentials offered (wrong cookie, or a method Sealdrop does not use)."""


class TorTooOld(OnionError):
    """The running tor lacks a feature Sealdrop relies on (v3 client authorization, PoW)."""


class TorRefused(OnionError):
    """Tor refused a command (an onion service could not be added or removed)."""


class TorConfigInvalid(OnionError):
    """`tor --verify-config` rejected a rendered torrc."""


class PublishTimeout(OnionError):
    """Tor did not upload an onion service's descriptor in time."""


class StateError(OnionError):
    """The state directory (keys, authorized clients) is missing or damaged."""


class ClientError(OnionError):
    """An authorized-client name is invalid, already taken, or unknown."""
