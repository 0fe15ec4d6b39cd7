"""The kiosk's settings: a small YAML file with defaults for everything and clear errors.

Looked for at ``--config FILE``, then ``$KIOSK_CONFIG``, then ``/etc/kiosk/config.yaml``, then
``~/.config/kiosk/config.yaml``; with none found the defaults below are used. Example:
``systemd/config.example.yaml``. ``kiosk config`` shows the effective settings and where each
came from.

Every value is taken at its exact type: ``button_gpio: true`` or ``17.9`` is refused, a path is
a text (not a list), numbers are finite and within sane bounds. Each refusal names the file
and line. A new setting is one line in :class:`Config` (its type says what is allowed).
Relative paths count from the folder of the config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict

from kiosk.core.content import DEFAULT_CONTENT_DIR
from kiosk.core.dialog import Timeouts
from kiosk.core.schema import Field, Number, Strict, Text, Whole, describe, validate
from kiosk.core.yamlfile import ContentError, LineDict, Problem, load_yaml

SEARCH_PATHS = (Path("/etc/kiosk/config.yaml"), Path.home() / ".config" / "kiosk" / "config.yaml")
ENV_VAR = "KIOSK_CONFIG"


def _path(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip() or "\0" in value:
            raise ValueError("must be a path, not an empty text")
        return Path(os.path.expanduser(value.strip()))
    if isinstance(value, Path):
        return value
    raise ValueError(f"must be a path (a text), not {describe(value)}")


def _phrases(value: Any) -> Any:
    if isinstance(value, str):  # one phrase on its own line is a list of one
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"must be a list of phrases, not {describe(value)}")
    return tuple(value)


FilePath = Annotated[Path, BeforeValidator(_path)]
Device = Text | Annotated[Whole, Field(ge=0, le=255)]  # part of a name, or an index
#: Seconds of waiting: at least 1, at most a minute.
Timeout = Annotated[Number, Field(ge=1, le=60)]

class Config(Strict):
    """Settings of one kiosk; every one optional. One line per setting: name, type, default.

    Strict, so that a setting added as a plain ``bool``, ``int`` or ``float`` is taken at its
    exact type too (``1`` is not true, ``"8"`` is not 8) and a float is never NaN or infinite.
    """

    model_config = ConfigDict(strict=True, allow_inf_nan=False)

    content_dir: FilePath = DEFAULT_CONTENT_DIR
    #: Folder of the Vosk model; None means: look it up (VOSK_MODEL_PATH, ~/.cache/vosk, ...).
    model_path: FilePath | None = None
    model_name: Text = "vosk-model-small-nl-0.22"
    #: "grammar" (phrases from content: more robust) or "free" (any Dutch).
    recognizer_mode: Literal["grammar", "free"] = "grammar"
    #: Sound devices by name (part of it) or index; None is the system default.
    input_device: Device | None = None
    output_device: Device | None = None
    #: Words that start a visit without the button; empty disables the wake phrase.
    wake_phrases: Annotated[tuple[Text, ...], BeforeValidator(_phrases)] = (
        "hallo kiosk", "hallo folder")
    #: Seconds of silence before a question or an answer counts as not given.
    question_timeout_s: Timeout = Timeouts().question_s  # the defaults live in the dialog
    answer_timeout_s: Timeout = Timeouts().answer_s
    #: Longest utterance the recogniser waits for, in seconds.
    max_utterance_s: Timeout = 12.0
    #: In grammar mode, an utterance that is a whole phrase ends after this much silence.
    phrase_silence_s: Annotated[Number, Field(gt=0, le=5)] = 0.3
    #: What the microphone hears this long after the kiosk stopped speaking is its own echo.
    echo_tail_s: Annotated[Number, Field(ge=0, le=5)] = 0.3
    #: A microphone that sends nothing this long ends the kiosk (systemd starts it again).
    mic_recover_s: Annotated[Number, Field(ge=5, le=3600)] = 60.0
    #: Listen while speaking; a visitor's voice stops the reading. On by default, but it works
    #: only where the default source is the sound server's echo canceller (systemd/README.md,
    #: "Voice barge-in"); elsewhere it stays off and the log says why. The advice to see a
    #: doctor is never cut off by voice. docs/room.md has the figures and the reasons.
    barge_in: bool = True
    #: Where anonymous counters go (topic ids, misses, triage outcomes; never audio or text).
    stats_file: FilePath | None = None
    #: GPIO pin (BCM numbering, 0-27) of the big button; None: no button (Enter in a terminal).
    button_gpio: Annotated[Whole, Field(ge=0, le=27)] | None = None


@dataclass(frozen=True)
class Loaded:
    """The effective settings with where they came from."""

    config: Config
    file: Path | None = None
    #: How the file was found: "--config", "$KIOSK_CONFIG", "search path", or "" without one.
    found_by: str = ""
    #: Per setting: "default" or "FILE:LINE".
    origins: dict[str, str] = field(default_factory=dict)


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    return _find(explicit)[0]


def _find(explicit: str | Path | None) -> tuple[Path | None, str]:
    if explicit:
        return Path(explicit), "--config"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    found = next((p for p in SEARCH_PATHS if p.exists()), None)
    return found, ("search path" if found else "")


def read_config(explicit: str | Path | None = None) -> Loaded:
    """The settings from the first config file found (else the defaults), with origins."""
    path, found_by = _find(explicit)
    origins = dict.fromkeys(Config.model_fields, "default")
    if path is None:
        return Loaded(Config(), None, "", origins)
    data = load_yaml(path)
    if data is None:
        return Loaded(Config(), path, found_by, origins)
    if not isinstance(data, LineDict):
        raise ContentError([Problem(str(path), 1, "the config must be a mapping of settings")])
    config = validate(Config, data, str(path))
    relative = {name: (path.parent / value).resolve() for name, value in config
                if name in data and isinstance(value, Path) and not value.is_absolute()}
    for key in data:
        origins[key] = f"{path}:{data.line_of(key)}"
    return Loaded(config.model_copy(update=relative), path, found_by, origins)


def load_config(explicit: str | Path | None = None) -> Config:
    """The settings from the first config file found, else the defaults."""
    return read_config(explicit).config
