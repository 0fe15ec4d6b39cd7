"""Anonymous counters, counted per day and saved at the end of every visit.

Only names from a closed list and ids from the content (section ids, flow and outcome ids) are
ever counted: never audio, never what a visitor said, never the time of a single visit. The file
holds one bucket of counts per calendar day::

    {"format": "kiosk-stats/2", "days": {"2026-12-01": {"visit": 3, "topic:intro": 2}}}

It is written atomically (a temporary file beside it, flushed to disk, then renamed), so a power
cut leaves either the old or the new file, never half of one: at most the visit in progress is
lost. :meth:`StatsFile.open` checks the file when the kiosk starts: a corrupt one is moved aside
(one log line) and a new one begun; one that cannot be written is an error then, not at exit.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

#: The statistics the kiosk keeps (see Count actions in kiosk.core.dialog).
NAMES = frozenset({"visit", "topic", "no_match", "guess", "not_in_leaflet", "triage_start",
                   "triage_outcome", "red_flag", "complaint"})
FORMAT = "kiosk-stats/2"
_ID = re.compile(r"^[a-z0-9-]{0,64}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Days = dict[str, "Counter[str]"]


class Stats:
    """In-memory counters of the visit in progress; :meth:`StatsFile.add` saves them."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, name: str, key: str = "") -> None:
        if name not in NAMES or not _ID.match(key):
            raise ValueError(f"not an anonymous statistic: {name!r} {key!r}")
        self.counts[f"{name}:{key}" if key else name] += 1


class CorruptStats(KioskError):
    """The statistics file is not one the kiosk wrote (damaged, or edited by hand)."""


def _parse(text: str, path: Path) -> Days:
    """The per-day counts in ``text``; CorruptStats saying what is wrong otherwise."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise CorruptStats(f"{path}: not valid JSON ({err})") from None
    if isinstance(data, dict) and set(data) == {"counts"}:  # the first format: no days
        data = {"format": FORMAT, "days": {_mtime_day(path): data["counts"]}}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(
            data.get("days"), dict):
        raise CorruptStats(f"{path}: not a kiosk statistics file (expected format {FORMAT})")
    days: Days = {}
    for day, counts in data["days"].items():
        if not (isinstance(day, str) and _DAY.match(day) and isinstance(counts, dict)):
            raise CorruptStats(f"{path}: day {day!r} is not a date with counts")
        for key, value in counts.items():
            name = str(key).split(":", 1)[0]
            if name not in NAMES or isinstance(value, bool) or not isinstance(value, int) \
                    or value < 0:
                raise CorruptStats(f"{path}: {day} {key!r}: {value!r} is not a count")
        days[day] = Counter({str(k): int(v) for k, v in counts.items()})
    return days


def _mtime_day(path: Path) -> str:
    try:
        return date.fromtimestamp(path.stat().st_mtime).isoformat()
    except OSError:
        return date.today().isoformat()


def load(path: Path) -> Days:
    """The per-day counts saved in ``path`` (none when it does not exist yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise KioskError(f"{path}: cannot read the statistics file ({err.strerror})") from None
    return _parse(text, path)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one step that survives a power cut."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself is on disk
    finally:
        os.close(directory)


class StatsFile:
    """The statistics file of a running kiosk: checked at start, added to after each visit."""

    def __init__(self, path: Path, days: Days, today: Callable[[], date] = date.today):
        self.path = path
        self.days = days
        self.today = today

    @classmethod
    def open(cls, path: Path, today: Callable[[], date] = date.today) -> StatsFile:
        """Load ``path`` (moving a corrupt one aside) and prove it can be written now."""
        path = Path(path)
        try:
            days = load(path)
        except CorruptStats as err:
            aside = path.with_name(f"{path.name}.corrupt-{datetime.now():%Y%m%dT%H%M%S}")
            try:
                os.replace(path, aside)
            except OSError as move_err:
                raise KioskError(f"{err}; it could not be moved aside either "
                                 f"({move_err.strerror}): move it away by hand") from None
            log.warning("%s; moved it to %s and began a new one", err, aside)
            days = {}
        opened = cls(path, days, today)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            opened._write()
        except OSError as err:
            raise KioskError(f"{path}: cannot write the statistics file ({err.strerror}); "
                             f"check stats_file in the config and the folder's owner") from None
        return opened

    def add(self, stats: Stats) -> None:
        """Add the counts of ``stats`` to today's and save; ``stats`` starts again at zero.

        A failed save is logged and the counts kept for the next try: a full disk must not
        stop the kiosk from talking.
        """
        if not stats.counts:
            return
        day = self.today().isoformat()
        self.days.setdefault(day, Counter()).update(stats.counts)
        stats.counts.clear()
        try:
            self._write()
        except OSError as err:
            log.error("could not save the statistics to %s: %s", self.path, err)

    def _write(self) -> None:
        data = {"format": FORMAT,
                "days": {day: dict(sorted(c.items())) for day, c in sorted(self.days.items())}}
        write_atomically(self.path, json.dumps(data, indent=1) + "\n")


def totals(days: Days) -> Counter[str]:
    """All days' counts added up."""
    total: Counter[str] = Counter()
    for counts in days.values():
        total.update(counts)
    return total


def save(stats: Stats, path: Path) -> None:
    """Add the counts of ``stats`` to today's in ``path`` (for one-off use; a running kiosk
    keeps one :class:`StatsFile` open)."""
    StatsFile.open(path).add(stats)
