"""The systemd unit: hardened (systemd-analyze security), valid (systemd-analyze verify), offline.

The two systemd-analyze checks run the real tool (script/setup installs the `systemd` package);
they are skipped, saying why, where it is missing. The installed unit is also verified inside
the installer tests (tests/test_install_service.py).
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

UNIT = REPO / "systemd" / "kiosk.service"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed "
                                   "(script/setup installs the systemd package)")
#: The exposure score the unit must not exceed (issue: "≤2.0"); measured 0.6 with systemd 252.
MAX_EXPOSURE = 2.0


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNIT, encoding="utf-8")
    return parser


def exposure(unit_file: Path) -> float:
    result = subprocess.run([ANALYZE or "systemd-analyze", "security", "--offline=yes",
                             "--no-pager", str(unit_file)],
                            capture_output=True, text=True, check=False)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


def verify(root: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` of kiosk.service in ``root`` (a staged file system).

    The units it depends on (sysinit.target, sound.target, ...) are copied from the host, so
    only the kiosk's own unit and the files it names are checked.
    """
    units = root / "usr" / "lib" / "systemd" / "system"
    units.mkdir(parents=True, exist_ok=True)
    for target in Path("/usr/lib/systemd/system").glob("*.target"):
        if not (units / target.name).exists():
            shutil.copy(target.resolve(), units / target.name)
    return subprocess.run([ANALYZE or "systemd-analyze", "verify", "--man=no", f"--root={root}",
                           "kiosk.service"], capture_output=True, text=True, check=False)


@needs_analyze
def test_unit_exposure_is_at_most_two():
    score = exposure(UNIT)
    print(f"systemd-analyze security --offline=yes: {score}")
    assert score <= MAX_EXPOSURE


@needs_analyze
def test_exposure_check_notices_a_weakened_unit(tmp_path):
    """The score above can fail: without the network and device limits it rises."""
    text = UNIT.read_text(encoding="utf-8")
    weakened = re.sub(r"^(PrivateNetwork|RestrictAddressFamilies|DevicePolicy|DeviceAllow|"
                      r"CapabilityBoundingSet|SystemCallFilter|ProtectSystem)=.*$", "", text,
                      flags=re.M)
    (tmp_path / "kiosk.service").write_text(weakened, encoding="utf-8")
    assert exposure(tmp_path / "kiosk.service") > exposure(UNIT) + 1.0


@needs_analyze
def test_unit_verifies_clean_when_its_program_exists(tmp_path):
    (tmp_path / "etc" / "systemd" / "system").mkdir(parents=True)
    shutil.copy(UNIT, tmp_path / "etc" / "systemd" / "system" / "kiosk.service")
    python = tmp_path / "opt" / "kiosk" / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n# stands in for the installed venv's python\n")
    python.chmod(0o755)
    result = verify(tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    python.unlink()  # and the check can fail: a missing program is reported
    result = verify(tmp_path)
    assert result.returncode != 0 and "/opt/kiosk/venv/bin/python" in result.stderr


def test_unit_is_offline_and_ordered_after_sound_not_the_network():
    parsed = unit()
    after = parsed["Unit"]["After"].split()
    assert "sound.target" in after and not any("network" in u for u in after)
    service = parsed["Service"]
    assert service["PrivateNetwork"] == "yes"
    assert service["RestrictAddressFamilies"] == "AF_UNIX"
    assert service["IPAddressDeny"] == "any"


def test_unit_limits_devices_capabilities_and_system_calls():
    text = UNIT.read_text(encoding="utf-8")
    service = unit()["Service"]
    assert service["DevicePolicy"] == "closed"
    allowed = re.findall(r"^DeviceAllow=(\S+)", text, flags=re.M)
    assert set(allowed) == {"char-alsa", "char-input", "char-gpiochip", "/dev/gpiomem"}
    assert re.search(r"^CapabilityBoundingSet=$", text, flags=re.M)
    assert "SystemCallFilter=@system-service" in text
    assert service["ProtectSystem"] == "strict"
    assert (service["StateDirectory"], service["CacheDirectory"]) == ("kiosk", "kiosk")


def test_unit_uses_the_watchdog_and_optional_groups_come_from_a_drop_in():
    service = unit()["Service"]
    assert (service["Type"], service["NotifyAccess"]) == ("notify", "main")
    assert 0 < int(service["WatchdogSec"]) <= 60
    # gpio and input may not exist on every machine: the installer adds them in a drop-in.
    assert service["SupplementaryGroups"] == "audio"
    assert service["ExecStart"] == "/opt/kiosk/venv/bin/python -m kiosk run"
