"""The virtual waiting room as a pytest fixture (import it: ``from room import room``).

A private PulseAudio (see :mod:`kiosk.bench.room`) is started once per test module; the test
process's audio (sounddevice -> PortAudio -> ALSA -> pulse plugin) is pointed at it. Tests
that use it are marked ``room``; they skip, with the reason, only where no sound server can
start (packages missing); in CI (root, Debian, script/setup) it starts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from kiosk.bench.room import ENV_KEYS, RoomUnavailable, SoundServer, unavailable_reason


@contextlib.contextmanager
def _private_sound_server() -> Iterator[SoundServer]:
    """A started private PulseAudio (or a skip with the reason), and the process's audio
    environment put back afterwards."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no sound server can start here: {reason}")
    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    server = SoundServer()
    try:
        server.start()
    except RoomUnavailable as err:
        server.stop()
        pytest.skip(f"no sound server can start here: {err}")
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def room() -> Iterator[SoundServer]:
    with _private_sound_server() as server:
        server.use()
        yield server


@pytest.fixture(scope="module")
def echo_room() -> Iterator[SoundServer]:
    """A room with a loudspeaker whose echo reaches the microphone the realistic way (delayed,
    band-filtered, with the waiting-room noise where ../shared/audio/noise is there), and
    PulseAudio's echo canceller (webrtc) between them, as on a Pi set up for voice barge-in
    (systemd/README.md). The process's default sink and source are the cancelled ones."""
    from kiosk.bench.live import default_noise
    from kiosk.bench.room import add_echo_cancel

    with _private_sound_server() as server:
        relay = add_echo_cancel(server, "realistic", default_noise())
        server.use()
        try:
            yield server
        finally:
            if relay is not None:
                relay.stop()
