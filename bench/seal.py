"""Sealing one message and making one source key, against the gpg command line doing the same.

Prints, without asserting anything, the median and 90th percentile of:

- `Gpg.encrypt_bytes` (what every message, reply and small file costs) to 1 and to `--keys`
  reader keys, against two baselines run on the same bytes in fresh homes, as the server does:
  one `gpg --encrypt` reading the keys from files (`-f`, the floor of one gpg run) and the
  import-then-encrypt pair of gpg runs (how the server sealed before it wrote the keyring);
- `Gpg.generate_source_key` against `gpg --gen-key` with the same parameters in a fresh home
  whose agent is stopped after (the floor of making a key with gpg).

Every sealed message is checked to decrypt with each reader's key.

    .venv/bin/python bench/seal.py
    .venv/bin/python bench/seal.py --messages 50 --source-keys 10 --keys 3   # quick
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import DEFAULT_SCRATCH
from sealdrop.crypto.source_keys import key_parameters
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey

MESSAGE = ("The documents are in the blue folder. " * 40).encode()
PASSPHRASE = Passphrase("a 256-bit scrypt output stands here " * 2)
GPG = ["gpg", "--batch", "--no-tty", "--quiet"]


@contextlib.contextmanager
def fresh_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="seal-", dir=DEFAULT_SCRATCH))
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def reader_key(base: Path, index: int) -> tuple[Path, PublicKey]:
    """A reader's cv25519 key pair in a home of its own; its home and its public key."""
    home = base / f"reader{index}"
    home.mkdir(mode=0o700)
    uid = f"Reader {index} <reader{index}@example.org>"
    gpg = [*GPG, "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", uid, "future-default", "default", "never"], check=True)
    listing = subprocess.run(
        [*GPG, "--homedir", str(home), "--with-colons", "--list-keys"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line[:4] == "fpr:")
    armored = subprocess.run(
        [*GPG, "--homedir", str(home), "--armor", "--export", fingerprint],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return home, PublicKey(Fingerprint(fingerprint), armored)


def timed(runs: int, once: Callable[[int], object]) -> list[float]:
    seconds = []
    for run in range(runs):
        start = time.perf_counter()
        once(run)
        seconds.append(time.perf_counter() - start)
    return seconds


def one_run_floor(keys: Sequence[Path], out: Path) -> Callable[[int], None]:
    def once(run: int) -> None:
        with fresh_home() as home:
            files = [arg for key in keys for arg in ("-f", str(key))]
            command = [*GPG, "--homedir", str(home), "--no-autostart", "--compress-algo", "none"]
            target = ["--output", str(out / f"floor{len(keys)}-{run}.gpg"), *files, "--encrypt"]
            subprocess.run([*command, *target], input=MESSAGE, check=True)

    return once


def import_then_encrypt(
    keys: Sequence[Path], recipients: Sequence[PublicKey], out: Path
) -> Callable[[int], None]:
    def once(run: int) -> None:
        with fresh_home() as home:
            command = [*GPG, "--homedir", str(home), "--no-autostart"]
            subprocess.run([*command, "--import", *map(str, keys)], check=True, capture_output=True)
            named = [arg for key in recipients for arg in ("-r", key.fingerprint)]
            options = ["--trust-model", "always", "--compress-algo", "none"]
            target = ["--output", str(out / f"pair{len(keys)}-{run}.gpg"), *named, "--encrypt"]
            subprocess.run([*command, *options, *target], input=MESSAGE, check=True)

    return once


def check_sealed(homes: Sequence[Path], sealed: Path) -> None:
    for home in homes:
        plain = subprocess.run(
            [*GPG, "--homedir", str(home), "--decrypt", str(sealed)],
            check=True,
            capture_output=True,
        ).stdout
        if plain != MESSAGE:
            raise SystemExit(f"{sealed.name} did not decrypt to the message with {home.name}'s key")


def gen_key_floor(_: int) -> None:
    with fresh_home() as home:
        agent = home / "gpg-agent.conf"
        agent.write_text("allow-loopback-pinentry\ns2k-count 65536\n")
        subprocess.run(
            [*GPG, "--homedir", str(home), "--gen-key"],
            input=key_parameters(PASSPHRASE).encode(),
            check=True,
            capture_output=True,
        )


def line(label: str, seconds: list[float], baseline: list[float] | None = None) -> None:
    median = statistics.median(seconds) * 1000
    p90 = statistics.quantiles(seconds, n=10)[-1] * 1000
    against = ""
    if baseline is not None:
        against = f"  ratio {median / (statistics.median(baseline) * 1000):.2f}"
    print(f"  {label:<44} median {median:7.1f} ms   p90 {p90:7.1f} ms{against}")


def seal_round(
    gpg: Gpg, readers: Sequence[tuple[Path, PublicKey]], files: Sequence[Path], runs: int, out: Path
) -> None:
    recipients = [key for _, key in readers]
    print(f"Sealing a {len(MESSAGE)}-byte message to {len(readers)} reader key(s), {runs} times:")
    floor = timed(runs, one_run_floor(files, out))
    pair = timed(runs, import_then_encrypt(files, recipients, out))
    prefix = f"ours{len(readers)}-"
    ours = timed(
        runs, lambda run: gpg.encrypt_bytes(MESSAGE, recipients, out / f"{prefix}{run}.gpg")
    )
    line("gpg --encrypt -f (one run, the floor)", floor)
    line("gpg --import, then --encrypt (two runs)", pair, floor)
    line("Gpg.encrypt_bytes (Sealdrop)", ours, floor)
    against = statistics.median(ours) / statistics.median(pair)
    print(f"  Sealdrop against the two-run way: ratio {against:.2f}")
    check_sealed([home for home, _ in readers], out / f"{prefix}0.gpg")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages sealed per way")
    parser.add_argument("--source-keys", type=int, default=40, help="source keys made per way")
    parser.add_argument("--keys", type=int, default=3, help="reader keys for the second round")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="seal-bench-"))
    scratch = Path(tempfile.mkdtemp(prefix="seal-scratch-", dir=DEFAULT_SCRATCH))
    try:
        readers = [reader_key(base, index) for index in range(max(1, args.keys))]
        key_files = []
        for index, (_, key) in enumerate(readers):
            key_files.append(base / f"reader{index}.asc")
            key_files[-1].write_text(key.armored)
        gpg = Gpg(scratch)
        out = base / "out"
        out.mkdir()
        for count in sorted({1, max(1, args.keys)}):
            seal_round(gpg, readers[:count], key_files[:count], args.messages, out)
        print(f"Making a source key, {args.source_keys} times:")
        floor = timed(args.source_keys, gen_key_floor)
        ours = timed(args.source_keys, lambda _: gpg.generate_source_key(PASSPHRASE))
        line("gpg --gen-key in a fresh home (the floor)", floor)
        line("Gpg.generate_source_key (Sealdrop)", ours, floor)
        left = list(scratch.iterdir())
        print(f"Left in the scratch folder: {len(left)}")
        return 0
    finally:
        for home in base.glob("reader*"):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
