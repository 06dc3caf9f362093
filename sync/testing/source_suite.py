"""The contract every source keeps, as a pytest class to subclass."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sync.contract import Source
from sync.errors import FatalError, RetriableError, TargetError
from sync.model import Roster, RunStatus, Severity
from sync.testing.applicability import Suite, provide
from sync.testing.fakes import MemoryTarget
from sync.testing.kit import PluginKit

#: ``source_fault(kind)``: make the source's input fail from now on, ``"fatal"`` (a file
#: gone, credentials refused) or ``"retriable"`` (the far side answering 503).
SourceFault = Callable[[str], None]


class SourceContract(Suite):
    """What every source must do, read directly and through the engine.

    Provide ``source_kit``: a ``PluginKit.for_source(tmp_path, table, plugins=[...])``
    with the source's input in place. Optionally provide ``source_fault`` (see
    ``SourceFault``) and ``bad_record`` (a callable that spoils one record of the input);
    a test that needs one the plugin cannot give is listed in ``not_applicable`` with why.
    """

    @pytest.fixture
    def source(self, source_kit: PluginKit) -> Source:
        return source_kit.source()

    @pytest.fixture
    def source_fault(self) -> SourceFault | None:
        return None

    @pytest.fixture
    def bad_record(self) -> Callable[[], None] | None:
        return None

    # -- reading --------------------------------------------------------------
    def test_read_returns_a_source_read(self, source: Source) -> None:
        read = source.read()
        assert isinstance(read.roster, Roster)
        assert isinstance(read.issues, tuple)

    def test_memberships_and_grants_name_defined_groups(self, source: Source) -> None:
        roster = source.read().roster
        for m in roster.memberships:
            assert m.group in roster.groups, f"membership {m} names an undefined group"
        for g in roster.grants:
            assert g.group in roster.groups, f"grant {g} names an undefined group"

    def test_people_are_keyed_by_their_id(self, source: Source) -> None:
        roster = source.read().roster
        for key, person in roster.people.items():
            assert key == person.id and person.id.strip() == person.id and person.id

    def test_groups_are_keyed_and_named(self, source: Source) -> None:
        for key, group in source.read().roster.groups.items():
            assert key == group.key and group.name

    def test_reading_twice_gives_the_same_roster(self, source: Source) -> None:
        first, second = source.read().roster, source.read().roster
        assert first == second

    def test_rejected_records_are_counted_among_the_records_and_reported(
        self, source: Source
    ) -> None:
        read = source.read()
        assert 0 <= read.rejected <= read.records, "rejected records are among the records"
        if read.rejected:
            assert any(i.severity is Severity.ERROR for i in read.issues)

    def test_close_after_a_read(self, source: Source) -> None:
        source.read()
        source.close()

    # -- through the engine ---------------------------------------------------
    def test_a_run_applies_what_the_source_read(self, source_kit: PluginKit) -> None:
        roster = source_kit.source().read().roster
        outcome = source_kit.run()
        assert outcome.status in (RunStatus.OK, RunStatus.PARTIAL), outcome.error
        target = source_kit.stand_ins.target
        assert target.managed == set(roster.groups)
        assert {m for m in target.members} == {(m.group, m.person) for m in roster.memberships}

    def test_a_dry_run_writes_nothing(self, source_kit: PluginKit) -> None:
        source_kit.run()  # the store, and every schema, in place
        source_kit.stand_ins.target = MemoryTarget()  # so that the dry run plans it all again
        before = source_kit.snapshot()
        outcome = source_kit.run(dry_run=True)
        assert outcome.run_id is None
        assert source_kit.stand_ins.target.calls == []
        assert source_kit.snapshot() == before

    def test_staged_state_is_saved_only_when_the_run_succeeds(self, source_kit: PluginKit) -> None:
        source_kit.stand_ins.target = MemoryTarget(fail_read=TargetError("401 token revoked"))
        before = source_kit.snapshot(engine_tables=False)
        assert source_kit.run().status is RunStatus.FAILED
        assert source_kit.stored_state() == {}, "a failed run must not save the source's state"
        assert source_kit.snapshot(engine_tables=False) == before, (
            "a source keeps what it needs next time in context.state, not in its own tables"
        )
        source, state = source_kit.source_with_state()  # read from the same (empty) state
        source.read()
        source.close()
        source_kit.stand_ins.target = MemoryTarget()
        assert source_kit.run().status in (RunStatus.OK, RunStatus.PARTIAL)
        assert set(source_kit.stored_state()) == set(state.staged), (
            "a run that succeeds saves what the source put in context.state"
        )

    # -- errors ---------------------------------------------------------------
    def test_a_fatal_error_fails_the_run_and_the_target_is_not_touched(
        self, source_kit: PluginKit, source_fault: SourceFault | None
    ) -> None:
        if source_fault is None:
            provide(
                "source_fault", "test_a_fatal_error_fails_the_run_and_the_target_is_not_touched"
            )
        source_fault("fatal")
        with pytest.raises(FatalError):
            source_kit.source().read()
        outcome = source_kit.run()
        assert outcome.status is RunStatus.FAILED and outcome.error
        assert "unexpected error" not in outcome.error
        target = source_kit.stand_ins.target
        assert target.reads == 0 and target.calls == []
        assert source_kit.stored_state() == {}

    def test_a_passing_fault_is_retried_or_raised_as_retriable(
        self, source_kit: PluginKit, source_fault: SourceFault | None
    ) -> None:
        if source_fault is None:
            provide("source_fault", "test_a_passing_fault_is_retried_or_raised_as_retriable")
        source_fault("retriable")
        try:
            read = source_kit.source().read()
        except RetriableError:
            outcome = source_kit.run()
            assert outcome.status is RunStatus.FAILED and "after retries" in outcome.error
            assert source_kit.stand_ins.target.calls == []
        else:
            assert read.retries > 0, "a source that got through a passing fault counts retries"

    def test_a_bad_record_is_skipped_and_the_rest_are_read(
        self, source_kit: PluginKit, bad_record: Callable[[], None] | None
    ) -> None:
        if bad_record is None:
            provide("bad_record", "test_a_bad_record_is_skipped_and_the_rest_are_read")
        good = source_kit.source().read()
        bad_record()
        read = source_kit.source().read()
        assert read.rejected > good.rejected
        errors = [i for i in read.issues if i.severity is Severity.ERROR]
        assert len(errors) > len([i for i in good.issues if i.severity is Severity.ERROR])
        assert read.roster.people and read.roster.groups, "the other records are still read"
