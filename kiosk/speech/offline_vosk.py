"""``import vosk`` without its network parts.

vosk's package imports ``requests`` at the top, for its own model download (which the kiosk
never uses: models come from ``kiosk models``). ``requests`` imports urllib3, and urllib3's
import opens an ``AF_INET6`` socket to find out whether the machine has IPv6
(``urllib3.util.connection.HAS_IPV6``). The kiosk is offline by design, so before vosk is
imported, ``requests`` is registered as a placeholder module that imports the real one on the
first use of any of its names (a module ``__getattr__``, PEP 562); nothing in the kiosk uses it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


def _placeholder(name: str) -> ModuleType:
    module = ModuleType(name, f"{name}, imported on first use (kiosk.speech.offline_vosk)")

    def first_use(attribute: str) -> Any:
        if sys.modules.get(name) is module:
            del sys.modules[name]
        real = importlib.import_module(name)
        return getattr(real, attribute)

    setattr(module, "__getattr__", first_use)  # noqa: B010 - a module __getattr__ (PEP 562)
    return module


def import_vosk() -> ModuleType:
    """The vosk module, imported without importing requests (and urllib3) along with it."""
    if "vosk" not in sys.modules and "requests" not in sys.modules:
        sys.modules["requests"] = _placeholder("requests")
    return importlib.import_module("vosk")
