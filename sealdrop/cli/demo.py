"""`make demo`: a throwaway instance on 127.0.0.1 with a fresh demo Submission Key, its source
interface, and its journalist interface with one demo journalist.

The private half of the demo key lives in a separate "reader" keyring beside the data directory;
the server keeps no keyring at all, as on a real instance where the key stays on the reader.

With `--tor` and a Tor to talk to, both apps are also published as onion services, through
`sealdrop-onion` run as a process (the core never imports `onion/`); the onions live only as long
as that process holds its control connection, so they go when the demo does.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sealdrop.config import Config, load_config
from sealdrop.crypto import otp
from sealdrop.crypto.homes import Keyring
from sealdrop.domain import passphrases
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import devices, journalists
from sealdrop.services.journalists import Profile, TwoFactor


@dataclass(frozen=True)
class DemoJournalist:
    username: str
    passphrase: str
    otp_secret: str
    otp_uri: str


@dataclass(frozen=True)
class DemoOnions:
    source: str  # with .onion
    journalist: str
    client_key: str  # `<address>:descriptor:x25519:<key>`, the demo journalist's device key
    publisher: subprocess.Popen[str]


def _addresses(port: int, onions: DemoOnions | None) -> str:
    if onions is None:
        return f"""  Source interface:      http://127.0.0.1:{port}/
  Journalist interface:  http://127.0.0.1:{port + 1}/
"""
    private_key = onions.client_key.rsplit(":", 1)[1]
    return f"""  Source interface:      http://{onions.source}/   (Tor Browser)
  Journalist interface:  http://{onions.journalist}/   (needs the client key below)
    client key:  {onions.client_key}
                 (Tor Browser asks for {private_key};
                  a tor takes the whole line as demo.auth_private in its ClientOnionAuthDir)
  Only these names are served: 127.0.0.1:{port} and :{port + 1} answer 421, as in production.
"""


def _banner(
    base: Path, port: int, fingerprint: str, journalist: DemoJournalist, onions: DemoOnions | None
) -> str:
    reader = base / "reader-gpg"
    return f"""
Sealdrop demo is running (SQLite, throwaway data in {base}).

{_addresses(port, onions)}    username:    {journalist.username}
    passphrase:  {journalist.passphrase}
    TOTP secret: {journalist.otp_secret}   (add it to an authenticator app:
                 {journalist.otp_uri})
  Submission Key:        {fingerprint}
  Stored ciphertext:     {base / "data" / "store"}

Decrypt a submission as the newsroom's reader machine would:
  gpg --homedir {reader} --decrypt <file>.gpg      (files: ... | gunzip)

Press Ctrl-C to stop; everything above is deleted then.
"""


# Ways a demo is told to stop besides Ctrl-C: `kill`, a closed terminal, a supervisor.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    """Raised in the main thread by a stop signal, so every `finally` below still runs."""


def _raise_stop(signum: int, _frame: object) -> None:
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)  # one stop is enough; a second must not cut clean-up
    raise _Stop(signal.Signals(signum).name)


def run(*, port: int, tor: bool = False, tor_control: str | None = None) -> int:
    """Serve a throwaway instance until stopped; its directory, with the demo private key and
    its gpg-agents, is removed whether it ends by Ctrl-C, SIGTERM or SIGHUP."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    base = Path(tempfile.mkdtemp(prefix="sealdrop-demo-"))
    try:
        return _run_in(base, port, tor=tor, tor_control=tor_control)
    except _Stop:
        return 0
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        shutil.rmtree(base, ignore_errors=True)


def _demo_journalist(config: Config) -> DemoJournalist:
    """An admin account the demo prints, so a newcomer can log in to the newsroom side."""
    passphrase = passphrases.suggest()
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            journalist = journalists.create(
                session,
                profile=Profile("demo", "Demo", "Journalist", is_admin=True),
                passphrase=passphrase,
                second_factor=TwoFactor.new_totp(),
                cost=journalists.argon2_cost(config),
                today=dt.datetime.now(dt.UTC).date(),
            )
            session.commit()
            uri = otp.provisioning_uri(
                journalist.otp_secret, account="demo", issuer=config.instance_name
            )
            return DemoJournalist("demo", passphrase, journalist.otp_secret, uri)
    finally:
        inst.close()


