"""Settings updates, bulk stars and enrolment on both databases: what changed, and audited."""

from __future__ import annotations

import time

import pyotp
import pytest

from sealdrop.errors import SettingsInvalid, TwoFactorInvalid
from sealdrop.runtime.instance import Instance
from sealdrop.services import conversations, enrolment, settings
from sealdrop.services.intake import require_open
from sealdrop.services.journalists import TwoFactor
from sealdrop.services.settings import SettingsChange
from tests.harness import source_with_a_message
from tests.sealdrop.services.journalist_helpers import add_journalist

SAME = SettingsChange("", True, 0, None, None)


def test_update_names_only_what_changed_and_refuses_looser_limits(instance: Instance) -> None:
    config = instance.config
    with instance.sessions() as session:
        assert settings.update(session, instance.store, config=config, change=SAME) == []
        change = SettingsChange("Planet", False, 5, config.max_upload_bytes // 2, None)
        changed = settings.update(session, instance.store, config=config, change=change)
        assert changed == [
            "organization_name",
            "allow_document_uploads",
            "min_message_length",
            "max_upload_bytes",
        ]
        session.commit()
        looser = SettingsChange("Planet", False, 5, config.max_upload_bytes + 1, None)
        with pytest.raises(SettingsInvalid, match="at most the configured"):
            settings.update(session, instance.store, config=config, change=looser)
        in_force = settings.limits(session, config)
        assert in_force.max_upload_bytes == config.max_upload_bytes // 2
        assert in_force.body_bytes == config.upload_body_bytes - config.max_upload_bytes // 2


def test_bulk_star_counts_the_sources_it_found(instance: Instance) -> None:
    with instance.sessions() as session:
        to = require_open(
            session, instance.store, instance.gpg, config=instance.config, incoming_bytes=0
        )
        login, _ = source_with_a_message(instance, session, "hi", recipients=to)
        uuid = login.source.uuid
        assert conversations.set_starred_many(session, [uuid, uuid, "nope"], starred=True) == 1
        assert conversations.source_by_uuid(session, uuid).is_starred
        assert conversations.set_starred_many(session, [], starred=False) == 0


def test_enrolment_installs_the_factor_only_with_its_code(instance: Instance) -> None:
    with instance.sessions() as session:
        journalist = add_journalist(session, instance.config, "erin")
        old = journalist.otp_secret
        new = TwoFactor.new_totp()
        with pytest.raises(TwoFactorInvalid):
            enrolment.confirm(
                session, journalist, second_factor=new, code="000000", now=time.time()
            )
        assert journalist.otp_secret == old
        now = time.time()
        code = pyotp.TOTP(new.secret).at(now)
        enrolment.confirm(session, journalist, second_factor=new, code=code, now=now)
        session.commit()
        assert journalist.otp_secret == new.secret and journalist.last_totp_step is not None
