"""service/gcpause.py: the collector is paused inside and restored as it was."""

from __future__ import annotations

import gc

import pytest

from service.gcpause import collector_paused


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_inside_and_restored_after(enabled_before):
    was = gc.isenabled()
    (gc.enable if enabled_before else gc.disable)()
    try:
        with collector_paused():
            assert not gc.isenabled()
            made = [object() for _ in range(100)]
        assert gc.isenabled() is enabled_before
        assert gc.get_freeze_count() >= len(made)  # what existed is out of the collector's sight
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()


def test_the_collector_is_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.unfreeze()