def _serve(app: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Through `sealdrop serve`, so the demo runs with the same checks and process limits.
    return subprocess.Popen(  # noqa: S603 - this interpreter, our CLI, an app named here
        [sys.executable, "-m", "sealdrop.cli", "serve", app], env={**os.environ, **env}
    )


def _onion_argv(base: Path, control: str | None, *args: str) -> list[str]:
    argv = [sys.executable, "-m", "onion", "--state-dir", str(base / "data" / "onion")]
    return argv + (["--control", control] if control else []) + list(args)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    return lines[-1].removeprefix("sealdrop-onion: ") if lines else "no answer"


def _demo_device(config: Config) -> str:
    """A device key for the demo journalist, made through the core; its private line."""
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            owner = journalists.by_username(session, "demo")
            if owner is None:  # never: the demo journalist is made first
                raise RuntimeError("the demo journalist is missing")
            created = devices.create(
                session, config, journalist=owner, name="demo", today=dt.datetime.now(dt.UTC).date()
            )
            session.commit()
            return str(created.private_line)
    finally:
        inst.close()


def _publish_onions(
    base: Path, port: int, control: str | None, env: dict[str, str]
) -> DemoOnions | None:
    """Both onions through the Tor found, or None (after one line saying why) without one."""

    def onion(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - this interpreter, the onion CLI, fixed arguments
            _onion_argv(base, control, *args),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    checked = onion("check")
    if checked.returncode != 0:
        print(f"No Tor: {_one_line(checked.stderr)}; serving on 127.0.0.1 only.", flush=True)
        return None
    addresses = dict(line.split() for line in onion("address").stdout.splitlines())
    # The demo journalist's device key is made as an admin makes one (the admin pages work too):
    # the publisher follows the device spool while it holds the onions.
    config = load_config({**env, "SEALDROP_JOURNALIST_ONION": addresses["journalist"]})
    client_key = _demo_device(config)
    publisher = subprocess.Popen(  # noqa: S603 - as above; it holds the onions while it runs
        _onion_argv(
            base,
            control,
            "publish",
            "--hold",
            "--clients-from",
            str(config.device_spool),
            "--source-target",
            f"127.0.0.1:{port}",
            "--journalist-target",
            f"127.0.0.1:{port + 1}",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = publisher.stdout, publisher.stderr
    if out is None or err is None:  # never: both are pipes
        raise RuntimeError("the onion publisher has no pipes")
    print("Publishing the onion services through Tor...", flush=True)
    while line := out.readline():
        if line.strip() == "ready":
            return DemoOnions(addresses["source"], addresses["journalist"], client_key, publisher)
    failure = _one_line(err.read())
    publisher.wait()
    print(f"Tor did not publish: {failure}; serving on 127.0.0.1 only.", flush=True)
    return None


def _run_in(base: Path, port: int, *, tor: bool, tor_control: str | None) -> int:
    reader = Keyring(base / "reader-gpg")
    try:
        fingerprint = reader.generate_reader_key_pair("Sealdrop demo newsroom")
        env = {
            "SEALDROP_DATA_DIR": str(base / "data"),
            "SEALDROP_INSTANCE_NAME": "Sealdrop demo",
            "SEALDROP_SOURCE_BIND": f"127.0.0.1:{port}",
            "SEALDROP_JOURNALIST_BIND": f"127.0.0.1:{port + 1}",
            "SEALDROP_MIN_FREE_BYTES": "0",
        }
        initialise(load_config(env), submission_key=reader.export_public_key(fingerprint))
        journalist = _demo_journalist(load_config(env))
        onions = _publish_onions(base, port, tor_control, env) if tor else None
        if onions is not None:
            env["SEALDROP_SOURCE_ONION"] = onions.source
            env["SEALDROP_JOURNALIST_ONION"] = onions.journalist
        print(_banner(base, port, fingerprint, journalist, onions), flush=True)
        servers = [_serve("source", env), _serve("journalist", env)]
        try:
            while all(server.poll() is None for server in servers):
                time.sleep(0.5)
            return max(server.poll() or 0 for server in servers)
        except (KeyboardInterrupt, _Stop):
            return 0
        finally:
            for server in servers:
                if server.poll() is None:
                    server.terminate()
            for server in servers:
                server.wait(timeout=15)
            if onions is not None:
                _stop_publisher(onions.publisher)
    finally:
        reader.close()


def _stop_publisher(publisher: subprocess.Popen[str]) -> None:
    """Its control connection closes, and tor removes both onions."""
    if publisher.poll() is None:
        publisher.terminate()
    try:
        publisher.wait(timeout=15)
    except subprocess.TimeoutExpired:
        publisher.kill()
        publisher.wait()
    for stream in (publisher.stdout, publisher.stderr):
        if stream is not None:
            stream.close()
