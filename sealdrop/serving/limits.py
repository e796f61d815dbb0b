"""What a request may cost: body limits by route, deadlines, and the upload's minimum data rate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sealdrop.config import Config
from sealdrop.serving.apps import AppSpec

# A request line and headers larger than this are refused; real browsers send a few KiB.
HEADER_BYTES = 16 * 1024
# The most read from a socket at once (a body's piece handed to the app).
READ_BYTES = 256 * 1024
# After a refusal, what is still read and thrown away so the browser shows the page instead of
# "connection reset" (it is still sending when the answer comes).
LINGER_SECONDS = 5.0
LINGER_BYTES = 8 * 1024 * 1024
# When every upload slot is taken, uploads are judged over this share of the rate window.
CONTENDED_WINDOW_SHARE = 0.2
# How often a waiting upload's rate is checked, so a client that sends nothing is seen too.
METER_TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Route:
    upload: bool
    body_limit: int


@dataclass(frozen=True)
class Limits:
    """Per worker process; everything in seconds and bytes."""

    header_timeout: float
    keepalive_timeout: float
    body_timeout: float
    small_body_bytes: int
    upload_body_bytes: int
    uploads: int
    threads: int
    max_connections: int
    min_bytes_per_second: int
    rate_window: float
    upload_idle_timeout: float
    retry_after: int
    upload_paths: frozenset[str]

    @classmethod
    def for_app(cls, config: Config, spec: AppSpec) -> Limits:
        """The limits `config` sets for the app `spec` names, with that app's upload routes."""
        serving = config.app(spec.name).serving
        return cls(
            header_timeout=serving.header_timeout_seconds,
            keepalive_timeout=serving.keepalive_timeout_seconds,
            body_timeout=serving.body_timeout_seconds,
            small_body_bytes=serving.max_form_bytes,
            upload_body_bytes=config.upload_body_bytes,
            uploads=serving.uploads_per_worker,
            threads=serving.threads,
            max_connections=serving.max_connections,
            min_bytes_per_second=serving.upload_min_bytes_per_second,
            rate_window=serving.upload_rate_window_seconds,
            upload_idle_timeout=serving.upload_idle_timeout_seconds,
            retry_after=serving.busy_retry_after_seconds,
            upload_paths=spec.upload_paths,
        )

    def route(self, method: str, path: str) -> Route:
        """Decided from the request line alone, before any body byte is read."""
        if method == "POST" and path in self.upload_paths:
            return Route(upload=True, body_limit=self.upload_body_bytes)
        return Route(upload=False, body_limit=self.small_body_bytes)


class RateMeter:
    """Average data rate over the last seconds the server spent waiting for the client.

    Only waiting time counts: while the app is busy and the buffer is full, the client is held
    back by us, and that must never make an honest upload look slow.
    """

    def __init__(self, min_bytes_per_second: int, window: float) -> None:
        self._min_rate = min_bytes_per_second
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()
        self._waited = 0.0
        self._received = 0

    def record(self, waited: float, received: int) -> None:
        self._samples.append((waited, received))
        self._waited += waited
        self._received += received
        # Forget the oldest samples while the rest still cover a whole window.
        while self._samples and self._waited - self._samples[0][0] >= self._window:
            old_wait, old_bytes = self._samples.popleft()
            self._waited -= old_wait
            self._received -= old_bytes

    def _recent(self, window: float) -> tuple[float, int]:
        """Waiting time and bytes of the newest samples that cover `window` seconds of waiting."""
        waited, received = 0.0, 0
        for sample_wait, sample_bytes in reversed(self._samples):
            if waited >= window:
                break
            waited += sample_wait
            received += sample_bytes
        return waited, received

    def rate(self) -> float:
        return self._received / self._waited if self._waited else float("inf")

    def too_slow(self, window: float | None = None) -> bool:
        """True once `window` seconds of waiting (the whole window by default) brought fewer
        bytes than the minimum rate asks for."""
        waited, received = self._recent(self._window if window is None else window)
        wanted = self._window if window is None else window
        return waited >= wanted and received < self._min_rate * waited


# Set on the environ of a request the server refused before the app saw its body (413 or 503):
# the app is called with an empty body and renders its own page, in the visitor's language.
REFUSED_KEY = "sealdrop.refused"
