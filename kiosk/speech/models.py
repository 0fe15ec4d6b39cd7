"""Voice models: the manifest (``voice_models/models.yaml``), lookup, download and verification.

A folder counts as a model only when it holds what Vosk needs to load one (see
:func:`is_model_folder`), so a half-unpacked or half-copied folder is never picked up. Downloads
go to ``NAME.zip.part``, unpack into a hidden temporary folder beside the destination, are checked
file by file against the manifest and only then renamed into place in one step.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator

from kiosk.core.schema import Field, Items, Number, Strict, Text, Whole, validate, validate_each
from kiosk.core.yamlfile import ContentError, Problem, load_yaml
from kiosk.datafiles import shipped
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

#: The manifest that ships with the kiosk (in the checkout, beside the package).
DEFAULT_MANIFEST = shipped("voice_models") / "models.yaml"
#: Environment variable naming a model folder, or a folder that holds model folders (as in vosk).
ENV_VAR = "VOSK_MODEL_PATH"
#: System-wide folder that holds model folders (also searched by vosk itself).
SYSTEM_DIR = Path("/usr/share/vosk")
#: Seconds without data before a download counts as failed.
DOWNLOAD_TIMEOUT = 30.0
_CHUNK = 1 << 16
_MB = 1_000_000


def cache_dir() -> Path:
    """vosk's own download folder, ``~/.cache/vosk`` (read at call time, so HOME can change)."""
    return Path.home() / ".cache" / "vosk"


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class ModelFile:
    """One file of an unpacked model, relative to the model folder (POSIX separators)."""

    path: str
    sha256: str
    size: int | None = None


@dataclass(frozen=True)
class ModelEntry:
    """One supported model from the manifest."""

    name: str
    url: str
    folder: str
    language: str
    licence: str
    files: tuple[ModelFile, ...]
    zip_sha256: str | None = None
    zip_size_mb: float | None = None
    unpacked_size_mb: float | None = None
    properties: dict[str, Any] = field(default_factory=dict, compare=False)
    source: str = ""  # "file:line" of the entry, for messages

    @property
    def needed_bytes(self) -> int:
        """Rough disk space a fetch needs at its peak (zip plus unpacked folder)."""
        return int(((self.zip_size_mb or 0) + (self.unpacked_size_mb or 0)) * _MB)


@dataclass(frozen=True)
class Manifest:
    path: Path
    default: str
    models: tuple[ModelEntry, ...]

    def get(self, name: str | None = None) -> ModelEntry:
        """The entry called ``name`` (the manifest's default when None)."""
        name = name or self.default
        for entry in self.models:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.models)
        raise KioskError(f"unknown voice model {name!r}; {self.path} lists: {known}")


