"""Where the files that ship with the kiosk are: the content and the voice model manifest.

In a checkout (and an editable install) they are beside the package (``content/``,
``voice_models/``); an installed wheel puts them in ``<prefix>/share/kiosk/`` (see
``[tool.setuptools.data-files]`` in pyproject.toml).
"""

from __future__ import annotations

import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
INSTALLED = Path(sys.prefix) / "share" / "kiosk"


def shipped(name: str) -> Path:
    """``name`` (``"content"`` or ``"voice_models"``) in the checkout, else as installed."""
    beside = CHECKOUT / name
    return beside if beside.exists() or not (INSTALLED / name).exists() else INSTALLED / name
