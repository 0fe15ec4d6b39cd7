"""The kiosk's config file: defaults, the example file, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from kiosk.app.config import Config, load_config
from kiosk.core.yamlfile import ContentError


def test_defaults_without_a_file(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setattr("kiosk.app.config.SEARCH_PATHS", (tmp_path / "none.yaml",))
    assert load_config() == Config()


def test_example_config_loads():
    config = load_config(REPO / "systemd" / "config.example.yaml")
    assert config.recognizer_mode == "grammar" and config.stats_file == Path("/var/lib/kiosk/stats.json")
    assert config.wake_phrases == ("hallo kiosk", "hallo folder")


def test_env_var_names_the_file(monkeypatch, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("question_timeout_s: 10\ncontent_dir: inhoud\n", encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    config = load_config()
    assert config.question_timeout_s == 10.0 and config.content_dir == tmp_path / "inhoud"


@pytest.mark.parametrize("text, message, line", [
    ("recognizer_mode: grammar\nmicrophone: USB\n", "unknown setting 'microphone'", 2),
    ("question_timeout_s: -3\n", "must be more than 0", 1),
    ("recognizer_mode: fancy\n", "must be 'grammar' or 'free'", 1),
    ("wake_phrases: [hallo\n", "YAML syntax", 2),
])
def test_bad_config_names_file_and_line(tmp_path, text, message, line):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert message in problem.message and problem.file == str(path) and problem.line == line
