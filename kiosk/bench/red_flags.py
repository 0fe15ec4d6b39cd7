"""Benchmark of the red-flag detector: recall on red flags, false alarms on ordinary complaints.

``kiosk bench --red-flags tests/data/red-flags-dev.nl.tsv [--wer 0.2] [--json]`` reads a
labelled file (``heard<TAB>expected``; expected ``red-flag:GROUP`` (several with ``|``) or
``ordinary``) and reports, clean and at each simulated word error rate:

- recall: red flags sent to the huisarts (any group counts: the advice always names the
  huisarts); the share that got one of the expected groups is listed as well;
- false alarms: ordinary complaints sent to the huisarts.

With errors, every sentence is heard ``repeats`` times with different simulated errors
(:mod:`kiosk.core.errorsim`, seeded), so one lucky or unlucky draw does not decide the figure.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.bench.labels import labelled_lines
from kiosk.core.errorsim import ErrorSimulator
from kiosk.errors import KioskError

ORDINARY = "ordinary"
RED = "red-flag"


@dataclass(frozen=True)
class LabelledHeard:
    text: str
    groups: tuple[str, ...]  # empty: an ordinary complaint
    line: int

    @property
    def is_red_flag(self) -> bool:
        return bool(self.groups)


def load_labelled(path: str | Path) -> list[LabelledHeard]:
    """Read ``heard<TAB>expected`` lines (header and ``#`` comments allowed)."""
    rows = []
    for number, text, tab, expected in labelled_lines(path, "heard", "file"):
        if not tab or not text.strip():
            raise KioskError(f"{path}:{number}: expected 'heard<TAB>expected'")
        labels = [e.strip() for e in expected.split("|")]
        if labels == [ORDINARY]:
            rows.append(LabelledHeard(text.strip(), (), number))
            continue
        groups = []
        for label in labels:
            kind, _, group = label.partition(":")
            if kind != RED or not group:
                raise KioskError(f"{path}:{number}: expected 'ordinary' or 'red-flag:GROUP', "
                                 f"not {label!r}")
            groups.append(group)
        rows.append(LabelledHeard(text.strip(), tuple(groups), number))
    if not rows:
        raise KioskError(f"{path}: no labelled lines in it")
    return rows


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def evaluate(flags: Any, rows: Sequence[LabelledHeard], wer: float = 0.0, repeats: int = 1,
             seed: int = 7, vocabulary: Iterable[str] = ()) -> dict[str, Any]:
    """Recall and false alarms of ``flags.detect`` on ``rows``, clean (``wer`` 0) or with
    simulated recogniser errors (each row heard ``repeats`` times)."""
    simulator = ErrorSimulator(sorted(set(vocabulary))) if wer > 0 else None
    rng = random.Random(seed)
    times = repeats if simulator else 1
    caught = right_group = alarms = reds = ordinary = 0
    missed: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    for row in rows:
        for _ in range(times):
            heard = simulator.simulate(row.text, wer, rng) if simulator else row.text
            found = flags.detect(heard)
            if row.is_red_flag:
                reds += 1
                if found is None:
                    missed.append({"line": row.line, "text": row.text, "heard": heard})
                else:
                    caught += 1
                    right_group += found.group in row.groups
            else:
                ordinary += 1
                if found is not None:
                    alarms += 1
                    false_alarms.append({"line": row.line, "text": row.text, "heard": heard,
                                         "group": found.group})
    return {
        "wer": wer, "repeats": times, "red_flags": reds, "ordinary": ordinary,
        "caught": caught, "recall_pct": _percent(caught, reds),
        "right_group_pct": _percent(right_group, reds),
        "false_alarms": alarms, "false_alarm_pct": _percent(alarms, ordinary),
        "missed": missed, "false_alarm_rows": false_alarms,
    }


def run_red_flag_bench(path: str | Path, content: Any, wers: Sequence[float] = (0.2,),
                       seed: int = 7, repeats: int = 5) -> dict[str, Any]:
    """Clean, then once per word error rate in ``wers``; ``content`` gives the red flags and
    the vocabulary the simulated errors draw from (the content's phrases and the red-flag
    words, so errors are near misses)."""
    if content.red_flags is None:
        raise KioskError(f"no red flags: {content.directory / 'red_flags.nl.yaml'} is missing")
    rows = load_labelled(path)
    vocabulary = [w for phrase in content.recognizer_phrases() for w in phrase.split()]
    vocabulary += content.red_flags.vocabulary()
    runs = [evaluate(content.red_flags, rows)]
    runs += [evaluate(content.red_flags, rows, w, repeats, seed, vocabulary) for w in wers if w > 0]
    return {"file": str(path), "seed": seed, "runs": runs}


def format_table(result: dict[str, Any]) -> str:
    runs = result["runs"]
    first = runs[0]
    lines = [f"red flags: {result['file']} ({first['red_flags']} red flags, "
             f"{first['ordinary']} ordinary complaints)",
             f"{'':<18}{'recall':>16}{'false alarms':>16}{'right group':>14}"]
    for run in runs:
        label = "clean" if run["wer"] == 0 else f"wer {run['wer']:.2f} (x{run['repeats']})"
        lines.append(f"{label:<18}{run['caught']:>6}/{run['red_flags']:<4}{run['recall_pct']:>5.1f}%"
                     f"{run['false_alarms']:>6}/{run['ordinary']:<4}{run['false_alarm_pct']:>5.1f}%"
                     f"{run['right_group_pct']:>13.1f}%")
    for run in runs:
        label = "clean" if run["wer"] == 0 else f"wer {run['wer']:.2f}"
        for row in run["missed"][:15]:
            lines.append(f"  missed ({label}) line {row['line']}: {row['heard']}")
        for row in run["false_alarm_rows"][:15]:
            lines.append(f"  false alarm ({label}) line {row['line']} -> {row['group']}: {row['heard']}")
    return "\n".join(lines)


#: The Dutch word list of the Debian package wdutch (OpenTaal), in script/setup's apt packages.
DUTCH_WORDS = Path("/usr/share/dict/dutch")


def ordinary_words_text(content_dir: str | Path, dictionary: str | Path = DUTCH_WORDS) -> str:
    """The text of ``content/red_flag_ordinary_words.nl.txt``: every word of the Dutch word list
    that the red-flag detector would otherwise take as a recogniser slip for one of its words
    (``script/red-flag-ordinary-words`` writes it; a test checks it is up to date)."""
    from kiosk.core.safety import ORDINARY_WORDS_FILE, _Reader, near_words
    from kiosk.core.yamlfile import load_yaml

    path = Path(content_dir) / "red_flags.nl.yaml"
    flags = _Reader(str(path)).read(load_yaml(path), ())
    if flags is None:
        raise KioskError(f"{path}: fix the red-flag file first (kiosk check)")
    try:
        lines = Path(dictionary).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise KioskError(f"{dictionary}: cannot read the Dutch word list ({err.strerror}); "
                         "install the package wdutch") from err
    words = near_words(flags, (w for w in (line.strip() for line in lines) if w and w.islower()))
    header = [
        f"# {ORDINARY_WORDS_FILE}: ordinary Dutch words a letter or two away from a red-flag word",
        "# of red_flags.nl.yaml (\"afgevallen\" from \"omgevallen\", \"pillen\" from \"rillen\").",
        "# The red-flag detector never takes one of these as a recogniser slip for a red-flag word.",
        "# Generated from the Dutch word list of the package wdutch; do not edit by hand. After",
        "# changing a word of red_flags.nl.yaml run script/red-flag-ordinary-words (a test fails",
        "# while this file is out of date).",
    ]
    return "\n".join(header + words) + "\n"
