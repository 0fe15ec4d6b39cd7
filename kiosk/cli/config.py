"""`kiosk config`: the effective settings and where each came from (a default or a file:line).

Exit 1 with every problem at its file and line when the config file is not valid.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

#: Environment variables that change where the kiosk looks for things; shown when set.
ENVIRONMENT = ("KIOSK_CONFIG", "KIOSK_CACHE_DIR", "VOSK_MODEL_PATH", "XDG_CACHE_HOME")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config", help="show the effective settings and where each came from",
        description="Print every setting with its value and origin: 'default' or the config "
                    "file and line. Exit 1 if the config file has errors.",
    )
    parser.add_argument("--config", type=Path,
                        help="config file (default: $KIOSK_CONFIG, /etc/kiosk/config.yaml, "
                             "~/.config/kiosk/config.yaml)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _shown(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_shown(v) for v in value]
    return value


def run(args: argparse.Namespace) -> int:
    from kiosk.app.config import read_config  # pydantic only when this command runs

    loaded = read_config(args.config)
    settings = {name: _shown(value) for name, value in loaded.config}
    environment = {name: os.environ[name] for name in ENVIRONMENT if os.environ.get(name)}
    if args.json:
        print(json.dumps({
            "file": str(loaded.file) if loaded.file else None,
            "found_by": loaded.found_by or None,
            "settings": {name: {"value": value, "origin": loaded.origins[name]}
                         for name, value in settings.items()},
            "environment": environment,
        }, ensure_ascii=False))
        return 0
    if loaded.file:
        print(f"# config file: {loaded.file} (found by {loaded.found_by})")
    else:
        print("# no config file found: all defaults")
    shown = {name: "(none)" if value is None else value if isinstance(value, str)
             else json.dumps(value, ensure_ascii=False) for name, value in settings.items()}
    width, value_width = max(map(len, shown)), max(map(len, shown.values()))
    for name, value in shown.items():
        print(f"{name:<{width}}  {value:<{value_width}}  # {loaded.origins[name]}")
    for name, value in environment.items():
        print(f"# environment: {name}={value}")
    return 0
