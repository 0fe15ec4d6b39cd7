"""The kiosk's settings: a small YAML file with defaults for everything and clear errors.

Looked for at ``--config FILE``, then ``$KIOSK_CONFIG``, then ``/etc/kiosk/config.yaml``, then
``~/.config/kiosk/config.yaml``; with none found the defaults below are used. Example:
``systemd/config.example.yaml``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.core.content import DEFAULT_CONTENT_DIR
from kiosk.core.yamlfile import ContentError, LineDict, Problem, load_yaml

SEARCH_PATHS = (Path("/etc/kiosk/config.yaml"), Path.home() / ".config" / "kiosk" / "config.yaml")


@dataclass(frozen=True)
class Config:
    content_dir: Path = DEFAULT_CONTENT_DIR
    #: Folder of the Vosk model; None means: look it up (VOSK_MODEL_PATH, ~/.cache/vosk, ...).
    model_path: Path | None = None
    model_name: str = "vosk-model-small-nl-0.22"
    #: "grammar" (phrases from content: more robust) or "free" (any Dutch).
    recognizer_mode: str = "grammar"
    #: Sound devices by name (part of it) or index; None is the system default.
    input_device: str | None = None
    output_device: str | None = None
    #: Words that start a visit without the button; empty disables the wake phrase.
    wake_phrases: tuple[str, ...] = ("hallo kiosk", "hallo folder")
    #: Seconds of silence before a question or an answer counts as not given.
    question_timeout_s: float = 8.0
    answer_timeout_s: float = 6.0
    #: Longest utterance the recogniser waits for, in seconds.
    max_utterance_s: float = 12.0
    #: In grammar mode, an utterance that is a whole phrase ends after this much silence.
    phrase_silence_s: float = 0.3
    #: What the microphone hears this long after the kiosk stopped speaking is its own echo.
    echo_tail_s: float = 0.3
    #: A microphone that sends nothing this long (seconds) ends the kiosk (systemd restarts it).
    mic_recover_s: float = 60.0
    #: Listen while speaking and stop reading when the visitor speaks. Only with an
    #: echo-cancelled microphone (systemd/README.md, "Voice barge-in").
    barge_in: bool = False
    #: Where anonymous counters go (topic ids, misses, triage outcomes; never audio or text).
    stats_file: Path | None = None
    #: GPIO pin (BCM numbering) of the big button; None: no button (keyboard Enter in a terminal).
    button_gpio: int | None = None
    source: str = field(default="defaults", compare=False)


_TYPES = {f.name: f.type for f in dataclasses.fields(Config) if f.name != "source"}


def _convert(name: str, value: Any, node: LineDict) -> Any:
    kind = _TYPES[name]
    if value is None:
        if "None" in kind:
            return None
        raise ContentError([node.problem(f"'{name}' may not be empty", name)])
    try:
        if "Path" in kind:
            return Path(os.path.expanduser(str(value)))
        if kind.startswith("float"):
            number = float(value)
            if number <= 0:
                raise ValueError("must be more than 0")
            return number
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("bool"):
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if kind.startswith("tuple"):
            if isinstance(value, str):
                value = [value]
            return tuple(str(v) for v in value)
        if name == "recognizer_mode" and value not in ("grammar", "free"):
            raise ValueError("must be 'grammar' or 'free'")
        return str(value)
    except (TypeError, ValueError) as err:
        raise ContentError([node.problem(f"'{name}': {err}", name)]) from None


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get("KIOSK_CONFIG"):
        return Path(os.environ["KIOSK_CONFIG"])
    return next((p for p in SEARCH_PATHS if p.exists()), None)


def load_config(explicit: str | Path | None = None) -> Config:
    """The settings from the first config file found, else the defaults."""
    path = find_config_file(explicit)
    if path is None:
        return Config()
    data = load_yaml(path)
    if data is None:
        return Config(source=str(path))
    if not isinstance(data, LineDict):
        raise ContentError([Problem(str(path), 1, "the config must be a mapping of settings")])
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _TYPES:
            known = ", ".join(sorted(_TYPES))
            raise ContentError([data.problem(f"unknown setting {key!r}; known: {known}", key)])
        values[key] = _convert(key, value, data)
    if "content_dir" in values and not values["content_dir"].is_absolute():
        values["content_dir"] = (path.parent / values["content_dir"]).resolve()
    return Config(**values, source=str(path))
