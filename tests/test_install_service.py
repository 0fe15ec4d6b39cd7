"""script/install-service, run for real against a staging root (``--root``), in order: an
offline install, the same install again, an upgrade, uninstall, purge.

Real: the venv (built from the exact pins in requirements/pi.txt, from a wheelhouse made by
`pip download` of that file), the kiosk package built from this checkout, the model zip's
per-file verification, the matcher training into the service's cache folder, the unit checked
by systemd-analyze. The install runs in a network namespace without network (`unshare -n`).

Faked: the commands that change the machine's users and services (systemctl, useradd,
usermod, userdel, getent, id, chown, runuser) are test doubles that log their calls
(``FakeSystemCommands``), and the voice model is a stand-in of random bytes in the Vosk layout
(its files are verified, never loaded by libvosk). The installed `kiosk` command is run where
it will live on the Pi by overlaying the staging root on /etc, /opt, /usr/local/bin and
/var in a private mount namespace (`unshare -m`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from test_service_files import ANALYZE, verify

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")]

INSTALLER = REPO / "script" / "install-service"
MODEL = "test-model-0.1"
MODEL_FILES = {"am/final.mdl": os.urandom(3000), "conf/model.conf": b"--x=1\n",
               "graph/HCLr.fst": os.urandom(2000), "graph/Gr.fst": os.urandom(1500),
               "README": b"stand-in model\n"}
CAN_UNSHARE = shutil.which("unshare") is not None and subprocess.run(
    ["unshare", "-n", "-m", "true"], capture_output=True).returncode == 0

FAKES = {
    "systemctl": """
case "$1" in
  enable) touch "$STATE/enabled" ;;
  disable) rm -f "$STATE/enabled"; [ "$2" = --now ] && rm -f "$STATE/active" ;;
  start|restart) touch "$STATE/active" ;;
  stop) rm -f "$STATE/active" ;;
  is-active) [ -e "$STATE/active" ]; exit $? ;;
esac""",
    "useradd": 'for last; do :; done; touch "$STATE/user-$last"',
    "userdel": 'rm -f "$STATE/user-$1" "$STATE/groups-$1"',
    "usermod": 'echo "$3" | tr , "\\n" >> "$STATE/groups-$4"',
    "getent": """
if [ "$1" = passwd ]; then [ -e "$STATE/user-$2" ]; exit $?; fi
echo " $FAKE_GROUPS " | grep -q " $2 " """,
    "id": """
