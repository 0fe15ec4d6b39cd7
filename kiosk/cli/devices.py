"""``kiosk devices`` (list sound devices) and ``kiosk mic-test`` (live microphone level)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from kiosk.errors import KioskError

if TYPE_CHECKING:  # sound modules bring numpy and PortAudio: imported when a command runs
    from kiosk.speech.audio_in import DeviceInfo, Microphone

BAR_WIDTH = 40
FLOOR_DB = -60.0


def register(subparsers: Any) -> None:
    devices = subparsers.add_parser(
        "devices", help="list microphones and speakers",
        description="List the sound devices PortAudio sees (index, name, in/out channels).",
    )
    devices.set_defaults(func=run_devices)
    mic = subparsers.add_parser(
        "mic-test", help="show the microphone level live",
        description="Open the microphone at 16 kHz mono and show a level bar; speak to check "
        "that the bar moves well above the room noise.",
    )
    mic.add_argument("--device", help="input device: index or part of its name "
                     "(default: the system's default input)")
    mic.add_argument("--seconds", type=float, default=5.0, help="how long (default 5)")
    mic.set_defaults(func=run_mic_test)


def format_devices(devices: list[DeviceInfo]) -> str:
    if not devices:
        return "no sound devices found (is the USB microphone/speaker plugged in?)"
    lines = ["idx  in  out  rate    name"]
    for d in devices:
        mark = " (default input)" if d.is_default_input else ""
        mark += " (default output)" if d.is_default_output else ""
        lines.append(f"{d.index:>3}  {d.max_input_channels:>2}  {d.max_output_channels:>3}  "
                     f"{d.default_samplerate:>6.0f}  {d.name}{mark}")
    return "\n".join(lines)


def run_devices(args: argparse.Namespace) -> int:
    from kiosk.speech.audio_in import list_devices

    print(format_devices(list_devices()))
    return 0


def level_bar(db: float, width: int = BAR_WIDTH) -> str:
    """``-23 dBFS |##########          |`` for a level between FLOOR_DB and 0 dBFS."""
    filled = round(width * min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB)))
    return f"{db:6.1f} dBFS |{'#' * filled}{' ' * (width - filled)}|"


def mic_test(
    mic: Microphone, seconds: float, out: TextIO = sys.stdout,
) -> dict[str, float]:
    """Read ``seconds`` of audio from ``mic`` and draw a level bar per block; returns the
    quietest and loudest block level (dBFS) and the blocks dropped."""
    from kiosk.speech.audio_in import SAMPLE_RATE
    from kiosk.speech.recognizer import EnergyVad

    needed = int(seconds * SAMPLE_RATE)
    got = 0
    levels = []
    with mic:
        blocks = mic.blocks()
        while got < needed:
            block = next(blocks)
            got += block.size
            db = EnergyVad.level_db(block)
            levels.append(db)
            out.write("\r" + level_bar(db))
            out.flush()
    out.write("\n")
    quiet, loud = (min(levels), max(levels)) if levels else (FLOOR_DB, FLOOR_DB)
    out.write(f"quietest {quiet:.1f} dBFS, loudest {loud:.1f} dBFS, "
              f"{mic.overflows} blocks dropped\n")
    if loud < -45:
        out.write("very quiet: check that the right microphone is chosen and not muted\n")
    elif loud > -1:
        out.write("clipping: turn the microphone gain down\n")
    return {"quietest_db": quiet, "loudest_db": loud, "dropped": float(mic.overflows)}


def run_mic_test(args: argparse.Namespace, make_mic: Callable[..., Microphone] | None = None) -> int:
    if not args.seconds > 0:
        raise KioskError("--seconds must be more than 0")
    from kiosk.speech.audio_in import Microphone

    mic = (make_mic or Microphone)(device=args.device)
    mic_test(mic, args.seconds)
    return 0
