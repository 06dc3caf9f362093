"""Safety gates between plan and apply: a plan that removes too much is held.

A held plan is kept with its run; ``rostersync approve ID`` applies exactly it (if
the target has not changed since) and ``rostersync reject ID`` drops it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sync.config import GuardsConfig, Thresholds
from sync.model import Plan
from sync.plan import removal_counts


@dataclass(frozen=True)
class GuardVerdict:
    """Whether the plan may be applied; ``reasons`` says what each tripped guard saw."""

    held: bool
    reasons: tuple[str, ...] = ()
    removals: dict[str, int] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _over(kind: str, removing: int, managed: int, limits: Thresholds) -> str | None:
    if limits.count is not None and removing > limits.count:
        return f"it would remove {removing} {kind}, more than the limit of {limits.count}"
    if (
        limits.percent is not None
        and managed >= limits.minimum
        and managed > 0
        and 100.0 * removing / managed > limits.percent
    ):
        share = 100.0 * removing / managed
        return (
            f"it would remove {removing} of {managed} managed {kind} ({share:.0f}%), "
            f"more than the limit of {limits.percent:g}%"
        )
    return None


def shrunk_sources(
    records: Mapping[str, int], last_good: Mapping[str, int], guards: GuardsConfig
) -> list[str]:
    """A reason for each source that read more than ``max_shrink_percent`` fewer records
    (and at least ``shrink_minimum`` fewer) than at its last successful read.

    This looks at the source, not the plan: a file cut at 95 % may remove few members
    from the target today (others' rows may still name them) and still be a cut file.
    """
    limit = guards.max_shrink_percent
    reasons = []
    for source, now in records.items():
        before = last_good.get(source)
        if not before or before - now < max(guards.shrink_minimum, 1):
            continue
        share = 100.0 * (before - now) / before
        if share > limit:
            reasons.append(
                f"source {source!r} read {now} records, {before - now} ({share:.0f}%) fewer "
                f"than the {before} of its last good read, more than the limit of {limit:g}%: "
                "a cut or half-written file? Check its input, or approve the run if this is "
                "meant"
            )
    return reasons


def check_guards(
    plan: Plan,
    guards: GuardsConfig,
    *,
    desired_empty: bool,
    allow_deletes: bool,
    emptied_sources: Sequence[tuple[str, int]] = (),
    lifted_blocks: int = 0,
    shrunk: Sequence[str] = (),
) -> GuardVerdict:
    """Hold the plan if the sources came back empty or it removes more than the thresholds.

    ``emptied_sources`` names sources that returned no groups although their last good
    read had some (with that count): far more often a failed read than an intent.
    ``lifted_blocks`` is how many fewer blocks the sources gave than at the last good
    run: on a target that cannot hide members a lifted block shows only as a grant
    given back, so it is counted here as well as by the target's block removals.
    ``shrunk`` are the reasons of ``shrunk_sources``: they hold the run whatever it removes.
    """
    removals = removal_counts(plan)
    removals["blocks"] = max(removals["blocks"], lifted_blocks)
    if allow_deletes:
        return GuardVerdict(held=False, removals=removals)
    reasons = list(shrunk)
    removes = any(removals.values())
    if removes and not guards.allow_empty:
        if desired_empty:
            reasons.append(
                "the sources returned no groups at all, which is far more often a failed read "
                "than an intent; set [sync.guards] allow_empty = true if it is meant"
            )
        for source, before in emptied_sources:
            reasons.append(
                f"source {source!r} returned no groups, but {before} last time; "
                "check its input, or approve the run if this is meant"
            )
    for kind, limits in (
        ("groups", guards.groups),
        ("memberships", guards.memberships),
        ("grants", guards.grants),
        ("profiles", guards.profiles),
        ("blocks", guards.blocks),
    ):
        found = _over(kind, removals[kind], plan.managed_counts.get(kind, 0), limits)
        if found:
            reasons.append(found)
    return GuardVerdict(held=bool(reasons), reasons=tuple(reasons), removals=removals)
