"""`kiosk triage` driven through standard input reaches every outcome of every flow."""

from __future__ import annotations

import copy
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.content import load_content
from kiosk.core.triage import ANSWERS, NO_ANSWER, NOT_UNDERSTOOD, STOPPED

ROOT = Path(__file__).resolve().parents[1]
#: How a visitor says each answer (longer forms, as the kiosk invites them), in turn.
#: Answers that pass the shared safety check and the diagnosis question.
PASS_CHECK = ["nee", "nee", "nee", "ja", "nee", "ja"]
#: The disclaimer prompt as it is printed (its last sentence), whatever its wording.
DISCLAIMER = load_content().prompts.say("disclaimer")[-1].text
SPOKEN = {"ja": ["ja hoor", "ja dat klopt", "jawel"], "nee": ["nee hoor", "nee", "niet echt"],
          "weet-niet": ["weet ik niet", "geen idee"]}


def shortest_answers_per_outcome(flow: str) -> dict[str, list[str]]:
    """For each outcome of ``flow``: the shortest list of answers that reaches it."""
    book = load_content(ROOT / "content").triage
    best: dict[str, list[str]] = {}

    def walk(session, step, answers):
        if step.done:
            if step.outcome.id not in best or len(answers) < len(best[step.outcome.id]):
                best[step.outcome.id] = answers
            return
        for answer in ANSWERS:
            branch = copy.copy(session)
            walk(branch, branch.on_answer(answer), [*answers, answer])

    session = book.session(flow)
    walk(session, session.start(), [])
    return best


def spoken(answers: list[str]) -> str:
    return "".join(SPOKEN[a][i % len(SPOKEN[a])] + "\n" for i, a in enumerate(answers))


def run_cli(monkeypatch, capsys, flow: str, stdin: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["triage", "--flow", flow, "--content", str(ROOT / "content")])
    return code, capsys.readouterr().out


def outcome_of(out: str) -> str:
    found = re.findall(r"^\[outcome: ([\w-]+);", out, flags=re.M)
    assert len(found) == 1, out
    return found[0]


CASES = [(flow, outcome, answers) for flow in ("stap", "beweger")
         for outcome, answers in sorted(shortest_answers_per_outcome(flow).items())]


def test_cases_cover_every_outcome():
    book = load_content(ROOT / "content").triage
    assert {(f, o) for f, o, _ in CASES} == {(f, o) for f in book.flows for o in book.flows[f].outcomes}


@pytest.mark.parametrize("flow, outcome, answers", CASES, ids=[f"{f}-{o}" for f, o, _ in CASES])
def test_every_outcome_through_stdin(monkeypatch, capsys, flow, outcome, answers):
    code, out = run_cli(monkeypatch, capsys, flow, spoken(answers))
    assert code == 0
    assert outcome_of(out) == outcome
    assert out.count("[luistert: ja of nee]") == len(answers)
    if outcome in ("huisarts-vandaag", "na-operatie"):  # safety: its own closing, no disclaimer
        assert "Ik ben geen arts" in out and DISCLAIMER not in out
    else:  # the pointer and the disclaimer close every other outcome
        assert "Vraag het uw fysiotherapeut" in out and DISCLAIMER in out


@pytest.mark.parametrize("flow", ["stap", "beweger"])
def test_exits_through_stdin(monkeypatch, capsys, flow):
    assert outcome_of(run_cli(monkeypatch, capsys, flow, "stop\n")[1]) == STOPPED
    assert outcome_of(run_cli(monkeypatch, capsys, flow, "")[1]) == NO_ANSWER  # EOF = silence
    assert outcome_of(run_cli(monkeypatch, capsys, flow, "\n\n")[1]) == NO_ANSWER
    _, out = run_cli(monkeypatch, capsys, flow, "ja maar\nwat is artrose\nnee ja\n")
    assert outcome_of(out) == NOT_UNDERSTOOD


def test_herhaal_and_unclear_then_an_answer(monkeypatch, capsys):
    _, out = run_cli(monkeypatch, capsys, "beweger", spoken(PASS_CHECK) +
                     "herhaal\nja maar\n\nja ik heb veel pijn\nja hoor\n")
    question = "Heeft u na zwaar werk of flink sporten veel pijn, ook de dag erna nog?"
    assert out.count(question) == 4  # asked, repeated, after "ja maar", after silence
    assert outcome_of(out) == "overbelasten"


def test_own_sentences_are_marked(monkeypatch, capsys):
    _, out = run_cli(monkeypatch, capsys, "stap", spoken(["ja"]))
    assert outcome_of(out) == "huisarts-vandaag"
    assert all(line.startswith(("*", "[")) for line in out.splitlines())  # no leaflet advice
    _, out = run_cli(monkeypatch, capsys, "beweger", spoken([*PASS_CHECK, "nee", "nee"]))
    assert any(line.startswith("  Gezonde beweging") for line in out.splitlines())


@pytest.mark.parametrize("flow, answers, outcome", [
    ("stap", [*PASS_CHECK, "nee", "ja", "weet-niet", "nee", "ja"], "stap-2-digitaal"),
    ("beweger", [*PASS_CHECK, "ja", "weet-niet"], "overbelasten"),
])
def test_real_stdin_in_a_subprocess(flow, answers, outcome):
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "triage", "--flow", flow, "--content", str(ROOT / "content")],
        input=spoken(answers), capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert outcome_of(result.stdout) == outcome


def test_broken_content_is_a_clear_error(tmp_path, capsys):
    code = main(["triage", "--content", str(tmp_path / "nowhere")])
    assert code == 1
    assert "kiosk: error:" in capsys.readouterr().err


def test_a_red_flag_answer_ends_the_test_through_stdin(monkeypatch, capsys):
    """Issue 11: "nee ik kan niet meer staan" to the fall question is a red flag, not "nee"."""
    _, out = run_cli(monkeypatch, capsys, "stap", "nee hoor\nnee\nnee ik kan niet meer staan\n")
    assert outcome_of(out) == "rode-vlag"
    assert "huisarts" in out and "Bij uw antwoorden past stap" not in out


def test_commands_inside_the_test_through_stdin(monkeypatch, capsys):
    _, out = run_cli(monkeypatch, capsys, "beweger", "nee\nterug\nmeer\nmenu\n")
    assert out.count("Is uw knie of heup de laatste dagen ineens warm") == 3  # asked, back, meer
    assert outcome_of(out) == "gestopt" and "Vraag het uw fysiotherapeut" in out


def test_paths_option_prints_the_table(monkeypatch, capsys):
    code = main(["triage", "--paths", "--content", str(ROOT / "content")])
    out = capsys.readouterr().out
    assert code == 0 and out == (ROOT / "docs" / "triage-paths.md").read_text(encoding="utf-8")
