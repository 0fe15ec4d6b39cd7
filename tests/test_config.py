"""The kiosk's config file: defaults, the example file, strict values with file and line, and
`kiosk config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO

from kiosk.app.config import Config, load_config, read_config
from kiosk.cli.main import main
from kiosk.core.schema import validate
from kiosk.core.yamlfile import ContentError, load_yaml_text


@pytest.fixture
def no_config_file(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setattr("kiosk.app.config.SEARCH_PATHS", (tmp_path / "none.yaml",))


def test_defaults_without_a_file(no_config_file):
    assert load_config() == Config()


def test_example_config_loads():
    config = load_config(REPO / "systemd" / "config.example.yaml")
    assert config.recognizer_mode == "grammar" and config.stats_file == Path("/var/lib/kiosk/stats.json")
    assert config.wake_phrases == ("hallo kiosk", "hallo folder")


def test_env_var_names_the_file(monkeypatch, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("question_timeout_s: 10\ncontent_dir: inhoud\nstats_file: tellers.json\n",
                    encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    loaded = read_config()
    config = loaded.config
    assert config.question_timeout_s == 10.0 and config.content_dir == tmp_path / "inhoud"
    assert config.stats_file == tmp_path / "tellers.json"  # relative to the config file
    assert loaded.found_by == "$KIOSK_CONFIG"
    assert loaded.origins["question_timeout_s"] == f"{path}:1"
    assert loaded.origins["answer_timeout_s"] == "default"


def test_exact_types_are_kept(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("button_gpio: 17\ninput_device: 2\noutput_device: USB Audio\n"
                    "wake_phrases: hallo kiosk\nmax_utterance_s: 10\n", encoding="utf-8")
    config = load_config(path)
    assert config.button_gpio == 17 and config.input_device == 2
    assert config.output_device == "USB Audio" and config.wake_phrases == ("hallo kiosk",)
    assert config.max_utterance_s == 10.0 and isinstance(config.max_utterance_s, float)


@pytest.mark.parametrize("text, message", [
    ("button_gpio: true\n", "button_gpio: must be a whole number, not true (yes/no)"),
    ("button_gpio: 17.9\n", "button_gpio: must be a whole number, not 17.9"),
    ("button_gpio: '17'\n", "button_gpio: must be a whole number, not the text '17'"),
    ("button_gpio: 99\n", "button_gpio: must be at most 27, not 99"),
    ("button_gpio: -1\n", "button_gpio: must be at least 0, not -1"),
    ("stats_file: [a, b]\n", "stats_file: must be a path (a text), not a list"),
    ("stats_file: ''\n", "stats_file: must be a path, not an empty text"),
    ("content_dir: yes\n", "content_dir: must be a path (a text), not true (yes/no)"),
    ("model_path: 12\n", "model_path: must be a path (a text), not 12"),
    ("question_timeout_s: 1.0e-9\n", "question_timeout_s: must be at least 1, not 1e-09"),
    ("question_timeout_s: 1e-9\n", "question_timeout_s: must be a number, not the text '1e-9'"),
    ("question_timeout_s: -3\n", "question_timeout_s: must be at least 1, not -3"),
    ("question_timeout_s: 3600\n", "question_timeout_s: must be at most 60, not 3600"),
    ("answer_timeout_s: .nan\n", "answer_timeout_s: must be a finite number, not nan"),
    ("max_utterance_s: .inf\n", "max_utterance_s: must be a finite number, not inf"),
    ("max_utterance_s: -.inf\n", "max_utterance_s: must be a finite number, not -inf"),
    ("answer_timeout_s: true\n", "answer_timeout_s: must be a number, not true (yes/no)"),
    ("input_device: 2.5\n", "input_device: must be a text or a whole number, not 2.5"),
    ("wake_phrases: {a: 1}\n", "wake_phrases: must be a list of phrases, not a mapping"),
    ("wake_phrases: [hallo, 3]\n", "wake_phrases[2]: must be a text, not 3"),
    ("recognizer_mode: fancy\n", "recognizer_mode: must be 'grammar' or 'free'"),
    ("model_name:\n", "model_name: must be a text, not None"),
])
def test_wrong_values_are_refused_with_file_and_line(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text("# kiosk\n# settings\n" + text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.message) == (str(path), 3, message)


@pytest.mark.parametrize("text, message, line", [
    ("recognizer_mode: grammar\nmicrophone: USB\n", "unknown field 'microphone'; known: content_dir", 2),
    ("wake_phrases: [hallo\n", "YAML syntax", 2),
    ("- a\n", "the config must be a mapping of settings", 1),
])
def test_bad_config_names_file_and_line(tmp_path, text, message, line):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert message in problem.message and problem.file == str(path) and problem.line == line


class _ConfigWithMore(Config):
    """Config with settings added the plain way, as a later setting might be."""

    flag: bool = False
    ratio: float = 1.0
    count: int = 1


@pytest.mark.parametrize("text, message", [
    ("flag: 1\n", "flag: must be true or false, not 1"),
    ("flag: 'yes'\n", "flag: must be true or false, not the text 'yes'"),
    ("ratio: .nan\n", "ratio: must be a finite number, not nan"),
    ("ratio: true\n", "ratio: must be a number, not true (yes/no)"),
    ("ratio: '2'\n", "ratio: must be a number, not the text '2'"),
    ("count: 2.0\n", "count: must be a whole number, not 2.0"),
])
def test_settings_added_with_plain_types_are_strict_too(text, message):
    with pytest.raises(ContentError) as caught:
        validate(_ConfigWithMore, load_yaml_text(text, "c.yaml"), "c.yaml")
    assert [p.message for p in caught.value.problems] == [message]


def test_settings_added_with_plain_types_take_their_values():
    data = load_yaml_text("flag: true\nratio: 2\ncount: 3\n", "c.yaml")
    assert validate(_ConfigWithMore, data, "c.yaml").model_dump(include={"flag", "ratio", "count"}) \
        == {"flag": True, "ratio": 2.0, "count": 3}


def test_every_error_is_reported_at_once(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("button_gpio: true\nstats_file: [a]\nanswer_timeout_s: .nan\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_config(path)
    assert [p.line for p in caught.value.problems] == [1, 2, 3]


def test_kiosk_config_shows_values_and_origins(tmp_path, capsys, no_config_file):
    path = tmp_path / "config.yaml"
    path.write_text("# kiosk\nbutton_gpio: 17\nwake_phrases: []\n", encoding="utf-8")
    assert main(["config", "--config", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"# config file: {path} (found by --config)"
    [gpio] = [line for line in out if line.startswith("button_gpio ")]
    assert gpio.split() == ["button_gpio", "17", "#", f"{path}:2"]
    [timeout] = [line for line in out if line.startswith("question_timeout_s ")]
    assert timeout.split() == ["question_timeout_s", "8.0", "#", "default"]
    [wake] = [line for line in out if line.startswith("wake_phrases ")]
    assert wake.split() == ["wake_phrases", "[]", "#", f"{path}:3"]


def test_kiosk_config_json_and_environment(tmp_path, capsys, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text("stats_file: s.json\n", encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert main(["config", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["file"] == str(path) and shown["found_by"] == "$KIOSK_CONFIG"
    assert shown["settings"]["stats_file"] == {"value": str(tmp_path / "s.json"),
                                               "origin": f"{path}:1"}
    assert shown["settings"]["button_gpio"] == {"value": None, "origin": "default"}
    assert shown["environment"]["KIOSK_CONFIG"] == str(path)


def test_kiosk_config_without_a_file(capsys, no_config_file):
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# no config file found: all defaults")
    assert "# default" in out and "# /" not in out


def test_kiosk_config_refuses_a_bad_file(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("button_gpio: 17.9\n", encoding="utf-8")
    assert main(["config", "--config", str(path)]) == 1
    assert f"{path}:1: error: button_gpio: must be a whole number, not 17.9" in capsys.readouterr().err
