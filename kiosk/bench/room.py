"""The virtual waiting room: a private PulseAudio sound server with a null sink as the room.

The kiosk plays into the room (the null sink ``room``) and listens to it (its monitor) through
PortAudio -> ALSA -> the ``pulse`` plugin of libasound2-plugins, so the real ``sounddevice``
code paths run without a sound card. A "visitor" plays WAVs into the same room in real time
(``paplay``), so the kiosk hears itself exactly as on a Pi without echo cancellation.

The server is private: its own runtime folder (``XDG_RUNTIME_DIR``, ``PULSE_RUNTIME_PATH``),
its own socket (``PULSE_SERVER``), no D-Bus, no autospawn, nothing loaded but what is named
here (``-n``). It runs as the calling user; as root PulseAudio only warns ("not intended to be
run as root unless --system") and works, which is what CI (root on a clean Debian machine)
does. Nothing of the machine's own audio set-up is touched.

Used by the tests (``tests/room.py``), by ``kiosk bench --room`` and by ``script/room``.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

log = logging.getLogger(__name__)

ROOM_SINK = "room"
RATE = 16000
#: The Debian packages the room needs (also in script/setup's apt list).
PACKAGES = ("pulseaudio", "pulseaudio-utils", "libasound2-plugins")


#: The variables that point a client at the room (see :attr:`SoundServer.env`).
ENV_KEYS = ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH", "PULSE_SERVER",
            "PULSE_COOKIE")


class RoomUnavailable(RuntimeError):
    """No sound server can be started here (the reason is the message)."""


def unavailable_reason() -> Optional[str]:
    """Why no room can be started on this machine, or None when it can."""
    for program in ("pulseaudio", "pactl", "paplay"):
        if shutil.which(program) is None:
            return f"{program} not found (apt-get install {' '.join(PACKAGES)})"
    if not Path("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so").exists() \
            and not any(Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so")):
        return "the ALSA pulse plugin is missing (apt-get install libasound2-plugins)"
    return None


class SoundServer:
    """A private PulseAudio with one null sink, ``room`` (16 kHz mono), as the waiting room.

    ``start()`` returns when the server answers ``pactl info``; ``env`` holds the variables a
    client needs (set them with :meth:`use` in this process). :meth:`kill` ends it hard (to
    test recovery), :meth:`start` again brings it back with the same socket and modules.
    """

    def __init__(self, runtime_dir: Optional[Path] = None, extra_modules: Sequence[str] = ()):
        self._own_dir = runtime_dir is None
        self.dir = Path(runtime_dir or tempfile.mkdtemp(prefix="kiosk-room-"))
        self.socket = self.dir / "pulse" / "native"
        self.extra_modules = list(extra_modules)
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.log_path = self.dir / "pulseaudio.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            "XDG_RUNTIME_DIR": str(self.dir),
            "PULSE_RUNTIME_PATH": str(self.dir / "pulse"),
            "PULSE_STATE_PATH": str(self.dir / "state"),
            "PULSE_SERVER": f"unix:{self.socket}",
            # No cookie is needed (auth-anonymous on a private socket); keep PulseAudio from
            # writing one into the real home folder.
            "PULSE_COOKIE": str(self.dir / "cookie"),
        }

    def start(self, timeout_s: float = 10.0) -> "SoundServer":
        reason = unavailable_reason()
        if reason:
            raise RoomUnavailable(reason)
        (self.dir / "pulse").mkdir(parents=True, exist_ok=True)
        (self.dir / "state").mkdir(parents=True, exist_ok=True)
        modules = [
            f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
            f"module-null-sink sink_name={ROOM_SINK} rate={RATE} channels=1 "
            "sink_properties=device.description=waiting-room",
            *self.extra_modules,
        ]
        command = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                   "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr",
                   "--log-level=error", *[f"--load={m}" for m in modules]]
        env = {**os.environ, **self.env, "HOME": str(self.dir)}
        with self.log_path.open("ab") as logfile:
            self.process = subprocess.Popen(command, env=env, stdout=logfile, stderr=logfile,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RoomUnavailable(f"pulseaudio exited ({self.process.returncode}): "
                                      f"{self.log_path.read_text(errors='replace')[-400:]}")
            if self.socket.exists() and self._pactl_ok():
                return self
            time.sleep(0.05)
        self.kill()
        raise RoomUnavailable(f"pulseaudio did not answer within {timeout_s:g} s")

    def _pactl_ok(self) -> bool:
        result = subprocess.run(["pactl", "info"], env={**os.environ, **self.env},
                                capture_output=True, timeout=5)
        return result.returncode == 0

    def pactl(self, *args: str) -> str:
        """Run ``pactl ARGS`` against this server; its output (raises on failure)."""
        result = subprocess.run(["pactl", *args], env={**os.environ, **self.env},
                                capture_output=True, text=True, timeout=10)
        if result.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout.strip()

    def module_id(self, name: str) -> Optional[str]:
        for line in self.pactl("list", "short", "modules").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1] == name and (name != "module-null-sink"
                                                           or f"sink_name={ROOM_SINK}" in parts[2]):
                return parts[0]
        return None

    def remove_room(self) -> None:
        """Unload the room's null sink: the kiosk's microphone (its monitor) disappears."""
        module = self.module_id("module-null-sink")
        if module is not None:
            self.pactl("unload-module", module)

    def restore_room(self) -> None:
        self.pactl("load-module", "module-null-sink", f"sink_name={ROOM_SINK}", f"rate={RATE}",
                   "channels=1")
        self.pactl("set-default-sink", ROOM_SINK)
        self.pactl("set-default-source", f"{ROOM_SINK}.monitor")

    def play(self, wav: Path, device: str = ROOM_SINK) -> "subprocess.Popen[bytes]":
        """A visitor speaks: play ``wav`` into the room in real time (returns the process)."""
        return subprocess.Popen(["paplay", f"--device={device}", "--latency-msec=20", str(wav)],
                                env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def use(self) -> None:
        """Point this process's audio (libpulse via the ALSA plugin) at this server, and make
        PortAudio list its devices again so that the ``pulse`` device is there."""
        os.environ.update(self.env)
        try:
            import sounddevice as sd
        except OSError:
            return
        sd._terminate()  # PortAudio lists devices once, when it starts
        sd._initialize()

    def kill(self) -> None:
        """End the server hard (as a crash would); :meth:`start` brings it back."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
        if self.socket.exists():
            self.socket.unlink()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "SoundServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m kiosk.bench.room``: start a room and print the variables to use it."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="runtime folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    server = SoundServer(args.dir)
    try:
        server.start()
    except RoomUnavailable as err:
        print(f"cannot start the room: {err}")
        return 1
    for key, value in server.env.items():
        print(f"export {key}={value}")
    print(f"# pulseaudio pid {server.process.pid if server.process else '?'}; Ctrl-C ends it")
    try:
        while server.process is not None and server.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
