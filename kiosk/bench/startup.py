"""`kiosk bench --startup`: how quickly the kiosk starts and how much memory it takes.

Each figure comes from a fresh Python process, measured from outside (wall time, and peak
resident memory from ``wait4``), repeated and reported as the median:

- ``version``: ``kiosk --version`` (the command line alone);
- ``training``: building the matcher from an empty cache folder (a temporary
  ``KIOSK_CACHE_DIR``), with the seconds spent in the matcher itself as the process reports them;
- ``ask``, ``chat``, ``check``: text-only commands with the models already cached.

``--against DIR`` runs the same in another checkout of the kiosk (``PYTHONPATH=DIR``), the two
taking turns, so that both sets of figures come from one run on the same busy machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

#: Builds the matcher as the kiosk does and prints the seconds that took.
TRAIN_PROBE = """
import json, sys, time
started = time.perf_counter()
from kiosk.app.classifier_store import cached_train
from kiosk.core.content import load_content
from kiosk.core.matching import Matcher
content = load_content(sys.argv[1])
loaded = time.perf_counter()
Matcher(content, trainer=cached_train)
print(json.dumps({"import_and_load_s": loaded - started, "matcher_s": time.perf_counter() - loaded}))
"""

#: The targets of a fast start; a figure above its target is marked in the table.
TARGETS = {"version_s": 1.0, "training_s": 5.0, "training_peak_mb": 250.0, "text_command_mb": 150.0}


def measure(argv: Sequence[str], env: dict[str, str], stdin: str = "",
            cwd: Path | None = None) -> dict[str, Any]:
    """Run ``argv``; its wall time, processor time (user + system: what it costs on a busy
    machine), peak resident memory (MB), standard output and the last line of its errors."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as into, \
            tempfile.TemporaryFile() as errors:
        into.write(stdin.encode())
        into.seek(0)
        process = subprocess.Popen(argv, stdin=into, stdout=out, stderr=errors, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
        errors.seek(0)
        last_error = (errors.read().decode(errors="replace").strip().splitlines() or [""])[-1]
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} failed with exit code {process.returncode}: {last_error}")
    return {"s": seconds, "cpu_s": usage.ru_utime + usage.ru_stime, "mb": usage.ru_maxrss / 1024,
            "stdout": output, "stderr": last_error}


def _runs(source: Path | None, content_dir: Path, cache: Path) -> dict[str, dict[str, Any]]:
    """One measurement of every figure for the kiosk in ``source`` (None: this one). The
    processes run in an empty folder: Python puts the working folder first on its path."""
    env = dict(os.environ, KIOSK_CACHE_DIR=str(cache), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    kiosk = [sys.executable, "-m", "kiosk"]
    content = str(content_dir.resolve())
    for old in cache.glob("*"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="kiosk-startup-cwd-") as folder:
        where = Path(folder)
        out = {"version": measure([*kiosk, "--version"], env, cwd=where)}
        training = measure([sys.executable, "-c", TRAIN_PROBE, content], env, cwd=where)
        printed = training.pop("stdout").splitlines()
        if not printed:  # e.g. an older checkout that cannot read this content
            raise KioskError(f"the matcher of {source or 'this kiosk'} did not start on {content}: "
                               f"{training['stderr']}")
        reported = json.loads(printed[-1])
        out["training"] = {**training, **reported}
        out["ask"] = measure([*kiosk, "ask", "--content", content, "wat is artrose"], env, cwd=where)
        out["chat"] = measure([*kiosk, "chat", "--content", content], env, cwd=where,
                              stdin="wat is artrose\nmag ik fietsen\n")
        out["check"] = measure([*kiosk, "check", "--content", content], env, cwd=where)
    for figures in out.values():
        figures.pop("stdout", None)
        figures.pop("stderr", None)
    return out


def run_startup_bench(content_dir: Path, repeats: int = 3,
                      against: Path | None = None) -> dict[str, Any]:
    """Median figures of ``repeats`` rounds, for this kiosk and, with ``against``, another."""
    sources: dict[str, Path | None] = {"this": None}
    if against is not None:
        sources["against"] = against.resolve()
    rounds: dict[str, list[dict[str, dict[str, Any]]]] = {name: [] for name in sources}
    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="kiosk-startup-") as folder:
        for _ in range(repeats):
            for name, source in sources.items():  # taking turns: the same noise for both
                cache = Path(folder) / name
                cache.mkdir(exist_ok=True)
                rounds[name].append(_runs(source, content_dir, cache))
    result: dict[str, Any] = {"repeats": repeats, "load_average_before": load_before,
                              "load_average": list(os.getloadavg())}
    for name, runs in rounds.items():
        result[name] = {
            "source": str(sources[name] or Path(__file__).resolve().parents[2]),
            **{step: {key: round(statistics.median(run[step][key] for run in runs), 3)
                      for key in runs[0][step]}
               for step in runs[0]},
        }
    return result


def format_table(result: dict[str, Any]) -> str:
    """One line per figure, a column per kiosk, the target last; ``!`` marks a figure above
    its target."""
    names = [name for name in ("this", "against") if name in result]
    rows = [
        ("kiosk --version", "version", "s", "s", TARGETS["version_s"]),
        ("  processor time", "version", "cpu_s", "s", None),
        ("  memory", "version", "mb", "MB", None),
        ("training, empty cache", "training", "s", "s", TARGETS["training_s"]),
        ("  processor time", "training", "cpu_s", "s", None),
        ("  in the matcher", "training", "matcher_s", "s", None),
        ("  peak memory", "training", "mb", "MB", TARGETS["training_peak_mb"]),
        ("kiosk ask (cached)", "ask", "s", "s", None),
        ("  processor time", "ask", "cpu_s", "s", None),
        ("  memory", "ask", "mb", "MB", TARGETS["text_command_mb"]),
        ("kiosk chat memory", "chat", "mb", "MB", TARGETS["text_command_mb"]),
        ("kiosk check memory", "check", "mb", "MB", TARGETS["text_command_mb"]),
    ]
    before = result.get("load_average_before")
    lines = [f"median of {result['repeats']} runs; load average (1, 5, 15 min) "
             + (" ".join(f"{x:.1f}" for x in before) + " before, " if before else "")
             + " ".join(f"{x:.1f}" for x in result["load_average"]) + " after",
             f"{'':<24}" + "".join(f"{name:>12}" for name in names) + "   target"]
    for label, step, key, unit, target in rows:
        cells = ""
        for name in names:
            value = result[name][step].get(key)
            mark = "!" if target is not None and value is not None and value > target else " "
            cells += f"{'-' if value is None else f'{value:.2f}':>9} {unit:<2}{mark}"
        lines.append(f"{label:<24}{cells}   {'' if target is None else f'<= {target:g} {unit}'}")
    for name in names:
        lines.append(f"{name}: {result[name]['source']}")
    return "\n".join(lines)
