"""sd_notify: READY=1 and WATCHDOG=1 reach a real Unix datagram socket (the stand-in for
systemd's $NOTIFY_SOCKET), and the watchdog pings stop when the runner's loop is stuck.

The runner here idles with no wake phrase and no button, so it only reads audio and feeds the
recogniser test double; whole conversations are tested in test_conversation.py, and the real
`kiosk run` notifies the socket in test_sigterm.py."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from voice_fixtures import FakeRecognizer

from kiosk.app.runner import EndOfInput, Runner
from kiosk.app.watchdog import Heartbeat, Notifier


class SystemdNotifySocketStandIn:
    """What systemd listens on for a Type=notify service: a Unix datagram socket. Collects
    the messages in a thread."""

    def __init__(self, path: Path | str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path) if not str(path).startswith("@") else "\0" + str(path)[1:])
        self.sock.settimeout(0.05)
        self.address = str(path)
        self.messages: list[tuple[float, str]] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        while not self._closed.is_set():
            try:
                data = self.sock.recv(4096)
            except (TimeoutError, OSError):
                continue
            self.messages.append((time.monotonic(), data.decode()))

    def env(self, watchdog_s: float | None = None) -> dict[str, str]:
        env = {"NOTIFY_SOCKET": self.address}
        if watchdog_s:
            env["WATCHDOG_USEC"] = str(int(watchdog_s * 1_000_000))
        return env

    def received(self, text: str, after: float = 0.0) -> list[float]:
        return [t for t, m in self.messages if t >= after and text in m.split("\n")]

    def close(self) -> None:
        self._closed.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def systemd(tmp_path):
    stand_in = SystemdNotifySocketStandIn(tmp_path / "notify")
    yield stand_in
    stand_in.close()


def wait_until(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_ready_and_status_reach_the_socket(systemd):
    notifier = Notifier(systemd.env())
    assert notifier.ready("serving visitors") and notifier.stopping()
    assert wait_until(lambda: len(systemd.messages) == 2)
    assert systemd.messages[0][1] == "READY=1\nSTATUS=serving visitors"
    assert systemd.messages[1][1] == "STOPPING=1"


def test_abstract_socket_addresses_work():
    stand_in = SystemdNotifySocketStandIn(f"@kiosk-test-{os.getpid()}")
    try:
        assert Notifier(stand_in.env()).ready()
        assert wait_until(lambda: stand_in.received("READY=1"))
    finally:
        stand_in.close()


def test_outside_systemd_nothing_is_sent_and_nothing_fails():
    notifier = Notifier({})
    assert not notifier.enabled and not notifier.ready()
    Heartbeat(notifier)()  # no watchdog: a no-op


def test_watchdog_for_another_process_is_not_ours(systemd):
    env = dict(systemd.env(1.0), WATCHDOG_PID="1")
    assert Notifier(env).watchdog_s is None


class HangingMicrophoneDouble:
    """Audio source double: blocks of silence in real time until ``hang`` is set; then a read
    that never returns (a driver call that hangs) until ``end``, which ends the input."""

    def __init__(self) -> None:
        self.hang = threading.Event()
        self.end = threading.Event()

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        if self.end.is_set():
            raise EndOfInput
        if self.hang.is_set():
            self.end.wait()
            raise EndOfInput
        time.sleep(0.02)
        return np.zeros(320, dtype=np.int16)


class IdleDialogDouble:
    """Nobody starts a visit in this test, so the dialog is never asked anything."""

    def handle(self, event):
        raise AssertionError(f"no visit was started, yet the dialog got {event}")


class SilentSpeechDouble:
    settings = None

    def start(self, utterances, start=0) -> None: ...
    def wait(self, timeout=None): return True
    def stop(self) -> None: ...


def test_watchdog_pings_arrive_while_audio_flows_and_stop_when_the_loop_hangs(systemd):
    notifier = Notifier(systemd.env(watchdog_s=0.3))  # a ping at most every 0.1 s
    source = HangingMicrophoneDouble()
    runner = Runner(IdleDialogDouble(), FakeRecognizer([], utterance_seconds=1e6),  # type: ignore[arg-type]
                    source=source, speech=SilentSpeechDouble())
    runner.on_tick = Heartbeat(notifier)  # as kiosk run wires it
    thread = threading.Thread(target=runner.run, daemon=True)
    notifier.ready()
    started = time.monotonic()
    thread.start()
    try:
        assert wait_until(lambda: len(systemd.received("WATCHDOG=1")) >= 5)
        assert systemd.received("READY=1")
        source.hang.set()
        stalled = time.monotonic() + 0.1  # a ping already on its way may still arrive
        time.sleep(1.0)  # more than three watchdog intervals
        assert systemd.received("WATCHDOG=1", after=stalled) == []
        healthy = systemd.received("WATCHDOG=1")
        gaps = [b - a for a, b in zip([started, *healthy], healthy, strict=False)]
        assert max(gaps) < 0.3  # while healthy, never a gap the watchdog would punish
    finally:
        source.end.set()
        thread.join(2.0)
    assert not thread.is_alive()
