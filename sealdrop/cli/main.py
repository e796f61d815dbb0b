"""The `sealdrop` command: init, serve, check, restamp, keys, journalist, backup, restore, demo."""

from __future__ import annotations

import argparse
import os
import resource
import sys
from collections.abc import Mapping, Sequence

from sealdrop.cli import backup, journalists, keys
from sealdrop.config import Config, load_config, require_loopback
from sealdrop.errors import SealdropError
from sealdrop.runtime import initialise, startup
from sealdrop.services import consistency
from sealdrop.serving import APPS, gunicorn_argv
from sealdrop.serving.process import raise_open_file_limit


def cmd_init(config: Config, args: argparse.Namespace) -> int:
    key = keys.read_key_file(args.submission_key) if args.submission_key else None
    fingerprints = initialise.initialise(config, submission_key=key)
    print(f"Data directory ready: {config.data_dir}")
    none = "none yet (sources cannot submit until one is added)"
    print(f"Active reader keys: {', '.join(fingerprints) or none}")
    return 0


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    # Fail here, clearly, before gunicorn forks workers.
    for warning in startup.prepare_serving(config):
        print(f"sealdrop: warning: {warning}", file=sys.stderr)
    os.umask(0o077)
    # A crashing worker or gpg must never write a core file: it would hold plaintext chunks and
    # passphrases. The limit is inherited by gunicorn, its workers and every gpg they start.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    raise_open_file_limit()
    # The request threads would otherwise each grow a malloc arena of their own (~2 MB a piece
    # kept after every upload); two arenas keep a worker's memory flat at no cost in speed. A fixed
    # mmap threshold returns each streaming buffer to the system when it is freed, where glibc's
    # adaptive threshold would keep them in the heap.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "2097152")
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "8388608")
    bind = require_loopback(args.bind, what="--bind") if args.bind else None
    argv = gunicorn_argv(config, args.app, bind)
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with gunicorn, fixed arguments


def cmd_check(config: Config, _args: argparse.Namespace) -> int:
    report = consistency.check(config)
    for line in report.keys + report.problems:
        print(line)
    problems = len(report.problems)
    print(f"{problems} problem(s) found" if problems else "database and store agree")
    return 1 if problems else 0


def cmd_restamp(config: Config, _args: argparse.Namespace) -> int:
    stamped = startup.restamp_instance(config)
    print(f"{stamped} path(s) in the store now show days only")
    return 0


def cmd_demo(_config: Config | None, args: argparse.Namespace) -> int:
    from sealdrop.cli import demo

    return demo.run(port=args.port, tor=args.tor, tor_control=args.tor_control)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sealdrop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create the data directory, secrets and database")
    init.add_argument(
        "--submission-key", metavar="FILE", help="the first reader key: a public key, armored"
    )
    init.set_defaults(func=cmd_init)
    serve = commands.add_parser("serve", help="run a web app under gunicorn")
    serve.add_argument("app", choices=sorted(APPS))
    serve.add_argument("--bind", help="127.0.0.1:PORT or unix:/path (default from config)")
    serve.set_defaults(func=cmd_serve)
    check = commands.add_parser("check", help="verify that the database and the store agree")
    check.set_defaults(func=cmd_check)
    restamp = commands.add_parser(
        "restamp", help="set the store's file times to days (run daily from cron)"
    )
    restamp.set_defaults(func=cmd_restamp)
    keys.add_parser(commands)
    journalists.add_commands(commands)
    backup.add_commands(commands)
    demo = commands.add_parser("demo", help="run a throwaway demo instance on 127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument(
        "--tor", action="store_true", help="also publish both apps as onions, if a Tor is found"
    )
    demo.add_argument(
        "--tor-control",
        metavar="ADDR",
        help="tor's control socket or 127.0.0.1:PORT (default: /run/tor/control, then :9051)",
    )
    demo.set_defaults(func=cmd_demo, needs_config=False)
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = (
            load_config(os.environ if env is None else env)
            if getattr(args, "needs_config", True)
            else None
        )
        return int(args.func(config, args))
    except SealdropError as exc:
        print(f"sealdrop: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