def _matching(regex: str, message: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{message}, not {value!r}")
        return value

    return AfterValidator(check)


def _relative(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or path != str(pure):
        raise ValueError(f"file path {path!r} must be relative, with / and no ..")
    return path


_Name = Annotated[Text, _matching(r"[A-Za-z0-9][A-Za-z0-9._-]*",
                                  "must be a plain folder-style name (letters, digits, . _ -)")]
_Sha256 = Annotated[str, _matching(r"[0-9a-f]{64}",
                                   "must be 64 lowercase hex digits (in quotes if all digits)")]
_Url = Annotated[Text, _matching(r"(https?|file)://.+", "must start with https://, http:// or file://")]
_Megabytes = Annotated[Number, Field(gt=0)] | None


class _FileShape(Strict):
    sha256: _Sha256
    size: Annotated[Whole, Field(ge=0)] | None = None


class _EntryShape(Strict):
    name: _Name
    url: _Url
    folder: _Name
    language: Text
    licence: Text
    files: Annotated[dict[Annotated[str, AfterValidator(_relative)], _FileShape], Field(min_length=1)]
    zip_sha256: _Sha256 | None = None
    zip_size_mb: _Megabytes = None
    unpacked_size_mb: _Megabytes = None
    properties: dict[str, Any] = Field(default_factory=dict)


class _ManifestShape(Strict):
    default: Text | None = None
    models: Items


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Load and validate a model manifest; every problem names its file and line."""
    path = Path(path) if path else DEFAULT_MANIFEST
    data, file = load_yaml(path), str(path)
    raw_models = validate(_ManifestShape, data, file).models
    shapes, problems = validate_each(_EntryShape, raw_models, file, "models")
    entries: list[ModelEntry] = []
    seen: dict[str, int] = {}
    for shape, raw in zip(shapes, raw_models, strict=False):
        name = raw.get("name") if isinstance(raw, dict) else None
        if name in seen:
            problems.append(raw.problem(f"model {name!r} listed twice (first at line "
                                        f"{seen[name]})", "name"))
        elif isinstance(name, str):
            seen[name] = raw.line_of("name")
        if shape is not None:
            entries.append(ModelEntry(
                name=shape.name, url=shape.url, folder=shape.folder, language=shape.language,
                licence=shape.licence, zip_sha256=shape.zip_sha256, zip_size_mb=shape.zip_size_mb,
                unpacked_size_mb=shape.unpacked_size_mb, properties=dict(shape.properties),
                files=tuple(ModelFile(rel, f.sha256, f.size) for rel, f in shape.files.items()),
                source=f"{file}:{raw.line}"))
    default = data.get("default") or (entries[0].name if entries else None)
    if default not in seen:
        problems.append(data.problem(f"default {default!r} is not the name of a listed model",
                                     "default"))
    if problems:
        raise ContentError(sorted(problems, key=lambda p: p.line))
    return Manifest(path=path, default=str(default), models=tuple(entries))


# --------------------------------------------------------------------------- lookup


class ModelNotFound(KioskError):
    """No usable model folder in any of the places the kiosk looks."""

    def __init__(self, message: str, looked: list[str]):
        super().__init__(message)
        self.looked = looked


def model_folder_problems(folder: Path) -> list[str]:
    """What keeps ``folder`` from being a loadable Vosk model (empty when nothing does).

    Vosk needs am/final.mdl, conf/model.conf and a graph: either graph/HCLG.fst or the lookahead
    pair graph/HCLr.fst + graph/Gr.fst. Empty files count as missing (an interrupted copy).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return ["no such folder" if not folder.exists() else "not a folder"]

    def present(rel: str) -> bool:
        try:
            return (folder / rel).is_file() and (folder / rel).stat().st_size > 0
        except OSError:
            return False

    missing = [rel for rel in ("am/final.mdl", "conf/model.conf") if not present(rel)]
    if not present("graph/HCLG.fst") and not (present("graph/HCLr.fst") and present("graph/Gr.fst")):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst)")
    return [f"missing {rel}" for rel in missing]


def is_model_folder(folder: Path, entry: ModelEntry | None = None) -> bool:
    """True when ``folder`` holds a complete Vosk model.

    With ``entry``, every file the manifest lists must also be there with its listed size (a
    cheap check without hashing; :func:`verify_model` does the full one).
    """
    if model_folder_problems(folder):
        return False
    return entry is None or not _quick_problems(Path(folder), entry)


def _quick_problems(folder: Path, entry: ModelEntry) -> list[str]:
    problems = []
    for f in entry.files:
        path = folder / f.path
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"missing {f.path}")
            continue
        if f.size is not None and size != f.size:
            problems.append(f"{f.path} has {size} bytes, expected {f.size}")
    return problems


def search_places(configured: str | Path | None, entry: ModelEntry) -> list[tuple[str, Path]]:
    """Where :func:`find_model` looks, in order, as (label, folder) pairs."""
    places: list[tuple[str, Path]] = []
    if configured:
        places.append(("configured model path", Path(configured).expanduser()))
    env = os.environ.get(ENV_VAR)
    if env:
        env_path = Path(env).expanduser()
        places.append((f"${ENV_VAR}", env_path))
        places.append((f"${ENV_VAR}/{entry.folder}", env_path / entry.folder))
    places.append(("vosk cache", cache_dir() / entry.folder))
    places.append(("system folder", SYSTEM_DIR / entry.folder))
    return places


