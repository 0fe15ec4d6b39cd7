"""Benchmark of the text side: labelled typed questions -> matcher accuracy and false accepts.

``kiosk bench --questions tests/data/questions.nl.tsv`` measures the matcher on clean text;
with ``--wer 0.1,0.2,0.3`` it measures it again on the same questions with simulated
recogniser errors (:mod:`kiosk.core.errorsim`), so the two can be compared side by side.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.bench.labels import (
    asked_about_a_guess,
    is_correct,
    labelled_lines,
    parse_expected,
    percentile,
    right_after_confirming,
)
from kiosk.errors import KioskError


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    expected: tuple[str, ...]
    line: int

    @property
    def expects_none(self) -> bool:
        return self.expected == ("none",)

    @property
    def kind(self) -> str:
        """What is asked for: section, command, answer, flow (by the first label) or none."""
        first = self.expected[0]
        if ":" in first:
            return first.partition(":")[0]
        return "none" if first == "none" else "section"


def load_questions(path: str | Path) -> list[LabelledQuestion]:
    """Read ``question<TAB>expected`` lines (header and ``#`` comments allowed)."""
    questions = []
    for number, text, tab, expected in labelled_lines(path, "question", "question file"):
        if not tab:
            raise KioskError(f"{path}:{number}: expected 'question<TAB>expected', found no tab")
        questions.append(LabelledQuestion(text.strip(), parse_expected(expected, f"{path}:{number}"), number))
    if not questions:
        raise KioskError(f"{path}: no labelled questions in it")
    return questions


def evaluate(matcher: Any, questions: Sequence[LabelledQuestion],
             transform: Callable[[str], str] = lambda text: text) -> dict[str, Any]:
    """Accuracy on in-domain questions, false accepts on ``none`` ones, every miss (and every
    row, under ``rows``)."""
    rows, latencies = [], []
    for question in questions:
        heard = transform(question.text)
        started = time.perf_counter()
        match = matcher.match(heard)
        latencies.append(time.perf_counter() - started)
        matched = match.to_json()
        intent = matched["intent"]
        row = {
            "line": question.line,
            "question": question.text,
            "heard": heard,
            "expected": "|".join(question.expected),
            "intent": intent,
            "score": matched["score"],
            "correct": is_correct(question.expected, heard, intent),
        }
        if "guess" in matched:
            row["guess"] = matched["guess"]
        if "not_in_leaflet" in matched:
            row["not_in_leaflet"] = matched["not_in_leaflet"]
        rows.append(row)
    in_domain = [(r, q) for r, q in zip(rows, questions, strict=False) if not q.expects_none]
    out_of_domain = [r for r, q in zip(rows, questions, strict=False) if q.expects_none]
    right = sum(r["correct"] for r, _ in in_domain)
    confirmed = sum(right_after_confirming(q.expected, r) for r, q in in_domain)
    by_kind: dict[str, list[int]] = {}
    for row, question in in_domain:
        tally = by_kind.setdefault(question.kind, [0, 0])
        tally[0] += row["correct"]
        tally[1] += 1
    false_accepts = sum(not r["correct"] for r in out_of_domain)
    asked = sum(asked_about_a_guess(r) for r in out_of_domain)
    # "Not in the leaflet" answers: wanted on out-of-domain questions, a false statement on
    # in-domain ones (the kiosk would say the leaflet does not cover what it does).
    own_answers = sum("not_in_leaflet" in r for r in out_of_domain)
    wrongly_denied = sum("not_in_leaflet" in r for r, _ in in_domain)
    return {
        "questions": len(rows),
        "in_domain": len(in_domain),
        "accuracy": round(right / len(in_domain), 4) if in_domain else None,
        "accuracy_by_kind": {kind: {"right": good, "of": total, "accuracy": round(good / total, 4)}
                             for kind, (good, total) in sorted(by_kind.items())},
        "out_of_domain": len(out_of_domain),
        "false_accepts": false_accepts,
        "false_accept_rate": round(false_accepts / len(out_of_domain), 4) if out_of_domain else None,
        # With the "bedoelt u X?" question: in-domain questions right at once or after a yes,
        # and out-of-domain ones that were asked about instead of declined.
        "right_after_confirming": round(confirmed / len(in_domain), 4) if in_domain else None,
        "asked_on_none_rate": round(asked / len(out_of_domain), 4) if out_of_domain else None,
        "own_answer_on_none_rate": (round(own_answers / len(out_of_domain), 4)
                                    if out_of_domain else None),
        "not_in_leaflet_on_in_domain": wrongly_denied,
        "match_ms": {
            "p50": round(1000 * percentile(latencies, 50), 3),
            "p90": round(1000 * percentile(latencies, 90), 3),
            "max": round(1000 * max(latencies), 3),
        },
        "misses": [r for r in rows if not r["correct"]],
        "rows": rows,
    }


def run_text_bench(questions_path: str | Path, matcher: Any, wers: Sequence[float] = (),
                   seed: int = 7, repeats: int = 3) -> dict[str, Any]:
    """Clean-text results, and the same at each simulated word error rate in ``wers``
    (every question ``repeats`` times, each with its own errors; seeded, so repeatable)."""
    questions = load_questions(questions_path)
    result: dict[str, Any] = {"file": str(questions_path), "clean": evaluate(matcher, questions)}
    if wers:
        from kiosk.core.errorsim import ErrorSimulator, word_error_rate

        vocabulary: Any = getattr(matcher, "spoken_vocabulary", None) or getattr(matcher, "vocabulary", ())
        words = [str(word) for word in vocabulary]
        simulator = ErrorSimulator(sorted(words))
        result["simulated"] = {}
        for wer in wers:
            rng = random.Random(f"{seed}:{wer}")
            def mishear(text: str, w: float = wer, r: random.Random = rng) -> str:
                return simulator.simulate(text, w, r)

            noisy = evaluate(matcher, list(questions) * repeats, mishear)
            noisy["measured_wer"] = round(
                statistics.mean(word_error_rate(m["question"], m["heard"]) for m in noisy.pop("rows")),
                4,
            )
            result["simulated"][f"{wer:.2f}"] = noisy
    for res in [result["clean"]]:
        res.pop("rows", None)
    return result


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def format_table(result: dict[str, Any], show_misses: int = 15) -> str:
    """A readable summary: one row per condition, side by side, then the clean misses.
    "+ yes to guess": right at once or after saying yes to "bedoelt u X?"; "none asked":
    out-of-domain questions that got that question instead of "not understood"; "own
    answer": out-of-domain questions that got the kiosk's own "not in the leaflet" answer."""
    rows = [("clean", result["clean"])] + [
        (f"WER {wer} ({res['measured_wer']:.2f})", res)
        for wer, res in result.get("simulated", {}).items()
    ]
    ready = (f" (matcher ready in {result['matcher_ready_s']:.2f} s)"
             if "matcher_ready_s" in result else "")
    lines = [f"questions: {result['file']}{ready}",
             f"{'condition':<19} {'accuracy':>9} {'false acc.':>11} {'+ yes to guess':>15} "
             f"{'none asked':>11} {'own answer':>11} {'in/out':>9} {'p90 ms':>8}"]
    for name, res in rows:
        lines.append(f"{name:<19} {_percent(res['accuracy']):>9} "
                     f"{_percent(res['false_accept_rate']):>11} "
                     f"{_percent(res['right_after_confirming']):>15} "
                     f"{_percent(res['asked_on_none_rate']):>11} "
                     f"{_percent(res.get('own_answer_on_none_rate')):>11} "
                     f"{res['in_domain']:>4}/{res['out_of_domain']:<4} {res['match_ms']['p90']:>8}")
    lines.append("\naccuracy by kind of question:")
    for name, res in rows:
        kinds = ", ".join(f"{kind} {_percent(k['accuracy'])} ({k['of']})"
                          for kind, k in res["accuracy_by_kind"].items())
        lines.append(f"{name:<19} {kinds}")
    denied = result["clean"].get("not_in_leaflet_on_in_domain")
    if denied:
        lines.append(f"\nin-domain questions told 'not in the leaflet' (clean): {denied}")
    misses = result["clean"]["misses"]
    if misses:
        lines.append(f"\nclean misses ({len(misses)}):")
        for miss in misses[:show_misses]:
            got = miss["intent"]
            label = got.get("id") or got.get("name") or got.get("value") or "none"
            lines.append(f"  line {miss['line']}: {miss['question']!r} expected {miss['expected']}, "
                         f"got {got['kind']}:{label} ({miss['score']})")
        if len(misses) > show_misses:
            lines.append(f"  ... {len(misses) - show_misses} more (use --json)")
    return "\n".join(lines)