if [ "$1" = -nG ]; then cat "$STATE/groups-$2" 2>/dev/null | tr "\\n" " "; exit 0; fi
if [ "$1" = -un ] && [ -n "$FAKE_USER" ]; then echo "$FAKE_USER"; exit 0; fi
exec /usr/bin/id "$@" """,
    "chown": ":",
    "runuser": 'user="$2"; shift 3; FAKE_USER="$user" exec "$@"',
}


class FakeSystemCommands:
    """A PATH folder of doubles for the commands that change users and services: each logs
    its call; systemctl and the user commands keep a little state (enabled, active, users)."""

    def __init__(self, folder: Path, groups: str = "audio gpio"):
        self.bin, self.state, self.log = folder / "bin", folder / "state", folder / "calls.log"
        self.bin.mkdir(parents=True)
        self.state.mkdir()
        for name, body in FAKES.items():
            script = self.bin / name
            script.write_text(f'#!/bin/sh\necho "{name} $*" >> "$FAKE_LOG"\n'
                              f'STATE="$FAKE_STATE"\n{body}\n', encoding="utf-8")
            script.chmod(0o755)
        self.env = dict(os.environ, PATH=f"{self.bin}:{os.environ['PATH']}",
                        FAKE_LOG=str(self.log), FAKE_STATE=str(self.state), FAKE_GROUPS=groups)

    def calls(self) -> list[str]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        return lines


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    """The pinned packages as wheels, as staff bring them on a USB stick, made by
    script/make-wheelhouse (which needs the package index or pip's cache). Kept between test
    runs under ~/.cache, by the hash of requirements/pi.txt: making it takes a minute."""
    lock = (REPO / "requirements" / "pi.txt").read_bytes()
    folder = Path.home() / ".cache" / "kiosk-tests" / f"wheelhouse-{hashlib.sha256(lock).hexdigest()[:12]}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        result = subprocess.run([str(REPO / "script" / "make-wheelhouse"), str(folder)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"could not make the wheelhouse (no package index?): "
                        f"{result.stderr[-500:]}")
        (folder / ".complete").touch()
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, Path]:
    """A stand-in model zip and a manifest listing its files."""
    folder = tmp_path_factory.mktemp("model")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel, data in MODEL_FILES.items():
            archive.writestr(f"{MODEL}/{rel}", data)
    (folder / f"{MODEL}.zip").write_bytes(buffer.getvalue())
    lines = [f"default: {MODEL}", "models:", f"  - name: {MODEL}", "    language: nl",
             "    licence: Apache-2.0", f"    url: https://example.invalid/{MODEL}.zip",
             f"    folder: {MODEL}", "    files:"]
    lines += [f"      {rel}: {{sha256: {hashlib.sha256(data).hexdigest()}, size: {len(data)}}}"
              for rel, data in MODEL_FILES.items()]
    (folder / "models.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / f"{MODEL}.zip", folder / "models.yaml"


class Staged:
    """The staging root, the fake commands and a way to run the installer into it."""

    def __init__(self, root: Path, fakes: FakeSystemCommands, model: tuple[Path, Path],
                 wheelhouse: Path):
        self.root, self.fakes, self.model, self.wheelhouse = root, fakes, model, wheelhouse
        #: Files the tests themselves put in the root (not the installer's).
        self.test_files: list[Path] = []

    def install(self, *extra: str, release: Path = REPO, offline: bool = True,
                check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(release / "script" / "install-service"),
                   "--root", str(self.root), "--manifest", str(self.model[1]), *extra]
        if "--uninstall" not in extra:
            command += ["--model-zip", str(self.model[0]), "--wheelhouse", str(self.wheelhouse)]
        if offline and CAN_UNSHARE:
            command = ["unshare", "-n", *command]  # no network at all, not even loopback
        result = subprocess.run(command, env=self.fakes.env, capture_output=True, text=True)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def file(self, target: str) -> Path:
        return self.root / target.lstrip("/")

    def snapshot(self) -> dict[str, tuple[int, int, bytes | str]]:
        """Every file and link of the staging root (venv by its stamp) with size and content."""
        found: dict[str, tuple[int, int, bytes | str]] = {}
        for path in sorted(self.root.rglob("*")):
            rel = str(path.relative_to(self.root))
            if ("/venv-" in f"/{rel}" and not rel.endswith(".complete")) \
                    or "__pycache__" in rel or rel.startswith("usr/lib/systemd"):
                continue
            if path.is_symlink():
                found[rel] = (0, 0, os.readlink(path))
            elif path.is_file():
                stat = path.stat()
                # The matcher cache marks a model as used by its time (os.utime): only its
                # content must stay the same.
                mtime = 0 if rel.startswith("var/cache/kiosk/") else stat.st_mtime_ns
                found[rel] = (stat.st_mode, mtime, path.read_bytes())
        return found

    def kiosk(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed `kiosk` wrapper, run where it lives on the Pi (see module docstring)."""
        root = self.root
        mounts = " && ".join(
            [f"mount -t overlay overlay -o lowerdir={root}{d}:{d} {d}"
             for d in ("/etc", "/opt", "/usr/local/bin", "/var/lib", "/var/cache")]
            + [f"mount --bind {root}{d} {d}" for d in ("/var/lib/kiosk", "/var/cache/kiosk")])
        script = f"{mounts} && exec /usr/local/bin/kiosk \"$@\""
        return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *args],
                              env=self.fakes.env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def staged(tmp_path_factory, model, wheelhouse) -> Staged:
    folder = tmp_path_factory.mktemp("install")
    return Staged(folder / "root", FakeSystemCommands(folder / "fake"), model, wheelhouse)


# --------------------------------------------------------------------------- the tests


def test_help_speaks_to_a_practice_assistant():
    out = subprocess.run([sys.executable, str(INSTALLER), "--help"], capture_output=True,
                         text=True, check=True).stdout
    for words in ("sudo script/install-service", "--model-zip", "--wheelhouse", "--uninstall",
                  "kept", "kiosk check"):
        assert words in out
    assert "--root" not in out  # for tests only, not shown


