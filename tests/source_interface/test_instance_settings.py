"""The admin's settings as sources meet them: a minimum message length, and upload and
free-space limits that can only be stricter than the configuration."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from sealdrop.db.models import Source, Submission
from sealdrop.runtime.instance import Instance
from sealdrop.services.settings import instance_settings, limits
from tests.source_interface.actions import SourceActions, flashes_on, page

TOO_SHORT = (
    "Your message is too short: this instance asks for at least 20 characters. "
    "Nothing was sent; add some detail and send it again."
)


def configure(inst: Instance, **values: object) -> None:
    with inst.sessions() as session:
        row = instance_settings(session)
        for name, value in values.items():
            setattr(row, name, value)
        session.commit()


def stored(inst: Instance) -> list[Submission]:
    with inst.sessions() as session:
        return list(session.scalars(select(Submission)))


def test_a_short_message_is_refused_with_the_minimum_and_kept_in_the_form(
    source: SourceActions, source_instance: Instance
) -> None:
    configure(source_instance, min_message_length=20)
    source.create()
    assert "at least 20 characters" in page(source.client.get("/lookup"))
    response = source.submit("too short")
    assert response.status_code == 400
    assert flashes_on(response) == [TOO_SHORT]
    assert "too short</textarea>" in page(response)
    assert stored(source_instance) == []
    with source_instance.sessions() as session:
        assert session.scalars(select(Source)).all() == []
    assert source.submit("a message of twenty characters or more").status_code == 302
    assert len(stored(source_instance)) == 1


def test_the_minimum_counts_written_characters_and_spares_file_only_submissions(
    source: SourceActions, source_instance: Instance
) -> None:
    configure(source_instance, min_message_length=20)
    source.create()
    assert source.submit("   short    ").status_code == 400
    assert source.submit("", [(b"a document", "doc.txt")]).status_code == 302
    assert [s.kind for s in stored(source_instance)] == ["file"]


def test_the_refusal_is_translated(source: SourceActions, source_instance: Instance) -> None:
    configure(source_instance, min_message_length=20)
    source.client.get("/?l=fr")  # the choice sticks to the session
    source.create()
    assert "Un message compte au moins 20\u00a0caractères." in page(source.client.get("/lookup"))
    response = source.submit("court")
    assert response.status_code == 400
    assert flashes_on(response)[0].startswith("Votre message est trop court\u00a0: ")


def test_a_lower_upload_limit_refuses_larger_uploads(
    source: SourceActions, source_instance: Instance
) -> None:
    configure(source_instance, max_upload_bytes=1000)
    source.create()
    assert "1.0 kB" in page(source.client.get("/lookup"))
    response = source.submit("", [(b"x" * 5000, "big.bin")])
    assert response.status_code == 413
    assert stored(source_instance) == []
    assert source.submit("", [(b"x" * 500, "small.bin")]).status_code == 302


def test_a_setting_cannot_raise_the_configured_upload_limit(
    source: SourceActions, source_instance: Instance
) -> None:
    configured = source_instance.config.max_upload_bytes
    configure(source_instance, max_upload_bytes=configured * 10)
    source.create()
    assert page(source.client.get("/lookup")).count("Up to") == 1
    with source_instance.sessions() as session:
        assert limits(session, source_instance.config).max_upload_bytes == configured


def test_a_higher_free_space_floor_pauses_submissions(
    source: SourceActions, source_instance: Instance
) -> None:
    free = shutil.disk_usage(source_instance.store.root).free
    configure(source_instance, min_free_bytes=free * 2)
    source.create()
    response = source.submit("a message")
    assert response.status_code == 503
    assert stored(source_instance) == []
    configure(source_instance, min_free_bytes=0)  # a lower floor than configured changes nothing
    assert source.submit("a message").status_code == 302


@pytest.mark.parametrize("minimum", [0, 1])
def test_no_minimum_takes_any_message(
    source: SourceActions, source_instance: Instance, minimum: int
) -> None:
    configure(source_instance, min_message_length=minimum)
    source.create()
    assert source.submit("x").status_code == 302
