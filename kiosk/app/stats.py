"""Anonymous counters: how often each topic was read, misses, triage outcomes, visits.

Only names from a closed list and ids from the content (section ids, outcome ids) are ever
counted: never audio, never what a visitor said, never a time of day per visitor.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

from kiosk.errors import KioskError

#: The statistics the kiosk keeps (see Count actions in kiosk.core.dialog).
NAMES = frozenset({"visit", "topic", "no_match", "guess", "not_in_leaflet", "triage_start",
                   "triage_outcome", "red_flag", "complaint"})
_ID = re.compile(r"^[a-z0-9-]{0,64}$")


class Stats:
    """In-memory counters; :func:`save` adds them to a JSON file."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, name: str, key: str = "") -> None:
        if name not in NAMES or not _ID.match(key):
            raise ValueError(f"not an anonymous statistic: {name!r} {key!r}")
        self.counts[f"{name}:{key}" if key else name] += 1


def load(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise KioskError(f"{path}: statistics file is unreadable ({err}); move it away") from None
    return Counter({str(k): int(v) for k, v in data.get("counts", {}).items()})


def save(stats: Stats, path: Path) -> None:
    """Add the counters to ``path`` (written atomically) and reset them."""
    total = load(path) + stats.counts
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".stats-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"counts": dict(sorted(total.items()))}, out, indent=1)
    os.replace(tmp, path)
    stats.counts.clear()
