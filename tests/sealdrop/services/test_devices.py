"""Journalist devices: only the public half kept, the spool Tor's sync reads, revocation that
fails closed, and accounts that cannot be deleted with their devices still authorized."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from onion.keys import parse_auth_line
from sealdrop.crypto.device_keys import DeviceKeyPair
from sealdrop.db.models import JournalistDevice
from sealdrop.errors import AccountInvalid, DeviceInvalid, DeviceSpoolUnwritable
from sealdrop.runtime import startup
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import Instance
from sealdrop.services import devices, journalists
from tests.conftest import DATABASES
from tests.harness import ConfigFactory, ReaderKeys
from tests.sealdrop.services.journalist_helpers import TODAY, add_journalist

VECTOR = json.loads((Path(__file__).parents[2] / "vectors" / "device_keys.json").read_text())
ONION = VECTOR["onion"]


@pytest.fixture(params=DATABASES)
def onion_instance(
    request: pytest.FixtureRequest, make_config: ConfigFactory, reader_keys: ReaderKeys
) -> Iterator[Instance]:
    database_url = request.getfixturevalue("postgres_url") if request.param != "sqlite" else None
    with make_config.instance(
        submission_key=reader_keys.public_key,
        database_url=database_url,
        extra={"SEALDROP_JOURNALIST_ONION": ONION},
    ) as opened:
        yield opened


def spooled(inst: Instance) -> dict[str, str]:
    spool = inst.config.device_spool
    return {path.name: path.read_text() for path in sorted(spool.glob("*"))}


def test_a_new_device_keeps_only_its_public_half_and_is_spooled(onion_instance: Instance) -> None:
    inst = onion_instance
    with inst.sessions() as session:
        dana = add_journalist(session, inst.config)
        created = devices.create(
            session, inst.config, journalist=dana, name=" work  laptop ", today=TODAY
        )
        session.commit()
        device = created.device
        assert (device.name, device.created_on) == ("work laptop", TODAY)
        address, _, _, private = created.private_line.split(":")
        assert address == ONION.removesuffix(".onion") and created.private_key == private
        # The private half gives the public half that is stored, and nothing else is.
        pair = DeviceKeyPair.from_private(base64.b32decode(private + "===="))
        assert device.public_key == pair.public_b32
        row = session.get(JournalistDevice, device.id)
        assert row is not None and private not in repr(vars(row))
    files = spooled(inst)
    assert list(files) == [f"{device.uuid}.auth"]
    assert parse_auth_line(files[f"{device.uuid}.auth"]) == pair.public_b32
    assert private not in "".join(files.values())
    path = inst.config.device_spool / f"{device.uuid}.auth"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(inst.config.device_spool.stat().st_mode) == 0o750


def test_names_are_checked_and_unique_per_journalist(onion_instance: Instance) -> None:
    inst = onion_instance
    with inst.sessions() as session:
        dana = add_journalist(session, inst.config)
        fox = add_journalist(session, inst.config, "fox")
        for bad in ["", "   ", "../etc", "a" * 65, "lap\x00top", "<b>"]:
            with pytest.raises(DeviceInvalid, match="device name"):
                devices.create(session, inst.config, journalist=dana, name=bad, today=TODAY)
        devices.create(session, inst.config, journalist=dana, name="phone", today=TODAY)
        with pytest.raises(DeviceInvalid, match="already has a device named 'phone'"):
            devices.create(session, inst.config, journalist=dana, name="phone", today=TODAY)
        devices.create(session, inst.config, journalist=fox, name="phone", today=TODAY)
        session.commit()
        assert [(d.journalist.username, d.name) for d in devices.everyone(session)] == [
            ("dana", "phone"),
            ("fox", "phone"),
        ]
    assert len(spooled(inst)) == 2


def test_revoking_takes_the_key_out_of_the_spool_before_the_commit(
    onion_instance: Instance,
) -> None:
    inst = onion_instance
    with inst.sessions() as session:
        dana = add_journalist(session, inst.config)
        kept = devices.create(session, inst.config, journalist=dana, name="a", today=TODAY).device
        gone = devices.create(session, inst.config, journalist=dana, name="b", today=TODAY).device
        session.commit()
        kept_uuid, gone_uuid = kept.uuid, gone.uuid
        devices.revoke(session, inst.config, gone)
        # Not committed yet, and already out of what Tor is told: a failed commit fails closed.
        assert list(spooled(inst)) == [f"{kept_uuid}.auth"]
        session.rollback()
        assert {d.uuid for d in devices.everyone(session)} == {kept_uuid, gone_uuid}
    with inst.sessions() as session:
        devices.revoke(session, inst.config, devices.by_uuid(session, gone_uuid))
        session.commit()
        assert [d.uuid for d in devices.everyone(session)] == [kept_uuid]


def test_an_account_with_devices_cannot_be_deleted_until_they_are_revoked(
    onion_instance: Instance,
) -> None:
    inst = onion_instance
    with inst.sessions() as session:
        dana = add_journalist(session, inst.config)
        devices.create(session, inst.config, journalist=dana, name="laptop", today=TODAY)
        session.commit()
        with pytest.raises(AccountInvalid, match="Revoke dana's devices"):
            journalists.remove(session, dana)
        session.rollback()
        described = devices.revoke_all_of(session, inst.config, dana)
        assert len(described) == 1 and described[0].startswith("dana: laptop (")
        journalists.remove(session, dana)
        session.commit()
    assert spooled(inst) == {}


def test_without_a_journalist_onion_no_key_is_made(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        with pytest.raises(DeviceInvalid, match="SEALDROP_JOURNALIST_ONION"):
            devices.create(session, instance.config, journalist=dana, name="laptop", today=TODAY)
    assert list(instance.config.device_spool.iterdir()) == []


def test_an_unwritable_spool_changes_nothing(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    with make_config.instance(
        submission_key=reader_keys.public_key, extra={"SEALDROP_JOURNALIST_ONION": ONION}
    ) as inst:
        inst.config.device_spool.rmdir()
        inst.config.device_spool.write_text("not a directory")
        with inst.sessions() as session:
            dana = add_journalist(session, inst.config)
            with pytest.raises(DeviceSpoolUnwritable, match="nothing was changed"):
                devices.create(session, inst.config, journalist=dana, name="laptop", today=TODAY)
            session.rollback()
            assert devices.everyone(session) == []


def test_restamp_leaves_only_days_on_the_spool(onion_instance: Instance) -> None:
    inst = onion_instance
    with inst.sessions() as session:
        dana = add_journalist(session, inst.config)
        devices.create(session, inst.config, journalist=dana, name="laptop", today=TODAY)
        session.commit()
    startup.restamp_instance(inst.config)
    spool = inst.config.device_spool
    for path in [spool, *spool.iterdir()]:
        assert path.stat().st_mtime % 86400 == 0, path


def test_init_rewrites_the_spool_from_the_database(onion_instance: Instance) -> None:
    """A restored instance (the archive has the database, not the spool) lets its devices in
    again after `sealdrop init`, and a key file no device stands behind is dropped."""
    inst = onion_instance
    with inst.sessions() as session:
        dana = add_journalist(session, inst.config)
        devices.create(session, inst.config, journalist=dana, name="laptop", today=TODAY)
        session.commit()
    before = spooled(inst)
    for path in inst.config.device_spool.iterdir():
        path.unlink()
    stray = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    (inst.config.device_spool / f"{stray}.auth").write_text("descriptor:x25519:" + "A" * 52 + "\n")

    initialise(inst.config, submission_key=None)

    assert spooled(inst) == before
