"""Keeps trained matcher classifiers on disk, so a start-up after the first one needs no training.

Training takes a few seconds on a PC and longer on a Raspberry Pi; the result depends only on
the content's phrasings (its fingerprint) and the model's format, both part of the file name.
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
import logging
import os
import pickle
import tempfile
from pathlib import Path

from kiosk.core import classifier

log = logging.getLogger(__name__)

#: Version of the pickled model: part of the file name, so a kiosk never reads a model of
#: another shape. Raise it when :class:`kiosk.core.classifier.Classifier` changes.
FORMAT = 2
#: Models kept in the folder: the two of the current content and the two of the one before.
KEEP = 4


def default_directory() -> Path:
    for variable in ("KIOSK_CACHE_DIR", "CACHE_DIRECTORY"):
        if os.environ.get(variable):
            return Path(os.environ[variable].split(":")[0])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kiosk"


def cache_path(training: classifier.TrainingSet, directory: Path) -> Path:
    return directory / f"matcher-{training.fingerprint[:20]}-v{FORMAT}.pickle"


def cached_train(training: classifier.TrainingSet, directory: Path | None = None, *,
                 start: classifier.Classifier | None = None) -> classifier.Classifier:
    """The classifier for ``training``: read from the cache folder, else trained now (from
    ``start``, see :func:`kiosk.core.classifier.train`) and then written to the cache folder."""
    directory = directory or default_directory()
    path = cache_path(training, directory)
    trained = _read(path, training.fingerprint)
    if trained is not None:
        return trained
    log.info("no cached matcher model for this content in %s: training one on %d phrasings "
             "(seconds)", directory, len(training.texts))
    trained = classifier.train(training, start=start)
    _write(trained, path)
    return trained


class ClassifierStore:
    """:func:`cached_train` with a memory of the models given out, by fingerprint."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory
        self._models: dict[str, classifier.Classifier] = {}

    def train(self, training: classifier.TrainingSet,
              *, start: classifier.Classifier | None = None) -> classifier.Classifier:
        """A :class:`kiosk.core.classifier.Trainer`: the same model for the same data."""
        key = training.fingerprint
        if key not in self._models:
            self._models[key] = cached_train(training, self.directory, start=start)
        return self._models[key]


def _read(path: Path, fingerprint: str) -> classifier.Classifier | None:
    try:
        with path.open("rb") as file:
            trained = pickle.load(file)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as err:
        log.warning("ignoring unreadable matcher cache %s: %s", path, err)
        return None
    if not (isinstance(trained, classifier.Classifier) and trained.fingerprint == fingerprint):
        log.warning("ignoring %s: it holds a different model", path)
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves
        os.utime(path)  # used now: kept when newer models are written
    return trained


def _write(trained: classifier.Classifier, path: Path) -> None:
    """Write atomically (a half-written file never looks like a model); failures only log."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as file:
            pickle.dump(trained, file, protocol=pickle.HIGHEST_PROTOCOL)
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
