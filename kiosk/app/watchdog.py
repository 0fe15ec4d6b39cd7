"""Life signs for systemd, and a clean stop on SIGTERM.

The service is ``Type=notify`` with ``WatchdogSec=``: the kiosk says ``READY=1`` once it can
serve a visitor, then ``WATCHDOG=1`` from its main loop while that loop is healthy (audio keeps
arriving, speech keeps finishing). When the signs stop, systemd kills and restarts the kiosk.
The protocol is one datagram per message on the Unix socket named by ``$NOTIFY_SOCKET``, as
sd_notify(3) documents it (``@`` at the start means the abstract namespace); outside systemd
the variable is unset and every call does nothing.
"""

from __future__ import annotations

import _thread
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages to ``$NOTIFY_SOCKET`` (nothing when it is unset)."""

    def __init__(self, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_s = self._watchdog_seconds(env)

    @staticmethod
    def _watchdog_seconds(env: os._Environ[str] | dict[str, str]) -> float | None:
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
            return None
        return int(usec) / 1_000_000

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, message: str) -> bool:
        """Send one message; a failure is logged, never raised (the kiosk keeps talking)."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode("utf-8"), self.address)
            return True
        except OSError as err:
            log.warning("could not notify systemd (%s): %s", message.split("\n")[0], err)
            return False

    def ready(self, status: str = "serving visitors") -> bool:
        return self.send(f"READY=1\nSTATUS={status}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")


class Heartbeat:
    """Call it from the main loop whenever the loop made progress; it sends ``WATCHDOG=1`` at
    most every third of the watchdog interval (so a loop spinning fast costs nothing)."""

    def __init__(self, notifier: Notifier, clock: Callable[[], float] = time.monotonic):
        self.notifier = notifier
        self.clock = clock
        self.every_s = notifier.watchdog_s / 3 if notifier.watchdog_s else None
        self._last = float("-inf")

    def __call__(self) -> None:
        if self.every_s is None:
            return
        now = self.clock()
        if now - self._last >= self.every_s:
            self._last = now
            self.notifier.send("WATCHDOG=1")


class Stopped(SystemExit):
    """Raised in the main thread by SIGTERM: unwinds the loop (finally blocks save the
    statistics and close the sound) and ends the process with status 0."""

    def __init__(self) -> None:
        super().__init__(0)


@contextmanager
def stop_on_sigterm(notifier: Notifier | None = None) -> Iterator[None]:
    """While inside, SIGTERM (``systemctl stop``, a reboot) raises :class:`Stopped` in the
    main thread.

    Enter it before any thread starts: SIGTERM is blocked in this thread and so in every thread
    started from it, and one waiting thread takes it with ``sigwait`` and passes it on to the
    main thread. Otherwise the kernel may hand the signal to the sound thread, whose blocking
    write then fails half-way (PortAudio reports a host error) while the kiosk stops.
    """
    closing = threading.Event()

    def handle(signum: int, frame: object) -> None:
        if closing.is_set():
            return
        closing.set()
        log.info("SIGTERM: stopping")
        if notifier is not None:
            notifier.stopping()
        raise Stopped

    def wait_for_sigterm() -> None:
        signal.sigwait({signal.SIGTERM})
        if not closing.is_set():
            _thread.interrupt_main(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, handle)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    waiter = threading.Thread(target=wait_for_sigterm, name="kiosk-sigterm", daemon=True)
    waiter.start()
    try:
        yield
    finally:
        closing.set()
        if waiter.is_alive() and waiter.ident is not None:
            signal.pthread_kill(waiter.ident, signal.SIGTERM)  # wakes it; it does nothing
            waiter.join(1.0)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        signal.signal(signal.SIGTERM, previous)
