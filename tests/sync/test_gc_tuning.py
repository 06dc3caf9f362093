"""The garbage collector thresholds the entry points raise while they work."""

from __future__ import annotations


def test_overlapping_runs_restore_the_collector_thresholds_once_all_are_done() -> None:
    import gc

    from sync.gc_tuning import few_gc_passes

    before = gc.get_threshold()
    first, second = few_gc_passes(), few_gc_passes()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first run ends while the second goes on
    assert gc.get_threshold() == (100_000, 50, 100)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
