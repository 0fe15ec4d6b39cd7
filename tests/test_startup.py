"""A fast start: ``kiosk --version`` and ``--help`` build the whole command line without the
heavy libraries (scikit-learn, vosk, sounddevice, numpy); each command imports them when it
runs. Checked in a fresh interpreter, since this test process has them loaded already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from kiosk.cli import listen, speak

HEAVY = ("sklearn", "scipy", "vosk", "sounddevice", "numpy")

#: Runs the kiosk's main() on argv, then prints which heavy top-level modules got imported.
PROBE = f"""
import json, sys
from kiosk.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))))
"""


def heavy_modules_after(*argv: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["ask", "--help"],
                                  ["listen", "--help"], ["say", "--help"]])
def test_help_and_version_import_no_heavy_library(argv: list[str]) -> None:
    assert heavy_modules_after(*argv) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check above can fail: a command that runs does load them (here it stops at once,
    at the missing file, after its imports)."""
    assert "numpy" in heavy_modules_after("listen", "/nonexistent/question.wav")


def test_choices_written_out_for_a_light_parser_match_the_modules() -> None:
    from kiosk.speech.recognizer import MODES
    from kiosk.speech.tts import ENGINES

    assert listen.MODES == MODES
    assert ("auto", *sorted(ENGINES)) == speak.ENGINE_CHOICES


def test_startup_bench_measures_time_memory_and_output_of_a_process() -> None:
    from kiosk.bench.startup import measure

    figures = measure([sys.executable, "-c", "b = bytearray(80_000_000); print(len(b))"],
                      dict(os.environ))
    assert figures["stdout"].strip() == "80000000"
    assert figures["mb"] >= 80 and figures["s"] > 0 and figures["cpu_s"] > 0


def test_startup_table_puts_two_kiosks_side_by_side_and_marks_missed_targets() -> None:
    from kiosk.bench.startup import format_table

    def figures(training_s: float) -> dict[str, Any]:
        return {"source": "/x", "version": {"s": 0.3, "mb": 30.0},
                "training": {"s": training_s, "cpu_s": 4.0, "mb": 200.0, "matcher_s": 3.0},
                "ask": {"s": 1.0, "mb": 90.0}, "chat": {"mb": 90.0}, "check": {"mb": 60.0}}

    table = format_table({"repeats": 3, "load_average_before": [2.5, 1.0, 1.0],
                          "load_average": [1.0, 1.0, 1.0],
                          "this": figures(4.0), "against": figures(30.0)})
    assert "2.5 1.0 1.0 before, 1.0 1.0 1.0 after" in table.splitlines()[0]
    [training] = [line for line in table.splitlines() if line.startswith("training")]
    assert training.split() == ["training,", "empty", "cache", "4.00", "s", "30.00", "s", "!", "<=",
                                "5", "s"]


def test_startup_bench_says_why_a_checkout_cannot_start(tmp_path) -> None:
    """A matcher that cannot load the content (an older checkout, a broken folder) is named
    with its last error line, not a bare IndexError."""
    from kiosk.bench.startup import _runs
    from kiosk.errors import KioskError

    (tmp_path / "cache").mkdir()
    with pytest.raises(KioskError, match=r"did not start on .*no-content: .*no-content"):
        _runs(None, tmp_path / "no-content", tmp_path / "cache")
