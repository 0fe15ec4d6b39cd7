"""A fast start: ``kiosk --version`` and ``--help`` build the whole command line without the
heavy libraries (scikit-learn, vosk, sounddevice, numpy); each command imports them when it
runs. Checked in a fresh interpreter, since this test process has them loaded already."""

from __future__ import annotations

import json
import subprocess
import sys

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
