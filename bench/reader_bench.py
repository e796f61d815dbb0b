"""Benchmark: the reader imports a bundle of 1,000 messages and one large file, against gpg.

Makes a passphrase-protected Submission Key in a reader home, encrypts `--messages` messages
(gpg, as the server seals text) and one `--file-mb` MB file of random bytes (the server's own
path: GzipWriter into Gpg.open_encryptor), and puts them in two bundles with the server's
bundle writer. Then, in the same run and on the same disk:

- baseline: `gpg --decrypt` of each of the same ciphertext files, one process each, the agent
  fresh at the start (so both sides unlock the key once);
- reader: `Vault.import_path` of each bundle, in a child process whose peak RSS is read with
  resource.getrusage (gpg's own, a separate process, is shown apart).

It prints both times, the ratios (target at most 1.2) and the reader's peak RSS (target under
150 MB whatever the file size), and checks that what the reader filed is what was encrypted.
Figures only; the exit status is non-zero only when the import went wrong.

    .venv/bin/python bench/reader.py                      # 1,000 messages and a 500 MB file
    .venv/bin/python bench/reader.py --file-mb 50 --messages 200     # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# Run as a script (through bench/reader.py or directly), its folder comes first on sys.path, and
# bench/reader.py there would hide the `reader` package. Drop that folder before importing it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from reader.vault import Vault
from sealdrop.bundle.writer import BundleItem, stream_bundle
from sealdrop.crypto.compress import GzipWriter
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.domain.items import Kind, item_filename
from sealdrop.domain.keys import PublicKey

PASSPHRASE = KeyPassphrase("a benchmark passphrase, long enough")
TARGET_RATIO = 1.2
TARGET_RSS_MB = 150
MESSAGES_SOURCE = "busy heron"
FILE_SOURCE = "quiet otter"
CHUNK = 1 << 20


def make_key(home: Path) -> PublicKey:
    keyring = SubmissionKeyring(home / "gnupg")
    fingerprint = keyring.generate(PASSPHRASE)
    public = PublicKey(fingerprint, keyring.export_public(fingerprint))
    keyring.forget()
    return public


def seal_messages(key: PublicKey, folder: Path, count: int) -> list[Path]:
    """Messages as the server seals text: gpg, no compression, one ciphertext each."""
    folder.mkdir()
    plain = []
    for n in range(1, count + 1):
        path = folder / f"{n}.txt"
        path.write_bytes(f"Message {n}: ".encode() + os.urandom(400).hex().encode())
        plain.append(path)
    home = Path(tempfile.mkdtemp(prefix="sdb-", dir="/dev/shm"))
    gpg = ["gpg", "--homedir", str(home), "--batch", "--quiet"]
    subprocess.run([*gpg, "--import"], input=key.armored.encode(), check=True, capture_output=True)
    for start in range(0, count, 200):
        subprocess.run(
            [*gpg, "--yes", "--trust-model", "always", "--compress-algo", "none",
             "--recipient", key.fingerprint, "--encrypt-files",
             *(str(p) for p in plain[start : start + 200])],
            check=True, capture_output=True,
        )  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)
    sealed = []
    for n, path in enumerate(plain, start=1):
        target = folder / item_filename(n, MESSAGES_SOURCE, Kind.MESSAGE)
        path.with_name(path.name + ".gpg").rename(target)
        sealed.append(target)
    return sealed


def seal_file(key: PublicKey, path: Path, megabytes: int) -> str:
    """A file as the server stores an upload: gzip (name inside) into gpg. Its sha256."""
    digest = hashlib.sha256()
    encryptor = Gpg(Path("/dev/shm")).open_encryptor([key], path)  # noqa: S108 - RAM on purpose
    writer = GzipWriter(encryptor.write, member_name="large.bin")
    for _ in range(megabytes):
        chunk = os.urandom(CHUNK)
        digest.update(chunk)
        writer.write(chunk)
    writer.close()
    encryptor.finish()
    return digest.hexdigest()


def write_bundle(path: Path, designation: str, kind: Kind, files: list[Path]) -> None:
    source = str(uuid.uuid4())
    items = [
        BundleItem(designation, source, str(uuid.uuid4()), kind, n, stored)
        for n, stored in enumerate(files, start=1)
    ]
    with path.open("wb") as out:
        for chunk in stream_bundle(items, instance="Bench", created=dt.date(2026, 12, 1)):
            out.write(chunk)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def gpg_baseline(
    home: Path, files: list[Path], out: Path, *, sync: bool = False
) -> tuple[float, float]:
    """`gpg --decrypt` of each file, one process each; the agent fresh at the start.
    Wall seconds, and the gpg processes' CPU seconds (gpg-agent's are counted on neither side).
    """
    out.mkdir()
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    for path in files:
        subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--quiet", "--pinentry-mode", "loopback",
             "--passphrase-fd", "0", "--output", str(out / path.name), "--decrypt", str(path)],
            input=PASSPHRASE.encode() + b"\n", check=True, capture_output=True,
        )  # fmt: skip
        if sync:  # as durable as the reader's files: on the disk before the next one
            fd = os.open(out / path.name, os.O_RDONLY)
            os.fdatasync(fd)
            os.close(fd)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    return elapsed, cpu


def pipeline_baseline(home: Path, large: Path, out: Path) -> float:
    """The same work as the reader's by command-line tools: sha256sum of the ciphertext, then
    `gpg --decrypt | gunzip > file` and a sync of the file (informational, not the target's)."""
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(large)], check=True, capture_output=True)
    with out.open("wb") as target:
        gpg = subprocess.Popen(
            ["gpg", "--homedir", str(home), "--batch", "--quiet", "--pinentry-mode", "loopback",
             "--passphrase-fd", "0", "--decrypt", str(large)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert gpg.stdin is not None
        gpg.stdin.write(PASSPHRASE.encode() + b"\n")
        gpg.stdin.close()
        subprocess.run(["gunzip", "-c"], stdin=gpg.stdout, stdout=target, check=True)
        gpg.wait()
        os.fsync(target.fileno())
    elapsed = time.perf_counter() - started
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    return elapsed


def child_import(home: Path, vault_dir: Path, bundle: Path) -> None:
    """In the child: import, then print seconds, peak RSS (KiB) and the outcomes as JSON."""
    keyring = SubmissionKeyring(home / "gnupg")
    self_before = cpu_seconds(resource.RUSAGE_SELF)  # Python's start and imports left out
    started = time.perf_counter()
    with Vault.open(vault_dir) as vault:
        report = vault.import_path(bundle, keyring, PASSPHRASE)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_self": cpu_seconds(resource.RUSAGE_SELF) - self_before,
                "cpu_gpg": cpu_seconds(resource.RUSAGE_CHILDREN),
                "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "gpg_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                "imported": report.count("imported"),
                "failed": [o.reason for o in report.outcomes if o.status == "failed"][:3],
                "refused": report.refused,
            }
        )
    )


