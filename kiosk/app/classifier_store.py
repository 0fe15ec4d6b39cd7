"""Keeps trained matcher classifiers on disk, so a start-up after the first one needs no training.

Training takes a few seconds on a PC and longer on a Raspberry Pi; the result depends only on
the content's phrasings (its fingerprint) and the scikit-learn version, both part of the file
name. A cache that cannot be read or written is logged and skipped: the kiosk then trains in
memory as it would without one. The folder is ``$KIOSK_CACHE_DIR``, else systemd's
``$CACHE_DIRECTORY`` (``CacheDirectory=kiosk`` in the service), else ``$XDG_CACHE_HOME/kiosk``
or ``~/.cache/kiosk``.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from pathlib import Path

import sklearn

from kiosk.core import classifier

log = logging.getLogger(__name__)

#: Cache files this process has loaded or written: a matcher uses two models, so writing one
#: must not remove the other; files of earlier content (not used here) are removed.
_in_use: set[Path] = set()


def default_directory() -> Path:
    for variable in ("KIOSK_CACHE_DIR", "CACHE_DIRECTORY"):
        if os.environ.get(variable):
            return Path(os.environ[variable].split(":")[0])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kiosk"


def cache_path(training: classifier.TrainingSet, directory: Path) -> Path:
    return directory / f"matcher-{training.fingerprint[:20]}-sklearn{sklearn.__version__}.pickle"


def cached_train(training: classifier.TrainingSet, directory: Path | None = None) -> classifier.Classifier:
    """The classifier for ``training``: read from the cache folder, else taken from memory
    (trained earlier in this process) or trained now, and then written to the cache folder."""
    directory = directory or default_directory()
    path = cache_path(training, directory)
    try:
        with path.open("rb") as file:
            trained = pickle.load(file)
        if isinstance(trained, classifier.Classifier) and trained.fingerprint == training.fingerprint:
            classifier.remember(trained)
            _in_use.add(path)
            return trained
        log.warning("ignoring %s: it holds a different model", path)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as err:
        log.warning("ignoring unreadable matcher cache %s: %s", path, err)
    log.info("no cached matcher model for this content in %s: training one on %d phrasings "
             "(seconds on a PC, a minute or more on a Raspberry Pi)", directory, len(training.texts))
    trained = classifier.train(training)
    _write(trained, path)
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
        _in_use.add(path)
        log.info("matcher model cached in %s", path)
        for older in path.parent.glob("matcher-*.pickle"):  # models of earlier content
            if older not in _in_use:
                older.unlink(missing_ok=True)
    except OSError as err:
        log.warning("could not cache the matcher model in %s: %s", path.parent, err)
        if temporary:
            Path(temporary).unlink(missing_ok=True)
