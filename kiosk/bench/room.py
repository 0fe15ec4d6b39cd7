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

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def unavailable_reason() -> str | None:
    """Why no room can be started on this machine, or None when it can."""
    for program in ("pulseaudio", "pactl", "paplay"):
        if shutil.which(program) is None:
            return f"{program} not found (apt-get install {' '.join(PACKAGES)})"
    if not Path("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so").exists() \
            and not any(Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so")):
        return "the ALSA pulse plugin is missing (apt-get install libasound2-plugins)"
    return None


def _die_with_parent() -> None:
    """In the child: end it when the process that started it ends (Linux), so that a test
    run that crashes leaves no sound server behind."""
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class SoundServer:
    """A private PulseAudio with one null sink, ``room`` (16 kHz mono), as the waiting room.

    ``start()`` returns when the server answers ``pactl info``; ``env`` holds the variables a
    client needs (set them with :meth:`use` in this process). :meth:`kill` ends it hard (to
    test recovery), :meth:`start` again brings it back with the same socket and modules.
    """

    def __init__(self, runtime_dir: Path | None = None, extra_modules: Sequence[str] = ()):
        self._own_dir = runtime_dir is None
        self.dir = Path(runtime_dir or tempfile.mkdtemp(prefix="kiosk-room-"))
        self.socket = self.dir / "pulse" / "native"
        self.extra_modules = list(extra_modules)
        self.process: subprocess.Popen[bytes] | None = None
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

    def start(self, timeout_s: float = 10.0) -> SoundServer:
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
                   "--log-level=" + os.environ.get("KIOSK_ROOM_LOG_LEVEL", "error"),
                   *[f"--load={m}" for m in modules]]
        env = {**os.environ, **self.env, "HOME": str(self.dir)}
        # The parent-death signal fires when the starting *thread* ends: only from the main one.
        main = threading.current_thread() is threading.main_thread()
        with self.log_path.open("ab") as logfile:
            self.process = subprocess.Popen(command, env=env, stdout=logfile, stderr=logfile,
                                            stdin=subprocess.DEVNULL,
                                            preexec_fn=_die_with_parent if main else None)
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

    def module_id(self, name: str) -> str | None:
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

    def play(self, wav: Path, device: str = ROOM_SINK) -> subprocess.Popen[bytes]:
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

    def __enter__(self) -> SoundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- echo cancellation

SPEAKER_SINK = "speaker"
EC_SINK = "kiosk_speaker"
EC_SOURCE = "kiosk_mic"
#: webrtc settings: no automatic gain (it would pump the echo up), the extended filter (longer
#: echo paths, as a room with a USB loudspeaker and a pipe has).
AEC_ARGS = "analog_gain_control=0 digital_gain_control=0 extended_filter=1"


def add_echo_cancel(server: SoundServer, echo: str = "delayed", noise: Path | None = None,
                    method: str = "webrtc",
                    aec_args: str = AEC_ARGS) -> EchoRelay | None:
    """Give the room a separate loudspeaker and cancel its echo in the sound server.

    The kiosk plays into ``kiosk_speaker`` (PulseAudio's module-echo-cancel, webrtc engine),
    which plays into the ``speaker`` null sink; the echo path carries that into the room; the
    kiosk listens to ``kiosk_mic``, the echo-cancelled room. The defaults are set so that the
    kiosk (the ALSA ``pulse``/``default`` device) uses them; the visitor still plays into the
    room. (module-echo-cancel refuses a sink and its own monitor, hence the second sink.)

    ``echo`` is the :class:`EchoRelay` between them: ``"delayed"`` only delays (60 ms plus
    the pipes'); ``"realistic"`` also filters to a small loudspeaker's band (200-3500 Hz),
    takes 6 dB off and mixes ``noise`` (a WAV, looped) in. (module-loopback was tried first:
    with module-echo-cancel loaded it carried the echo 28 dB too quiet.)
    """
    server.pactl("load-module", "module-null-sink", f"sink_name={SPEAKER_SINK}", f"rate={RATE}",
                 "channels=1")
    if echo not in ("delayed", "realistic"):
        raise ValueError(f"echo must be 'delayed' or 'realistic', not {echo!r}")
    server.pactl("load-module", "module-echo-cancel", f"source_master={ROOM_SINK}.monitor",
                 f"sink_master={SPEAKER_SINK}", f"aec_method={method}",
                 f"source_name={EC_SOURCE}", f"sink_name={EC_SINK}", f"rate={RATE}", "channels=1",
                 *([f'aec_args="{aec_args}"'] if aec_args else []))
    server.pactl("set-default-sink", EC_SINK)
    server.pactl("set-default-source", EC_SOURCE)
    if echo == "delayed":
        return EchoRelay(server, None, gain=1.0, band=None).start()
    return EchoRelay(server, noise).start()


