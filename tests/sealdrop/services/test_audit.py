"""The audit trail: entries chain, and an edited or removed entry shows."""

from __future__ import annotations

from sqlalchemy import text

from sealdrop.runtime.instance import Instance
from sealdrop.services import audit
from tests.sealdrop.services.journalist_helpers import TODAY


def three_entries(instance: Instance) -> None:
    with instance.sessions() as session:
        for action in ("add journalist", "reset 2fa", "delete"):
            audit.record(session, actor="boss", action=action, target="dana", today=TODAY)
        session.commit()


def test_entries_chain_and_read_newest_first(instance: Instance) -> None:
    three_entries(instance)
    with instance.sessions() as session:
        entries = audit.recent(session)
        assert [e.action for e in entries] == ["delete", "reset 2fa", "add journalist"]
        assert entries[-1].previous_digest == audit.GENESIS
        assert entries[0].previous_digest == entries[1].digest
        assert audit.broken_links(session) == []


def test_an_edited_entry_breaks_the_chain(instance: Instance) -> None:
    three_entries(instance)
    with instance.sessions() as session:
        session.execute(
            text("UPDATE audit_events SET actor = 'someone else' WHERE action = 'reset 2fa'")
        )
        session.commit()
        assert audit.broken_links(session) == ["audit entry 2: its content was changed"]


def test_a_removed_entry_breaks_the_chain(instance: Instance) -> None:
    three_entries(instance)
    with instance.sessions() as session:
        session.execute(text("DELETE FROM audit_events WHERE action = 'reset 2fa'"))
        session.commit()
        assert audit.broken_links(session) == ["audit entry 3: does not follow the entry before it"]
