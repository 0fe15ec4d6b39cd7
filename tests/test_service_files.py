"""The systemd unit and the install script agree on where things live (they are not run here:
installing a service needs root and systemd)."""

from __future__ import annotations

import configparser

from conftest import REPO


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(REPO / "systemd" / "kiosk.service", encoding="utf-8")
    return parser


def test_install_script_warms_the_cache_folder_the_service_uses():
    service = unit()["Service"]
    script = (REPO / "script" / "install-service").read_text(encoding="utf-8")
    cache = f"/var/cache/{service['CacheDirectory']}"
    assert f"KIOSK_CACHE_DIR={cache}" in script and "--train" in script
    assert f"-o {service['User']}" in script and f"sudo -u {service['User']}" in script


def test_service_runs_the_installed_kiosk():
    service = unit()["Service"]
    script = (REPO / "script" / "install-service").read_text(encoding="utf-8")
    assert service["ExecStart"].startswith(f"{service['WorkingDirectory']}/.venv/bin/kiosk run")
    assert f"prefix={service['WorkingDirectory']}" in script
