"""Cut one spoken question out of a stream of microphone blocks, to record a test set.

``kiosk record-set`` has staff read the labelled questions aloud on the kiosk itself, so that
``kiosk bench --audio`` can measure the recogniser and matcher together on real voices, the
real microphone and the real room. This module is its pure part: blocks of 16 kHz mono int16
samples in, one take out, with the same energy VAD and limits the kiosk listens with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from kiosk.speech.audio_in import SAMPLE_RATE
from kiosk.speech.recognizer import Endpointing, EnergyVad

#: Audio kept before the first block with speech and after the last speech frame, so a take
#: does not start or end in the middle of a word.
LEAD_S = 0.3
TAIL_S = 0.4


@dataclass(frozen=True)
class Take:
    samples: np.ndarray  # 16 kHz mono int16
    ended_by: str  # "silence" (the speaker stopped), "max-length" (cut off) or "end-of-audio"

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE


def take_utterance(blocks: Iterable[np.ndarray],
                   limits: Endpointing | None = None) -> Take | None:
    """Read ``blocks`` until speech was followed by ``limits.trailing_silence_s`` of silence,
    or ``limits.max_utterance_s`` of audio passed. ``None`` when nobody spoke within
    ``limits.no_speech_s`` (or the blocks ran out first)."""
    limits = limits or Endpointing()
    vad = EnergyVad(limits)
    kept: list[np.ndarray] = []
    speech_block_start: int | None = None  # sample index of the block where speech began
    ended_by = ""
    total = 0
    for block in blocks:
        vad.process(block)
        kept.append(block)
        if speech_block_start is None and vad.speech_started:
            speech_block_start = total
        total += block.size
        if speech_block_start is None:
            if total >= limits.no_speech_s * SAMPLE_RATE:
                return None
            continue
        if vad.samples - vad.last_speech_end >= limits.trailing_silence_s * SAMPLE_RATE:
            ended_by = "silence"
            break
        if total >= limits.max_utterance_s * SAMPLE_RATE:
            ended_by = "max-length"
            break
    if speech_block_start is None:
        return None
    audio = np.concatenate(kept)
    start = max(0, speech_block_start - int(LEAD_S * SAMPLE_RATE))
    end = min(audio.size, vad.last_speech_end + int(TAIL_S * SAMPLE_RATE))
    return Take(audio[start:end].astype(np.int16, copy=False), ended_by or "end-of-audio")