def test_refuses_to_run_without_root_rights_on_the_real_system(tmp_path):
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             sys.executable, str(INSTALLER)], capture_output=True, text=True)
    assert result.returncode == 1 and "sudo script/install-service" in result.stderr


@pytest.mark.skipif(not CAN_UNSHARE, reason="unshare -n/-m is not available here")
def test_offline_install_from_the_model_zip_and_a_wheelhouse(staged):
    result = staged.install()
    out = result.stdout
    assert "building" in out and "from the zip" in out
    calls = staged.fakes.calls()
    assert ("useradd --system --user-group --home-dir /var/lib/kiosk --no-create-home "
            "--shell /usr/sbin/nologin kiosk") in calls
    assert "usermod --append --groups audio,gpio kiosk" in calls  # no "input" group here
    assert calls[-3:] == ["systemctl enable --quiet kiosk.service",
                          "systemctl is-active --quiet kiosk.service",
                          "systemctl start kiosk.service"]
    assert "systemctl daemon-reload" in calls
    assert any(c.startswith("runuser -u kiosk -- env KIOSK_CACHE_DIR=") and "--train" in c
               for c in calls)

    # The program: a venv of its own, the kiosk not editable, exactly the pinned versions.
    venv = staged.file("/opt/kiosk/venv")
    assert venv.is_symlink() and os.readlink(venv).startswith("venv-")
    freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    pinned = [line for line in (REPO / "requirements" / "pi.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert sorted(f for f in freeze if not f.startswith(("kiosk", "pip=="))) == sorted(pinned)
    assert [f for f in freeze if f.startswith("kiosk")] == [f"kiosk @ file://{REPO}"]  # not -e
    assert not any("pytest" in f or "vosk-model" in f for f in freeze)  # no test tooling
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import kiosk, kiosk.core.content as c; print(kiosk.__file__); "
                            "print(c.DEFAULT_CONTENT_DIR)"],
                           capture_output=True, text=True, check=True, cwd="/").stdout.split()
    module, content = (Path(w).resolve() for w in where)
    assert module.is_relative_to(venv.resolve()) and not module.is_relative_to(REPO)
    assert content == venv.resolve() / "share" / "kiosk" / "content"

    # Files, one by one.
    assert staged.file("/etc/systemd/system/kiosk.service").read_text() == \
        (REPO / "systemd" / "kiosk.service").read_text()
    assert staged.file("/etc/systemd/system/kiosk.service.d/groups.conf").read_text() \
        .endswith("[Service]\nSupplementaryGroups=gpio\n")
    config = staged.file("/etc/kiosk/config.yaml").read_text()
    example = (REPO / "systemd" / "config.example.yaml").read_text()
    assert config == example.replace("vosk-model-small-nl-0.22", MODEL)  # the manifest's model
    for rel in [p.relative_to(REPO / "content") for p in (REPO / "content").rglob("*")
                if p.is_file()]:
        assert staged.file(f"/opt/kiosk/content/{rel}").read_bytes() == \
            (REPO / "content" / rel).read_bytes(), rel
    model_dir = staged.file(f"/var/lib/kiosk/models/{MODEL}")
    assert {str(p.relative_to(model_dir)) for p in model_dir.rglob("*") if p.is_file()} == \
        set(MODEL_FILES)
    assert list(staged.file("/var/cache/kiosk").glob("matcher-*.pickle"))  # trained there
    wrapper = staged.file("/usr/local/bin/kiosk")
    assert os.access(wrapper, os.X_OK) and "KIOSK_CACHE_DIR=/var/cache/kiosk" in \
        wrapper.read_text()
    for folder, mode in (("/var/lib/kiosk", 0o750), ("/var/cache/kiosk", 0o750)):
        assert staged.file(folder).stat().st_mode & 0o777 == mode


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_installed_unit_verifies_clean(staged):
    # The venv's python is a link to the system's interpreter (an absolute path), which the
    # staging root lacks and `verify --root` looks for inside it: put a copy at that path.
    link = staged.file("/opt/kiosk/venv/bin/python")
    while link.is_symlink():
        target = os.readlink(link)
        link = staged.root / target.lstrip("/") if target.startswith("/") else \
            link.parent / target
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(sys.executable).resolve(), link)
        staged.test_files.append(link)
    result = verify(staged.root)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def test_installing_again_changes_nothing(staged):
    before = staged.snapshot()
    result = staged.install()
    assert "nothing to change" in result.stdout
    assert staged.snapshot() == before
    calls = staged.fakes.calls()
    assert not [c for c in calls if c.split()[0] in ("useradd", "usermod")
                or c.startswith(("systemctl restart", "systemctl daemon-reload"))]


