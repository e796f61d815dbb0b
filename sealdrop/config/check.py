"""`python -m sealdrop.config.check FILE`: would Sealdrop accept this config file? One line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sealdrop.config.load import load_config
from sealdrop.config.settings import PREFIX
from sealdrop.errors import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    """Load FILE as the apps would (without the environment); 0 if it is good, else 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m sealdrop.config.check FILE", file=sys.stderr)
        return 2
    try:
        load_config({PREFIX + "CONFIG": args[0]})
    except ConfigError as exc:
        print(f"sealdrop: {exc}", file=sys.stderr)
        return 2
    print(f"{args[0]}: a valid Sealdrop configuration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
