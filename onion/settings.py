"""What an onion service is asked to do: where it forwards, and its defences against floods.

The defaults are the values Sealdrop documents in docs/operations.md; every one can be changed
from the command line (`sealdrop-onion publish --help`, `sealdrop-onion torrc --help`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from onion.errors import OnionError

MAX_PORT = 65535
_TARGET = re.compile(r"^(127\.0\.0\.1:\d{1,5}|unix:/\S+)$")


def check_target(target: str) -> str:
    """A web app's listening address: `127.0.0.1:PORT` or `unix:/path`, nothing else."""
    if not _TARGET.match(target) or (
        target.startswith("127.") and not 0 < int(target.rsplit(":", 1)[1]) <= MAX_PORT
    ):
        raise OnionError(f"{target!r}: an onion forwards only to 127.0.0.1:PORT or unix:/path")
    return target


@dataclass(frozen=True)
class Defences:
    """Tor's defences for one service. Tor's own defaults are noted where they differ."""

    pow: bool = True  # proof-of-work puzzle when the service is overloaded (tor: off)
    pow_queue_rate: int = 250  # rendezvous requests served per second from the PoW queue
    pow_queue_burst: int = 2500
    max_streams: int = 20  # concurrent streams per rendezvous circuit (tor: unlimited)
    max_streams_close_circuit: bool = True  # over the cap: close the circuit (tor: refuse stream)
    intro_dos: bool = True  # rate limit at the introduction points (tor: off)
    intro_rate_per_sec: int = 25
    intro_burst_per_sec: int = 200

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and not 0 <= value <= MAX_PORT
            ):
                raise OnionError(f"{name} must be between 0 and 65535, not {value}")


@dataclass(frozen=True)
class Plan:
    """Both services: the source onion, and the journalist onion behind client authorization."""

    source_target: str = "127.0.0.1:8080"
    journalist_target: str = "127.0.0.1:8081"
    defences: Defences = Defences()

    def __post_init__(self) -> None:
        check_target(self.source_target)
        check_target(self.journalist_target)

    def target(self, service: str) -> str:
        return self.source_target if service == "source" else self.journalist_target

    def as_record(self) -> dict[str, object]:
        return {
            "source_target": self.source_target,
            "journalist_target": self.journalist_target,
            "defences": asdict(self.defences),
        }

    @classmethod
    def from_record(cls, record: dict[str, object]) -> Plan:
        defences = record.get("defences")
        return cls(
            source_target=str(record["source_target"]),
            journalist_target=str(record["journalist_target"]),
            defences=Defences(**defences) if isinstance(defences, dict) else Defences(),
        )
