"""Shared fixtures: the bundled content, loaded once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kiosk.app.classifier_store import ClassifierStore
from kiosk.core.classifier import Trainer
from kiosk.core.content import DEFAULT_CONTENT_DIR, Content, load_content
from kiosk.core.matching import Matcher
from kiosk.core.safety import RedFlags

#: The sound-server room fixture (tests/room.py), for tests marked ``room``.
pytest_plugins = ["room"]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def matcher_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained matcher models go to a folder of this test session (the kiosk commands that
    tests start inherit it), not to the user's ~/.cache/kiosk."""
    folder = tmp_path_factory.mktemp("kiosk-cache")
    os.environ["KIOSK_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(DEFAULT_CONTENT_DIR)


@pytest.fixture(scope="session")
def flags(content: Content) -> RedFlags:
    """The bundled red-flag rules (content/red_flags.nl.yaml)."""
    assert isinstance(content.red_flags, RedFlags)
    return content.red_flags


@pytest.fixture(scope="session")
def trainer(matcher_cache: Path) -> Trainer:
    """Trains each classifier once per test session (kept in memory and in the session's
    cache folder), so tests that build their own matcher do not train again."""
    return ClassifierStore(matcher_cache).train


@pytest.fixture(scope="session")
def matcher(content: Content, trainer: Trainer) -> Matcher:
    return Matcher(content, trainer=trainer)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled content folder, for tests that break it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target