def reader_import(home: Path, vault_dir: Path, bundle: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(home), str(vault_dir), str(bundle)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def line(name: str, base: tuple[float, float], result: dict[str, Any]) -> float:
    baseline, base_cpu = base
    seconds = float(result["seconds"])
    ratio = seconds / baseline
    rss = int(result["rss_kib"]) / 1024
    gpg_rss = int(result["gpg_rss_kib"]) / 1024
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(
        f"{name:<22} gpg --decrypt {baseline:7.2f} s | reader {seconds:7.2f} s | ratio "
        f"{ratio:4.2f} ({verdict}) | reader peak RSS {rss:6.1f} MB (gpg {gpg_rss:.1f} MB)"
    )
    own, its_gpg = float(result["cpu_self"]), float(result["cpu_gpg"])
    total = own + its_gpg
    print(
        f"{'':<22} CPU (user+sys): gpg --decrypt {base_cpu:6.2f} s | reader process {own:6.2f} s"
        f" + its gpg {its_gpg:6.2f} s = {total:6.2f} s (ratio {total / base_cpu:4.2f})"
    )
    return rss


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="sdrb-", dir=args.dir))
    try:
        home = work / "h"
        key = make_key(home)
        print(f"work dir {work}; key {key.fingerprint}")
        started = time.perf_counter()
        messages = seal_messages(key, work / "messages", args.messages)
        large = work / item_filename(1, FILE_SOURCE, Kind.FILE)
        file_sha = seal_file(key, large, args.file_mb)
        write_bundle(work / "messages.zip", MESSAGES_SOURCE, Kind.MESSAGE, messages)
        write_bundle(work / "file.zip", FILE_SOURCE, Kind.FILE, [large])
        print(f"set-up (encrypt, bundle) {time.perf_counter() - started:.1f} s")

        base_messages = gpg_baseline(home / "gnupg", messages, work / "plain-messages")
        base_file = gpg_baseline(home / "gnupg", [large], work / "plain-file")
        synced_messages = gpg_baseline(
            home / "gnupg", messages, work / "synced-messages", sync=True
        )
        synced_file = gpg_baseline(home / "gnupg", [large], work / "synced-file", sync=True)
        base_pipeline = pipeline_baseline(home / "gnupg", large, work / "plain-pipeline")
        got_messages = reader_import(home, work / "vault", work / "messages.zip")
        got_file = reader_import(home, work / "vault", work / "file.zip")

        print(f"{args.messages} messages and one {args.file_mb} MiB file (random bytes)")
        rss = [
            line(f"{args.messages} messages", base_messages, got_messages),
            line(f"{args.file_mb} MiB file", base_file, got_file),
        ]
        total = float(got_messages["seconds"]) + float(got_file["seconds"])
        base = base_messages[0] + base_file[0]
        print(f"{'both':<22} gpg --decrypt {base:7.2f} s | reader {total:7.2f} s | ratio "
              f"{total / base:4.2f} | target ratio <= {TARGET_RATIO}")  # fmt: skip
        print(f"reader peak RSS {max(rss):.1f} MB (target < {TARGET_RSS_MB} MB)")
        for name, synced, got in (
            ("messages", synced_messages, got_messages),
            ("file", synced_file, got_file),
        ):
            print(
                f"{name}: gpg --decrypt with each output synced (as durable as the vault) "
                f"{synced[0]:.2f} s: reader ratio {float(got['seconds']) / synced[0]:.2f}"
            )
        file_seconds = float(got_file["seconds"])
        print(
            f"the file by shell tools (sha256sum; gpg --decrypt | gunzip; fsync) "
            f"{base_pipeline:.2f} s: reader/pipeline ratio {file_seconds / base_pipeline:.2f}"
        )
        with Vault.open(work / "vault") as vault:
            [filed] = vault.conversation(FILE_SOURCE)
            count = len(vault.conversation(MESSAGES_SOURCE))
        intact = sha256_of(filed.path) == file_sha and count == args.messages
        print(f"what the reader filed matches what was encrypted: {intact}")
        problems = [r for r in (got_messages, got_file) if r["failed"] or r["refused"]]
        return 0 if intact and not problems else 1
    finally:
        subprocess.run(["gpgconf", "--homedir", str(work / "h" / "gnupg"), "--kill", "gpg-agent"],
                       check=False)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child_import(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--file-mb", type=int, default=500, help="the large file, in MiB")
    parser.add_argument("--dir", default=None, help="where to work (default: $TMPDIR or /tmp)")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
