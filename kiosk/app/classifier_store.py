"""Keeps trained matcher classifiers on disk, so a start-up after the first one needs no training.

Training takes about 4 s of processor time on a PC (docs/matcher.md, Training) and longer on
a Raspberry Pi. A model is found by a key
known before its training data is built (building that data takes a second or more of its
own): for the matcher's plans (:class:`kiosk.core.classifier.PlannedTraining`) a digest of the
bytes of the content folder's data files (YAML, the leaflet's text), of the kiosk's core code
and of the plan's own key (settings, phrasings); for a training set given whole, its
fingerprint. The key and the model's format are part of the file name, so a content edit or
a new kiosk version trains anew.
A cache that cannot be read or written is logged and skipped: the kiosk then trains in memory
as it would without one. The folder is ``$KIOSK_CACHE_DIR``, else systemd's
``$CACHE_DIRECTORY`` (``CacheDirectory=kiosk`` in the service), else ``$XDG_CACHE_HOME/kiosk``
or ``~/.cache/kiosk``. The folder keeps the ``KEEP`` models used last (a matcher uses two):
reading a model marks it used, and writing one removes the oldest beyond that.

:class:`ClassifierStore` also keeps the models it has given out in memory, for a process that
builds several matchers over the same content (the tests, the benchmarks).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from kiosk.core import classifier

log = logging.getLogger(__name__)

#: Version of the pickled model: part of the file name, so a kiosk never reads a model of
#: another shape. Raise it when :class:`kiosk.core.classifier.Classifier` changes.
FORMAT = 3
#: Models kept in the folder: the two of the current content and the two of the one before.
KEEP = 4


def default_directory() -> Path:
    for variable in ("KIOSK_CACHE_DIR", "CACHE_DIRECTORY"):
        if os.environ.get(variable):
            return Path(os.environ[variable].split(":")[0])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kiosk"


def cache_key(training: classifier.Training) -> str:
    """What the model for ``training`` is stored under (see the module's docstring)."""
    if isinstance(training, classifier.TrainingSet):
        return training.fingerprint
    digest = hashlib.sha256(f"{training.key}\n{code_version()}\n".encode())
    if training.directory is not None:
        digest.update(folder_digest(training.directory).encode())
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """Digest of the kiosk's version and of the core's source files (the training data and
    the model are made there)."""
    from kiosk import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(classifier.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


#: Files of a content folder that the training data can come from (not the notes, ``*.md``).
DATA_FILES = ("*.yaml", "*.txt")


def folder_digest(directory: Path) -> str:
    """Digest of the names and bytes of the data files in ``directory`` (and below); a
    folder that cannot be read gives a digest of that, so the cache still works."""
    digest = hashlib.sha256()
    try:
        for path in sorted(p for pattern in DATA_FILES for p in directory.rglob(pattern)):
            digest.update(f"{path.relative_to(directory)}\0".encode() + path.read_bytes() + b"\0")
    except OSError as err:
        digest.update(f"unreadable: {err}".encode())
    return digest.hexdigest()


def cache_path(training: classifier.Training, directory: Path, key: str | None = None) -> Path:
    return directory / f"matcher-{(key or cache_key(training))[:20]}-v{FORMAT}.pickle"


def cached_train(training: classifier.Training, directory: Path | None = None, *,
                 start: classifier.Classifier | None = None) -> classifier.Classifier:
    """The classifier for ``training``: read from the cache folder, else trained now (from
    ``start``, see :func:`kiosk.core.classifier.train`) and then written to the cache folder.
    A plan is built only when no model is found."""
    directory = directory or default_directory()
    key = cache_key(training)
    path = cache_path(training, directory, key)
    trained = _read(path, key)
    if trained is not None:
        return trained
    data = classifier.built(training)
    log.info("no cached matcher model for this content in %s: training one on %d phrasings "
             "(seconds)", directory, len(data.texts))
    trained = classifier.train(data, start=start)
    _write(key, trained, path)
    return trained


class ClassifierStore:
    """:func:`cached_train` with a memory of the models given out, by fingerprint."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory
        self._models: dict[str, classifier.Classifier] = {}

    def train(self, training: classifier.Training,
              *, start: classifier.Classifier | None = None) -> classifier.Classifier:
        """A :class:`kiosk.core.classifier.Trainer`: the same model for the same data."""
        key = cache_key(training)
        if key not in self._models:
            self._models[key] = cached_train(training, self.directory, start=start)
        return self._models[key]


def _read(path: Path, key: str) -> classifier.Classifier | None:
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as err:
        log.warning("ignoring unreadable matcher cache %s: %s", path, err)
        return None
    trained = stored.get("model") if isinstance(stored, dict) else None
    if not (isinstance(trained, classifier.Classifier) and stored.get("key") == key):
        log.warning("ignoring %s: it holds a different model", path)
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves
        os.utime(path)  # used now: kept when newer models are written
    return trained


def _write(key: str, trained: classifier.Classifier, path: Path) -> None:
    """Write atomically (a half-written file never looks like a model); failures only log."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as file:
            pickle.dump({"key": key, "model": trained}, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        log.info("matcher model cached in %s", path)
        _remove_old_models(path.parent)
    except OSError as err:
        log.warning("could not cache the matcher model in %s: %s", path.parent, err)
        if temporary:
            Path(temporary).unlink(missing_ok=True)


def _remove_old_models(directory: Path) -> None:
    """Keep the ``KEEP`` models used last (models of earlier content, other formats go)."""
    models = sorted(directory.glob("matcher-*.pickle"),
                    key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    for older in models[KEEP:]:
        older.unlink(missing_ok=True)
