"""Voice model manifest, lookup, download and verification (kiosk/speech/models.py, `kiosk models`).

Downloads run against a local HTTP server on 127.0.0.1 (a thread, port 0) that serves a small
zip built here; the "model" in it is a few files of random bytes in the Vosk layout, enough for
the file checks (it is never loaded by libvosk).
"""

from __future__ import annotations

import errno
import hashlib
import http.server
import io
import os
import socket
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk import cli
from kiosk.core.yamlfile import ContentError
from kiosk.errors import KioskError
from kiosk.speech import models

SHARED_SHA256 = Path("/work/shared/voice_models/vosk-model-small-nl-0.22.sha256")
NAME = "test-model-0.1"

FILES = {
    "README": b"A tiny stand-in model for tests.\n",
    "am/final.mdl": os.urandom(3000),
    "conf/model.conf": b"--endpoint.rule2.min-trailing-silence=0.5\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": os.urandom(2000),
    "graph/Gr.fst": os.urandom(1500),
    "ivector/final.ie": os.urandom(800),
    "ivector/online_cmvn.conf": b"",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_zip(files: dict = FILES, top: str = NAME) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel, data in files.items():
            archive.writestr(f"{top}/{rel}" if top else rel, data)
    return buffer.getvalue()


ZIP = make_zip()


def manifest_text(url: str, zip_sha: str | None = None, files: dict = FILES) -> str:
    lines = [
        f"default: {NAME}",
        "models:",
        f"  - name: {NAME}",
        "    language: nl",
        "    licence: Apache-2.0",
        f"    url: {url}",
        f"    folder: {NAME}",
    ]
    if zip_sha:
        lines.append(f"    zip_sha256: {zip_sha}")
    lines.append("    files:")
    for rel, data in files.items():
        lines.append(f"      {rel}: {{sha256: {sha(data)}, size: {len(data)}}}")
    return "\n".join(lines) + "\n"


def write_manifest(tmp_path: Path, url: str, **kwargs) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(manifest_text(url, **kwargs), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- local server


class Server:
    """A local HTTP server: ``routes[path] = (body, mode)``; mode "full", "cut" or "range"."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append({"path": self.path, "range": self.headers.get("Range")})
                if self.path not in server.routes:
                    self.send_error(404, "Not Found")
                    return
                body, mode = server.routes[self.path]
                start = 0
                rng = self.headers.get("Range")
                if mode == "range" and rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if mode == "cut":  # the connection drops half way
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real model places: HOME, $VOSK_MODEL_PATH and /usr/share/vosk point into tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    monkeypatch.setattr(models, "SYSTEM_DIR", tmp_path / "usr-share-vosk")
    return tmp_path


def looks_like_model_left(dest: Path) -> list[Path]:
    """Everything under dest that find_model could take for a model."""
    if not dest.exists():
        return []
    return [p for p in dest.rglob("*") if p.is_dir() and not models.model_folder_problems(p)]


def install_fake(folder: Path, files: dict = FILES) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


# --------------------------------------------------------------------------- manifest


def test_real_manifest_has_every_file_of_the_shared_sha256_list():
    manifest = models.load_manifest()
    entry = manifest.get("vosk-model-small-nl-0.22")
    assert manifest.default == entry.name
    assert entry.folder == "vosk-model-small-nl-0.22"
    assert entry.url == "https://alphacephei.com/vosk/models/vosk-model-small-nl-0.22.zip"
    assert entry.licence == "Apache-2.0" and entry.language == "nl"
    assert entry.properties["lookahead"] is True and entry.properties["words_txt"] is False
    listed = {f.path: f.sha256 for f in entry.files}
    if SHARED_SHA256.exists():
        shared = dict(
            reversed(line.split(None, 1)) for line in SHARED_SHA256.read_text().splitlines()
            if line.strip()
        )
        assert listed == {path.strip(): digest for path, digest in shared.items()}
    sizes = {f.path: f.size for f in entry.files if f.size is not None}
    assert sizes == {
        "am/final.mdl": 15_917_156,
        "graph/Gr.fst": 22_507_337,
        "graph/HCLr.fst": 21_831_530,
        "ivector/final.ie": 8_288_887,
    }


def test_manifest_errors_name_file_and_line(tmp_path):
    text = manifest_text("http://example.invalid/x.zip").replace(
        f"sha256: {sha(FILES['README'])}", "sha256: nothex"
    ).replace("    licence: Apache-2.0\n", "    licence: Apache-2.0\n    licnse: typo\n")
    path = tmp_path / "models.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        models.load_manifest(path)
    message = str(caught.value)
    assert f"{path}:6:" in message and "licnse" in message
    assert f"{path}:10:" in message and "files.README.sha256: must be 64 lowercase hex" in message


def test_manifest_missing_url_and_bad_default(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("default: other\nmodels:\n  - name: a\n    folder: a\n    language: nl\n"
                    "    licence: x\n    files: {README: {sha256: " + "a" * 64 + "}}\n")
    with pytest.raises(ContentError) as caught:
        models.load_manifest(path)
    message = str(caught.value)
    assert f"{path}:3:" in message and "missing field 'url' in models[1]" in message
    assert f"{path}:1:" in message and "default" in message


def test_unknown_model_name_lists_known_ones():
    with pytest.raises(KioskError, match=r"vosk-model-small-nl-0.22"):
        models.load_manifest().get("vosk-model-small-xx")


# --------------------------------------------------------------------------- fetch


def test_fetch_good_download_is_verified_and_in_place(tmp_path, server):
    server.routes["/m.zip"] = (ZIP, "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"),
                                                zip_sha=sha(ZIP))).get()
    dest = tmp_path / "dest"
    path = models.fetch_model(entry, dest, progress=False)
    assert path == dest / NAME
    assert models.verify_model(path, entry).ok
    assert sorted(p.name for p in dest.iterdir()) == [NAME]  # no .part, no staging folder
    # Fetching again keeps the verified model and downloads nothing.
    assert models.fetch_model(entry, dest, progress=False) == path
    assert len(server.requests) == 1


def test_fetch_wrong_zip_checksum_leaves_nothing(tmp_path, server):
    server.routes["/m.zip"] = (ZIP, "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"),
                                                zip_sha="f" * 64)).get()
    dest = tmp_path / "dest"
    with pytest.raises(KioskError, match="sha256") as caught:
        models.fetch_model(entry, dest, progress=False)
    assert "Nothing was installed" in str(caught.value)
    assert list(dest.iterdir()) == []


def test_fetch_file_differing_from_manifest_is_not_installed(tmp_path, server):
    changed = dict(FILES, **{"graph/Gr.fst": os.urandom(1500)})
    server.routes["/m.zip"] = (make_zip(changed), "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()
    dest = tmp_path / "dest"
    with pytest.raises(KioskError, match=r"graph/Gr\.fst: wrong sha256"):
        models.fetch_model(entry, dest, progress=False)
    assert looks_like_model_left(dest) == [] and list(dest.iterdir()) == []


def test_interrupted_download_keeps_only_a_part_file_then_resumes(tmp_path, server):
    server.routes["/m.zip"] = (ZIP, "cut")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()
    dest = tmp_path / "dest"
    with pytest.raises(KioskError, match="connection closed after") as caught:
        models.fetch_model(entry, dest, progress=False)
    assert "run the same command again" in str(caught.value)
    assert [p.name for p in dest.iterdir()] == [f"{NAME}.zip.part"]
    assert looks_like_model_left(dest) == []
    # The server now allows ranges: the second run asks for the rest only.
    server.routes["/m.zip"] = (ZIP, "range")
    path = models.fetch_model(entry, dest, progress=False)
    assert server.requests[-1]["range"] == f"bytes={len(ZIP) // 2}-"
    assert models.verify_model(path, entry).ok
    assert [p.name for p in dest.iterdir()] == [NAME]


def test_resume_falls_back_to_full_download_when_server_ignores_range(tmp_path, server):
    server.routes["/m.zip"] = (ZIP, "full")  # always 200 with the whole body
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / f"{NAME}.zip.part").write_bytes(ZIP[:100])
    path = models.fetch_model(entry, dest, progress=False)
    assert models.verify_model(path, entry).ok


def test_network_failure_and_http_error_are_clear(tmp_path, server):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    entry = models.load_manifest(
        write_manifest(tmp_path, f"http://127.0.0.1:{closed_port}/m.zip")).get()
    with pytest.raises(KioskError, match=r"could not download .*Check the internet connection"):
        models.fetch_model(entry, tmp_path / "dest", progress=False, timeout=5)
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/missing.zip"))).get()
    with pytest.raises(KioskError, match="answered 404"):
        models.fetch_model(entry, tmp_path / "dest", progress=False)
    assert looks_like_model_left(tmp_path / "dest") == []


def test_zip_with_unexpected_layout_is_refused(tmp_path, server):
    server.routes["/flat.zip"] = (make_zip(top=""), "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/flat.zip"))).get()
    dest = tmp_path / "dest"
    with pytest.raises(KioskError, match=f"unexpected layout.*{NAME}/"):
        models.fetch_model(entry, dest, progress=False)
    assert list(dest.iterdir()) == []


def test_not_a_zip_is_refused(tmp_path, server):
    server.routes["/m.zip"] = (b"<html>captive portal</html>", "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()
    with pytest.raises(KioskError, match="not a valid zip"):
        models.fetch_model(entry, tmp_path / "dest", progress=False)
    assert list((tmp_path / "dest").iterdir()) == []


def test_no_space_while_unpacking_is_clear_and_cleans_up(tmp_path, server, monkeypatch):
    server.routes["/m.zip"] = (ZIP, "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "extractall", disk_full)
    dest = tmp_path / "dest"
    with pytest.raises(KioskError, match="not enough disk space"):
        models.fetch_model(entry, dest, progress=False)
    assert list(dest.iterdir()) == []


def test_too_little_free_space_is_found_before_downloading(tmp_path, server, monkeypatch):
    server.routes["/m.zip"] = (ZIP, "full")
    path = write_manifest(tmp_path, server.url("/m.zip"))
    path.write_text(path.read_text().replace("    files:", "    zip_size_mb: 39\n    files:"))
    entry = models.load_manifest(path).get()
    monkeypatch.setattr(models.shutil, "disk_usage",
                        lambda p: SimpleNamespace(total=0, used=0, free=1_000_000))
    with pytest.raises(KioskError, match=r"not enough disk space.*needs about 39 MB"):
        models.fetch_model(entry, tmp_path / "dest", progress=False)
    assert server.requests == []


def test_no_permission_is_clear(tmp_path, server, monkeypatch):
    server.routes["/m.zip"] = (ZIP, "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()
    dest = tmp_path / "dest"

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(dest))

    monkeypatch.setattr(models.tempfile, "mkdtemp", refuse)  # stands in for a read-only folder
    with pytest.raises(KioskError, match=f"no permission to write in {dest}"):
        models.fetch_model(entry, dest, progress=False)
    assert looks_like_model_left(dest) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores folder permissions, so a read-only folder cannot be made")
def test_read_only_destination_is_clear(tmp_path, server):
    server.routes["/m.zip"] = (ZIP, "full")
    entry = models.load_manifest(write_manifest(tmp_path, server.url("/m.zip"))).get()
    dest = tmp_path / "dest"
    dest.mkdir()
    dest.chmod(0o555)
    try:
        with pytest.raises(KioskError, match="no permission to write"):
            models.fetch_model(entry, dest, progress=False)
    finally:
        dest.chmod(0o755)


def test_install_from_local_zip_replaces_a_broken_folder(tmp_path, isolated):
    entry = models.load_manifest(write_manifest(tmp_path, "https://example.invalid/m.zip")).get()
    zip_path = tmp_path / "copied.zip"
    zip_path.write_bytes(ZIP)
    dest = tmp_path / "dest"
    broken = install_fake(dest / NAME, dict(FILES, **{"am/final.mdl": b"short"}))
    path = models.install_zip(entry, zip_path, dest)
    assert path == broken and models.verify_model(path, entry).ok
    assert sorted(p.name for p in dest.iterdir()) == [NAME]


def test_old_unpacking_leftovers_are_removed_recent_ones_kept(tmp_path):
    entry = models.load_manifest(write_manifest(tmp_path, "https://example.invalid/m.zip")).get()
    dest = tmp_path / "dest"
    old = install_fake(dest / f".{NAME}.unpacking-old" / NAME)
    recent = dest / f".{NAME}.unpacking-recent"
    recent.mkdir()
    os.utime(old.parent, (1_000_000_000, 1_000_000_000))
    zip_path = tmp_path / "m.zip"
    zip_path.write_bytes(ZIP)
    models.install_zip(entry, zip_path, dest)
    assert sorted(p.name for p in dest.iterdir()) == [recent.name, NAME]


# --------------------------------------------------------------------------- lookup


@pytest.fixture
def entry(tmp_path):
    return models.load_manifest(write_manifest(tmp_path, "https://example.invalid/m.zip"))


def test_lookup_order(isolated, entry, monkeypatch):
    tmp = isolated
    configured = install_fake(tmp / "configured" / "any-name")
    env_model = install_fake(tmp / "env" / NAME)
    cached = install_fake(tmp / "home" / ".cache" / "vosk" / NAME)
    system = install_fake(tmp / "usr-share-vosk" / NAME)

    assert models.find_model(configured, manifest=entry) == configured
    monkeypatch.setenv(models.ENV_VAR, str(tmp / "env"))  # a folder holding model folders
    assert models.find_model(manifest=entry) == env_model
    monkeypatch.setenv(models.ENV_VAR, str(env_model))  # the model folder itself
    assert models.find_model(manifest=entry) == env_model
    assert models.find_model(configured, manifest=entry) == configured  # config beats env
    monkeypatch.delenv(models.ENV_VAR)
    assert models.find_model(manifest=entry) == cached
    (cached / "graph" / "Gr.fst").unlink()  # half unpacked: never counts
    assert models.find_model(manifest=entry) == system
    assert models.installed_path(entry.get()) == system


def test_identify_model_tells_the_manifest_model_from_another(isolated, entry):
    ours = install_fake(isolated / "a" / "renamed")
    other = install_fake(isolated / "b" / "other", dict(FILES, **{"graph/Gr.fst": b"other"}))
    assert models.identify_model(ours, entry).name == NAME
    assert models.identify_model(other, entry) is None
    assert models.identify_model(isolated / "nowhere", entry) is None


def test_configured_path_that_is_not_a_model_falls_through(isolated, entry):
    cached = install_fake(isolated / "home" / ".cache" / "vosk" / NAME)
    empty = isolated / "empty"
    empty.mkdir()
    assert models.find_model(empty, manifest=entry) == cached


def test_folder_with_a_truncated_big_file_does_not_count(isolated, entry):
    install_fake(isolated / "home" / ".cache" / "vosk" / NAME,
                 dict(FILES, **{"am/final.mdl": FILES["am/final.mdl"][:100]}))
    with pytest.raises(models.ModelNotFound, match=r"am/final.mdl has 100 bytes"):
        models.find_model(manifest=entry)


def test_missing_model_message_lists_every_place(isolated, entry, monkeypatch):
    monkeypatch.setenv(models.ENV_VAR, str(isolated / "env"))
    with pytest.raises(models.ModelNotFound) as caught:
        models.find_model(isolated / "configured", manifest=entry)
    message = str(caught.value)
    for place in (isolated / "configured", isolated / "env", isolated / "env" / NAME,
                  isolated / "home" / ".cache" / "vosk" / NAME, isolated / "usr-share-vosk" / NAME):
        assert f"  - {place} (" in message
    assert len(caught.value.looked) == 5
    assert f"kiosk models fetch {NAME}" in message
    assert "copy the folder" in message and "--zip FILE" in message


def test_real_manifest_missing_message_names_the_dutch_fetch_command(isolated):
    with pytest.raises(models.ModelNotFound,
                       match=r"kiosk models fetch vosk-model-small-nl-0.22"):
        models.find_model()


# --------------------------------------------------------------------------- verify


def test_verify_finds_wrong_missing_and_short_files(tmp_path, entry):
    folder = install_fake(tmp_path / NAME)
    model = entry.get()
    good = models.verify_model(folder, model)
    assert good and good.ok and good.problems == ()
    data = bytearray(FILES["graph/HCLr.fst"])
    data[10] ^= 0xFF
    (folder / "graph" / "HCLr.fst").write_bytes(bytes(data))
    (folder / "ivector" / "final.ie").write_bytes(b"x")
    (folder / "README").unlink()
    bad = models.verify_model(folder, model)
    assert not bad and not bad.ok  # its truth means "good"
    problems = {Path(p.file).relative_to(folder).as_posix(): p.message for p in bad.problems}
    assert problems["graph/HCLr.fst"].startswith("wrong sha256")
    assert problems["ivector/final.ie"].startswith("wrong size")
    assert problems["README"] == "missing"


# --------------------------------------------------------------------------- CLI


def test_cli_list_fetch_verify(tmp_path, isolated, server, capsys):
    server.routes["/m.zip"] = (ZIP, "full")
    manifest = str(write_manifest(tmp_path, server.url("/m.zip")))
    assert cli.main(["models", "list", "--manifest", manifest]) == 0
    assert "not installed" in capsys.readouterr().out

    assert cli.main(["models", "fetch", NAME, "--manifest", manifest, "--no-progress"]) == 0
    installed = isolated / "home" / ".cache" / "vosk" / NAME
    assert str(installed) in capsys.readouterr().out

    assert cli.main(["models", "list", "--manifest", manifest]) == 0
    assert f"installed: {installed}" in capsys.readouterr().out
    assert cli.main(["models", "verify", NAME, "--manifest", manifest]) == 0
    assert "are correct" in capsys.readouterr().out

    (installed / "conf" / "model.conf").write_text("changed\n")
    assert cli.main(["models", "verify", str(installed), "--manifest", manifest]) == 1
    out = capsys.readouterr().out
    assert "model.conf: wrong" in out


def test_cli_fetch_from_zip_and_errors(tmp_path, isolated, capsys):
    manifest = str(write_manifest(tmp_path, "https://example.invalid/m.zip"))
    zip_path = tmp_path / "m.zip"
    zip_path.write_bytes(ZIP)
    dest = tmp_path / "dest"
    assert cli.main(["models", "fetch", NAME, "--manifest", manifest, "--zip", str(zip_path),
                     "--dest", str(dest), "--no-progress"]) == 0
    assert (dest / NAME / "am" / "final.mdl").exists()
    capsys.readouterr()

    assert cli.main(["models", "fetch", "nope", "--manifest", manifest]) == 1
    assert "unknown voice model 'nope'" in capsys.readouterr().err
    assert cli.main(["models", "verify", "--manifest", manifest]) == 1  # none in the places
    assert "kiosk models fetch" in capsys.readouterr().err
    assert cli.main(["models", "verify", str(tmp_path / "nowhere"), "--manifest", manifest]) == 1
