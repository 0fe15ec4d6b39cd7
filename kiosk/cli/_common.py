"""Options and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.core.content import DEFAULT_CONTENT_DIR, Content, load_content

if TYPE_CHECKING:  # the matcher brings numpy: imported when a command runs, not for --help
    from kiosk.core.matching import Matcher


def add_content_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content", type=Path, default=None,
        help=f"content folder (default: the config's, else {DEFAULT_CONTENT_DIR})",
    )


def content_dir_from_args(args: argparse.Namespace) -> Path:
    """The folder named by --content, else the config's, else the bundled one."""
    directory = getattr(args, "content", None)
    if directory is None:
        from kiosk.app.config import load_config

        directory = load_config(getattr(args, "config", None)).content_dir
    return Path(directory)


def content_from_args(args: argparse.Namespace) -> Content:
    """The validated content of :func:`content_dir_from_args`."""
    return load_content(content_dir_from_args(args))


def matcher_for(content: Content) -> Matcher:
    """A matcher whose trained classifier is kept on disk between runs."""
    from kiosk.app.classifier_store import cached_train
    from kiosk.core.matching import Matcher

    return Matcher(content, trainer=cached_train)