def find_model(
    configured: str | Path | None = None,
    name: str | None = None,
    manifest: Manifest | None = None,
) -> Path:
    """The folder of a usable model; raise :class:`ModelNotFound` naming every place tried.

    Order: ``configured`` (from the kiosk config; any complete Vosk model, it need not be in the
    manifest), then ``$VOSK_MODEL_PATH`` (a model folder itself, or a folder holding the model's
    folder), then vosk's cache ``~/.cache/vosk/<folder>``, then ``/usr/share/vosk/<folder>``.
    """
    manifest = manifest or load_manifest()
    entry = manifest.get(name)
    looked: list[str] = []
    for label, folder in search_places(configured, entry):
        by_name = folder.name == entry.folder and label != "configured model path"
        reasons = model_folder_problems(folder)
        if not reasons and by_name:
            reasons = _quick_problems(folder, entry)
        if not reasons:
            log.debug("voice model found: %s (%s)", folder, label)
            return folder
        looked.append(f"{folder} ({label}: {reasons[0]})")
        if label == "configured model path":
            log.warning("configured voice model %s is not usable: %s", folder, "; ".join(reasons))
    places = "\n".join(f"  - {line}" for line in looked)
    message = (
        f"no usable voice model {entry.name!r} found. Looked in:\n{places}\n"
        f"Fetch it with:  kiosk models fetch {entry.name}\n"
        f"Without internet on this machine: download {entry.url} on another computer, then "
        f"either install the zip with  kiosk models fetch {entry.name} --zip FILE  or unzip it "
        f"and copy the folder {entry.folder}/ to {cache_dir() / entry.folder} (or set "
        f"{ENV_VAR} to where it is); check it with  kiosk models verify {entry.name}"
    )
    raise ModelNotFound(message, looked)


def identify_model(folder: str | Path, manifest: Manifest | None = None) -> ModelEntry | None:
    """The manifest entry whose files ``folder`` holds (names and listed sizes), or None.

    A quick check without hashing, e.g. to tell whether the model :func:`find_model` returned
    (which may be any Vosk model named by the config or ``$VOSK_MODEL_PATH``) is the Dutch one.
    """
    folder = Path(folder)
    if model_folder_problems(folder):
        return None
    manifest = manifest or load_manifest()
    for entry in manifest.models:
        if not _quick_problems(folder, entry):
            return entry
    return None


def installed_path(entry: ModelEntry) -> Path | None:
    """Where ``entry`` is installed by name ($VOSK_MODEL_PATH, cache, system), or None."""
    for _label, folder in search_places(None, entry):
        if folder.name != entry.folder:
            continue
        if is_model_folder(folder, entry):
            return folder
    return None


# --------------------------------------------------------------------------- verification


