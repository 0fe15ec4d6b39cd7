"""The recogniser-error simulator (kiosk/core/errorsim.py): seeded, near the asked WER, realistic."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

import pytest

from kiosk.core.errorsim import (
    ErrorSimulator,
    numbers_as_words,
    simulate,
    word_error_rate,
    words_of,
)
from kiosk.errors import KioskError

SENTENCES = [
    "wat is artrose eigenlijk",
    "mag ik wel bewegen met pijn in mijn knie",
    "moet ik naar de fysiotherapeut",
    "vertel eens over afvallen en mijn gewicht",
    "helpt een operatie aan mijn heup",
    "welke stap past bij mij",
    "ben ik een stilzitter of een overbelaster",
    "heb ik een stok of een rollator nodig",
    "kun je dat herhalen",
    "wat kan ik doen tegen ochtendstijfheid in mijn knieën",
]


def test_same_seed_same_errors() -> None:
    sim = ErrorSimulator(SENTENCES)
    a = [sim.simulate(s, 0.3, random.Random(7)) for s in SENTENCES]
    b = [sim.simulate(s, 0.3, random.Random(7)) for s in SENTENCES]
    assert a == b
    assert a != [sim.simulate(s, 0.3, random.Random(8)) for s in SENTENCES]


def test_zero_wer_only_normalises() -> None:
    assert simulate("Wat is Artrose, eigenlijk?", 0.0, random.Random(1)) == "wat is artrose eigenlijk"


def test_numbers_come_out_as_words() -> None:
    assert numbers_as_words("2 keer per week, 30 minuten") == "twee keer per week, dertig minuten"
    assert words_of("900.000 mensen") == ["negenhonderdduizend", "mensen"]
    assert simulate("stap 1", 0.0, random.Random(1)) == "stap één"


@pytest.mark.parametrize("wer", [0.1, 0.2, 0.3])
def test_measured_wer_is_near_the_asked_one(wer) -> None:
    sim = ErrorSimulator(SENTENCES)
    rng = random.Random(42)
    total_ref = sum(len(s.split()) for s in SENTENCES) * 40
    edits = sum(word_error_rate(s, sim.simulate(s, wer, rng)) * len(s.split())
                for _ in range(40) for s in SENTENCES)
    assert edits / total_ref == pytest.approx(wer, abs=0.05)


def test_all_kinds_of_errors_happen() -> None:
    sim = ErrorSimulator(SENTENCES)
    rng = random.Random(3)
    outputs = [sim.simulate(s, 0.5, rng) for _ in range(30) for s in SENTENCES]
    joined = " | ".join(outputs)
    assert "fysio therapeut" in joined  # compound split
    pairs = zip(outputs, SENTENCES * 30, strict=False)
    assert any(len(o.split()) < len(s.split()) for o, s in pairs)  # drops
    assert any(w in joined.split() for w in ("hoop", "fijn", "pijl", "wegen", "bewogen",
                                             "stop", "stad", "staf"))  # confusion table
    assert any(len(o.split()) > len(s.split()) for o, s in zip(outputs, SENTENCES * 30, strict=False))


def test_joins_and_vocabulary_neighbours() -> None:
    sim = ErrorSimulator(["kraakbeen", "spieren", "spierkracht"],
                         weights={"split-join": 1.0})
    assert sim.split("kraakbeen") == ["kraak", "been"]
    assert sim.simulate("lees meer", 1.0, random.Random(1)) == "leesmeer"
    near = ErrorSimulator(["spierkracht", "spieren", "kraakbeen"], confusions={})
    assert "spieren" in near.near_words("spier")


def test_wer_out_of_range_is_an_error() -> None:
    with pytest.raises(KioskError, match="between 0 and 1"):
        simulate("knie", 1.5, random.Random(1))


@dataclass
class _FakeMatch:
    intent: dict

    def to_json(self) -> dict:
        return {"intent": self.intent, "score": 1.0}


class FakeMatcher:
    """Test double for kiosk.core.matching.Matcher: knows one topic word and one command."""

    vocabulary: ClassVar[set[str]] = {"afvallen", "stop", "gewicht"}

    def match(self, text: str) -> _FakeMatch:
        words = text.split()
        if "afvallen" in words or "gewicht" in words:
            return _FakeMatch({"kind": "topic", "id": "afvallen"})
        if "stop" in words:
            return _FakeMatch({"kind": "command", "name": "stop"})
        return _FakeMatch({"kind": "none"})


def test_noisy_text_bench_reports_accuracy_and_false_accepts(tmp_path) -> None:
    from kiosk.bench.text import run_text_bench

    tsv = tmp_path / "q.tsv"
    tsv.write_text(
        "question\texpected\n# comment\n"
        "vertel over afvallen en gewicht\tafvallen\n"
        "stop\tcommand:stop|none\n"
        "hoe laat is het\tnone\n",
        encoding="utf-8",
    )
    result = run_text_bench(tsv, FakeMatcher(), wers=[0.3], seed=5, repeats=4)
    clean, noisy = result["clean"], result["simulated"]["0.30"]
    assert clean["questions"] == 3 and clean["accuracy"] == 1.0 and clean["false_accepts"] == 0
    assert noisy["questions"] == 12 and noisy["out_of_domain"] == 4
    assert 0.0 <= noisy["accuracy"] <= 1.0 and noisy["measured_wer"] > 0
    again = run_text_bench(tsv, FakeMatcher(), wers=[0.3], seed=5, repeats=4)
    assert again["simulated"]["0.30"]["accuracy"] == noisy["accuracy"]


def test_noisy_text_bench_names_bad_lines(tmp_path) -> None:
    from kiosk.bench.text import run_text_bench

    tsv = tmp_path / "q.tsv"
    tsv.write_text("wat is artrose\tIntro Sectie\n", encoding="utf-8")
    with pytest.raises(KioskError, match=r"q\.tsv:1: 'Intro Sectie' is not a label"):
        run_text_bench(tsv, FakeMatcher())