def _readable(fd: int) -> int:
    """Bytes waiting in a pipe (FIONREAD)."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return int(count[0])


class EchoRelay:
    """A loudspeaker-to-microphone path with delay, a band filter and noise: ``parec`` from the
    speaker's monitor, filtered here, ``pacat`` into the room, in real time (10 ms pieces).
    The delay stays put: audio that piles up while the relay is held up is dropped."""

    def __init__(self, server: SoundServer, noise: Path | None = None, delay_s: float = 0.06,
                 gain: float = 0.5, noise_gain: float = 2.0,
                 band: tuple[float, float] | None = (200.0, 3500.0)):
        self.server = server
        self.delay_s, self.gain, self.band = delay_s, gain, band
        self.noise = self._noise(noise, noise_gain)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._thread: threading.Thread | None = None
        self._running = False
        #: Samples dropped to keep the delay (see :meth:`start`).
        self.dropped = 0

    @staticmethod
    def _noise(path: Path | None, gain: float) -> Any | None:
        if path is None:
            return None
        from kiosk.speech.audio_in import read_wav

        return (read_wav(path).astype("float32") * gain).astype("float32")

    def start(self) -> EchoRelay:
        import numpy as np
        from scipy.signal import butter, lfilter, lfilter_zi

        env = {**os.environ, **self.server.env}
        raw = ["--raw", f"--rate={RATE}", "--channels=1", "--format=s16le", "--latency-msec=10"]
        rec = subprocess.Popen(["parec", f"--device={SPEAKER_SINK}.monitor", *raw], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # Unbuffered: a buffered pipe would hold up to 8 KB (0.26 s) and add it to the delay.
        play = subprocess.Popen(["pacat", "--playback", f"--device={ROOM_SINK}", *raw,
                                 "--property=media.role=echo"], env=env, bufsize=0,
                                stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._procs = [rec, play]
        if self.band is not None:
            b, a = butter(2, list(self.band), btype="bandpass", fs=RATE)
        else:
            b, a = np.array([1.0, 0.0]), np.array([1.0, 0.0])
        state = lfilter_zi(b, a) * 0.0
        piece = RATE // 100
        noise = self.noise
        self._running = True

        def relay() -> None:
            nonlocal state
            assert rec.stdout is not None and play.stdin is not None
            pos = 0
            fd, out = rec.stdout.fileno(), play.stdin.fileno()
            try:
                delay = int(self.delay_s * RATE)
                play.stdin.write(bytes(2 * delay))
                while self._running:
                    # A room's echo delay does not drift: when this thread fell behind (a busy
                    # machine), drop what piled up in the pipe rather than delay the echo more.
                    backlog = _readable(fd) // 2
                    if backlog > 3 * piece:
                        rec.stdout.read(2 * (backlog - piece))
                        self.dropped += backlog - piece
                    data = rec.stdout.read(2 * piece)
                    if not data:
                        return
                    x = np.frombuffer(data, dtype=np.int16).astype(np.float32)
                    y, state = lfilter(b, a, x * self.gain, zi=state)
                    if noise is not None and len(noise):
                        take = np.take(noise, np.arange(pos, pos + len(y)), mode="wrap")
                        pos = (pos + len(y)) % len(noise)
                        y = y + take
                    if _readable(out) // 2 > delay + 10 * piece:  # pacat is far behind
                        self.dropped += len(y)
                        continue
                    play.stdin.write(np.clip(y, -32768, 32767).astype(np.int16).tobytes())
            except (BrokenPipeError, ValueError, OSError):
                return

        self._thread = threading.Thread(target=relay, name="kiosk-echo-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)


def main(argv: Sequence[str] | None = None) -> int:
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