def sha256_file(path: Path, progress: Any = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            if progress is not None:
                progress.update(len(block))
    return digest.hexdigest()


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_model`: true when the folder is good (no problems)."""

    folder: Path
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok


def verify_model(folder: str | Path, entry: ModelEntry, progress: bool = False) -> Verification:
    """Check every file the manifest lists: present, right size, right sha256.

    The result is true when the folder matches the manifest; otherwise its ``problems`` each
    name the file. Files the manifest does not list are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return Verification(folder, (Problem(str(folder), 0, "no such model folder"),))
    problems = [Problem(str(folder), 0, reason) for reason in model_folder_problems(folder)]
    to_hash: list[tuple[ModelFile, Path]] = []
    for f in entry.files:
        path = folder / f.path
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(Problem(str(path), 0, "missing"))
            continue
        if f.size is not None and size != f.size:
            problems.append(Problem(str(path), 0, f"wrong size: {size} bytes, expected {f.size}"))
            continue
        to_hash.append((f, path))
    total = sum(p.stat().st_size for _, p in to_hash)
    with _progress_bar(total, f"verify {entry.name}", enabled=progress) as bar:
        for f, path in to_hash:
            try:
                actual = sha256_file(path, bar)
            except OSError as err:
                problems.append(Problem(str(path), 0, f"cannot read: {err.strerror or err}"))
                continue
            if actual != f.sha256:
                problems.append(Problem(str(path), 0,
                                        f"wrong sha256: {actual}, expected {f.sha256}"))
    return Verification(folder, tuple(problems))


def _progress_bar(total: int | None, desc: str, enabled: bool, initial: int = 0) -> Any:
    from tqdm import tqdm  # imported here: only downloads and verification need it

    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True,
                unit_divisor=1024, disable=not enabled, leave=False)


# --------------------------------------------------------------------------- download


def fetch_model(
    entry: ModelEntry,
    dest_dir: str | Path | None = None,
    progress: bool = True,
    timeout: float = DOWNLOAD_TIMEOUT,
) -> Path:
    """Download ``entry``'s zip, check it, unpack, verify every file, move into place.

    Returns ``dest_dir/<folder>`` (``dest_dir`` defaults to vosk's cache). An interrupted
    download stays as ``<folder>.zip.part`` and is resumed next time when the server allows;
    nothing that looks like a model appears until every file has been verified. A model already
    in place that verifies is kept as it is.
    """
    dest = Path(dest_dir).expanduser() if dest_dir else cache_dir()
    target = dest / entry.folder
    with _friendly_os_errors(dest, entry):
        dest.mkdir(parents=True, exist_ok=True)
        if target.exists() and verify_model(target, entry, progress=progress):
            log.info("%s is already installed and verified at %s", entry.name, target)
            return target
        if not os.access(dest, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "Permission denied", str(dest))
        _check_free_space(dest, entry)
        part = dest / f"{entry.folder}.zip.part"
        _download(entry.url, part, entry, progress, timeout)
        try:
            return install_zip(entry, part, dest, progress=progress)
        finally:
            part.unlink(missing_ok=True)  # complete download: installed, or bad and useless


def install_zip(
    entry: ModelEntry, zip_path: str | Path, dest_dir: str | Path | None = None,
    progress: bool = False,
) -> Path:
    """Install a model from a zip already on disk (e.g. copied from a USB stick).

    Checks the zip's sha256 (when the manifest has one) and layout, unpacks into a hidden
    temporary folder beside the destination, verifies every file, then renames it into place.
    A model already in place is replaced only by one that verified.
    """
    zip_path = Path(zip_path)
    dest = Path(dest_dir).expanduser() if dest_dir else cache_dir()
    target = dest / entry.folder
    with _friendly_os_errors(dest, entry):
        dest.mkdir(parents=True, exist_ok=True)
        if entry.zip_sha256:
            actual = sha256_file(zip_path)
            if actual != entry.zip_sha256:
                raise KioskError(
                    f"the zip of {entry.name} is damaged or not the expected file: sha256 "
                    f"{actual}, expected {entry.zip_sha256} (from {entry.source}). Nothing was "
                    f"installed; try again, or download {entry.url} on another computer.")
        _remove_stale_staging(dest, entry)
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.folder}.unpacking-", dir=dest))
        try:
            _unpack(zip_path, staging, entry)
            unpacked = staging / entry.folder
            verification = verify_model(unpacked, entry, progress=progress)
            if not verification:
                listed = "\n".join(f"  - {p.file[len(str(unpacked)) + 1:] or p.file}: {p.message}"
                                   for p in verification.problems)
                raise KioskError(
                    f"the files of {entry.name} do not match the manifest ({entry.source}); "
                    f"nothing was installed:\n{listed}")
            _move_into_place(unpacked, target, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("installed %s at %s", entry.name, target)
    return target


def _remove_stale_staging(dest: Path, entry: ModelEntry, min_age_s: float = 3600) -> None:
    """Remove unpacking folders a killed earlier run left behind (hidden, never taken as a model).

    Only folders older than ``min_age_s`` go, so a fetch running beside this one is left alone.
    """
    for stale in dest.glob(f".{entry.folder}.unpacking-*"):
        try:
            if time.time() - stale.stat().st_mtime > min_age_s:
                shutil.rmtree(stale, ignore_errors=True)
                log.info("removed %s, left by an interrupted install", stale)
        except OSError:
            pass


def _move_into_place(unpacked: Path, target: Path, staging: Path) -> None:
    """Rename the verified folder to ``target``; an old broken folder there is set aside first."""
    if target.exists() or target.is_symlink():
        old = staging / "previous"
        os.replace(target, old)  # same file system: atomic
        log.info("replacing %s, which did not verify", target)
    os.replace(unpacked, target)


def _unpack(zip_path: Path, staging: Path, entry: ModelEntry) -> None:
    prefix = entry.folder + "/"
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = archive.namelist()
            bad = [n for n in names if not (n == prefix or n.startswith(prefix))
                   or ".." in PurePosixPath(n).parts or n.startswith("/")]
            if not names or bad:
                tops = sorted({n.split("/", 1)[0] for n in names})[:5]
                raise KioskError(
                    f"unexpected layout in {zip_path.name}: expected everything inside one "
                    f"folder {entry.folder}/, found {', '.join(tops) or 'an empty zip'}. Is the "
                    f"url in {entry.source} right? Nothing was installed.")
            archive.extractall(staging)
    except zipfile.BadZipFile as err:
        raise KioskError(f"{zip_path.name} is not a valid zip file ({err}); the download may "
                         f"be damaged. Nothing was installed; try again.") from None


def _download(url: str, part: Path, entry: ModelEntry, progress: bool, timeout: float) -> None:
    """Fetch ``url`` into ``part``, resuming an earlier partial download when the server can."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "kiosk-models/1"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # range not satisfiable: the part is stale or complete
            part.unlink()
            return _download(url, part, entry, progress, timeout)
        raise _network_error(entry, f"the server answered {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError, HTTPException) as err:
        reason = getattr(err, "reason", None) or err
        raise _network_error(entry, str(reason), part if have else None) from None
    with response:
        status = getattr(response, "status", 200)
        resumed = have > 0 and status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        expected = have + int(length) if length and length.isdigit() else None
        mode = "ab" if resumed else "wb"
        if resumed:
            log.info("resuming download of %s at %d bytes", entry.name, have)
        received = have
        try:
            with open(part, mode) as out, _progress_bar(expected, entry.name, progress,
                                                         initial=have) as bar:
                while True:
                    block = response.read(_CHUNK)
                    if not block:
                        break
                    out.write(block)
                    received += len(block)
                    bar.update(len(block))
        except (TimeoutError, ConnectionError, HTTPException) as err:
            raise _network_error(entry, f"the connection broke off ({err or 'timeout'})",
                                 part) from None
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise _network_error(entry, f"the connection broke off ({err})", part) from None
    if expected is not None and received < expected:
        raise _network_error(
            entry, f"the connection closed after {received} of {expected} bytes", part)


def _network_error(entry: ModelEntry, reason: str, part: Path | None = None) -> KioskError:
    kept = (f" The part already downloaded is kept as {part}; run the same command again to "
            f"continue.") if part is not None and part.exists() else ""
    return KioskError(
        f"could not download {entry.name} from {entry.url}: {reason}.{kept} Check the internet "
        f"connection, or download the zip on another computer and install it with "
        f"'kiosk models fetch {entry.name} --zip FILE'.")


def _check_free_space(dest: Path, entry: ModelEntry) -> None:
    needed = entry.needed_bytes
    if not needed:
        return
    free = shutil.disk_usage(dest).free
    if free < needed:
        raise OSError(errno.ENOSPC, f"needs about {needed // _MB} MB, {free // _MB} MB free")


@contextmanager
def _friendly_os_errors(dest: Path, entry: ModelEntry) -> Iterator[None]:
    """Turn disk-full and permission errors into KioskErrors that say what to do."""
    try:
        yield
    except OSError as err:
        if err.errno == errno.ENOSPC:
            with contextlib.suppress(OSError):  # free the space a partial download took
                (dest / f"{entry.folder}.zip.part").unlink(missing_ok=True)
            detail = f" ({err.strerror})" if err.strerror and "MB" in err.strerror else ""
            raise KioskError(
                f"not enough disk space in {dest} to install {entry.name}{detail}. Free some "
                f"space or choose another folder with --dest; nothing was installed."
            ) from None
        if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM,
                                                             errno.EROFS):
            raise KioskError(
                f"no permission to write in {err.filename or dest} while installing "
                f"{entry.name}. Run as the user the kiosk runs as, or choose another folder "
                f"with --dest; nothing was installed."
            ) from None
        if isinstance(err, FileNotFoundError) and err.filename:
            raise KioskError(f"cannot read {err.filename}: file not found") from None
        raise


def list_installed(manifest: Manifest) -> list[tuple[ModelEntry, Path | None]]:
    """Each manifest entry with the folder it is installed in (or None)."""
    return [(entry, installed_path(entry)) for entry in manifest.models]

