"""The soak benchmark's machinery on a few turns: the whole kiosk (dialog, matcher, real
libvosk, real espeak-ng on the Speaker's threads), accelerated. ``kiosk bench --soak 2000``
reports the figures (RSS growth after warm-up)."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_a_short_soak_grows_no_threads_or_files(content, matcher):
    """Threads and open files do not grow with the turns; the sink keeps a bounded list."""
    from kiosk.bench.soak import run_soak

    result = run_soak(content, matcher, turns=120)
    assert result["soak_turns"] == 120 and result["soak_heard"] > 0 and result["soak_visits"] > 0
    first, last = result["soak_table"][0], result["soak_table"][-1]
    assert last["os_threads"] <= first["os_threads"] + 1 and last["fds"] <= first["fds"] + 2
    assert result["sink_events_kept"] <= 64
