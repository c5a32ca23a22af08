"""gctune: a scan run as a library call leaves the collector as it found it."""

from __future__ import annotations

import gc

from privlint.gctune import BULK_THRESHOLD, bulk_work


def test_bulk_work_restores_the_collector() -> None:
    before = gc.get_threshold()
    with bulk_work():
        assert gc.get_threshold() == BULK_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