def test_staff_commands_work_as_typed(staged):
    stats = staged.file("/var/lib/kiosk/stats.json")
    stats.write_text(json.dumps({"format": "kiosk-stats/2",
                                 "days": {"2026-12-01": {"visit": 2, "topic:intro": 1}}}))
    result = staged.kiosk("stats", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["visits"] == 2
    assert "runuser -u kiosk -- /usr/local/bin/kiosk stats --json" in staged.fakes.calls()
    result = staged.kiosk("check")
    assert result.returncode == 0, result.stderr
    assert "/opt/kiosk/content: 25 sections" in result.stdout  # the installed, editable texts


def upgrade_release(tmp_path: Path) -> Path:
    """A copy of this checkout as the next release: a new version and one changed text."""
    release = tmp_path / "release"
    release.mkdir()
    for name in ("pyproject.toml", "requirements", "kiosk", "content", "voice_models",
                 "systemd", "script", "README.md"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, release / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, release / name)
    init = release / "kiosk" / "__init__.py"
    init.write_text(init.read_text() + "# next release\n")
    prompts = release / "content" / "prompts.nl.yaml"
    prompts.write_text(prompts.read_text() + "# changed in the next release\n")
    leaflet = release / "content" / "leaflet.nl.yaml"
    leaflet.write_text(leaflet.read_text() + "# changed in the next release\n")
    return release


def test_an_upgrade_keeps_config_content_edits_and_statistics_and_restarts(staged, tmp_path):
    config = staged.file("/etc/kiosk/config.yaml")
    config.write_text(config.read_text().replace("question_timeout_s: 8", "question_timeout_s: 9"))
    leaflet = staged.file("/opt/kiosk/content/leaflet.nl.yaml")
    edited = leaflet.read_text() + "# edited by the practice\n"
    leaflet.write_text(edited)
    stats = staged.file("/var/lib/kiosk/stats.json").read_bytes()
    old_venv = os.readlink(staged.file("/opt/kiosk/venv"))
    release = upgrade_release(tmp_path)

    staged.install(release=release)

    assert os.readlink(staged.file("/opt/kiosk/venv")) != old_venv
    assert not staged.file(f"/opt/kiosk/{old_venv}").exists()  # the old one is removed
    assert "question_timeout_s: 9\n" in config.read_text()
    assert leaflet.read_text() == edited  # the practice's edit is kept...
    assert staged.file("/opt/kiosk/content/leaflet.nl.yaml.new").read_text().endswith(
        "# changed in the next release\n")  # ...and the new version put beside it
    assert staged.file("/opt/kiosk/content/prompts.nl.yaml").read_text().endswith(
        "# changed in the next release\n")  # a text nobody edited is updated
    assert staged.file("/var/lib/kiosk/stats.json").read_bytes() == stats
    calls = staged.fakes.calls()
    assert calls[-1] == "systemctl restart kiosk.service"


def test_uninstall_keeps_statistics_and_settings(staged):
    staged.install("--uninstall")
    for gone in ("/etc/systemd/system/kiosk.service", "/usr/local/bin/kiosk", "/opt/kiosk/venv",
                 "/var/cache/kiosk"):
        assert not staged.file(gone).exists(), gone
    assert not list(staged.file("/opt/kiosk").glob("venv-*"))
    for kept in ("/var/lib/kiosk/stats.json", "/etc/kiosk/config.yaml",
                 "/opt/kiosk/content/leaflet.nl.yaml", f"/var/lib/kiosk/models/{MODEL}"):
        assert staged.file(kept).exists(), kept
    calls = staged.fakes.calls()
    assert "systemctl disable --now --quiet kiosk.service" in calls
    assert not [c for c in calls if c.startswith("userdel")]


def test_purge_removes_everything(staged):
    staged.install("--uninstall", "--purge")
    assert [p for p in staged.root.rglob("*") if p.is_file() and p not in staged.test_files
            and not p.is_relative_to(staged.root / "usr" / "lib")] == []
    assert "userdel kiosk" in staged.fakes.calls()
