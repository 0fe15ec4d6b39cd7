"""The clinical sign-off list: content/REVIEW.md is up to date and `kiosk check` counts what a
physiotherapist has not signed off yet."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.content import load_content
from kiosk.core.safety import review_document, review_items

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def items():
    return review_items(load_content(CONTENT))


def test_review_md_lists_every_own_advice_sentence_and_is_up_to_date(items):
    doc = (CONTENT / "REVIEW.md").read_text(encoding="utf-8")
    assert doc == review_document(items), \
        "content/REVIEW.md is stale: run kiosk check --review > content/REVIEW.md"
    assert "must read and sign off every sentence" in doc
    keys = {item.key for item in items}
    # red flags, safety advice, triage outcomes and questions are all there
    for key in ("kiosk:red-flag/huisarts", "kiosk:red-flag/val", "kiosk:triage/text/huisarts-bellen",
                "kiosk:triage/text/geen-diagnose", "kiosk:triage/check/staan",
                "kiosk:triage/stap/behandelplan", "kiosk:triage/beweger/napijn",
                # the prompts that send a visitor somewhere, offer advice or explain a word
                "kiosk:disclaimer", "kiosk:complaint", "kiosk:goodbye", "kiosk:explain_tweedelijnszorg"):
        assert key in keys, key


def test_each_item_names_the_line_that_holds_it(items):
    for item in items:
        lines = Path(item.file).read_text(encoding="utf-8").splitlines()
        near = " ".join(lines[item.line - 1:item.line + 2])
        assert " ".join(item.text.split()[:3]) in " ".join(near.split()), item


def unreviewed_count(capsys, content: Path) -> tuple[int, int]:
    assert main(["check", "--content", str(content)]) == 0
    out = capsys.readouterr().out
    found = re.search(r"(\d+) of (\d+) own advice sentences are unreviewed", out)
    assert found, out
    return int(found.group(1)), int(found.group(2))


def test_kiosk_check_counts_unreviewed_sentences(tmp_path, capsys, items):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    before = unreviewed_count(capsys, content)
    assert before == (sum(not i.reviewed for i in items), len(items))
    for name, key in (("red_flags.nl.yaml", "  huisarts:\n"),
                      ("triage.nl.yaml", "      ask: Heeft u nu koorts?\n"),
                      ("prompts.nl.yaml", "  disclaimer:\n")):
        path = content / name
        text = path.read_text(encoding="utf-8")
        start = text.index(key)
        at = text.index("reviewed: false", start)
        path.write_text(text[:at] + "reviewed: true" + text[at + len("reviewed: false"):], encoding="utf-8")
    assert unreviewed_count(capsys, content) == (before[0] - 3, before[1])
    assert main(["check", "--review", "--content", str(content)]) == 0
    assert "Signed off: 3 of" in capsys.readouterr().out


def test_a_reviewed_marker_that_is_not_true_or_false_is_an_error(tmp_path, capsys):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "red_flags.nl.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("reviewed: false", "reviewed: ja", 1), encoding="utf-8")
    assert main(["check", "--content", str(content)]) == 1
    assert "'reviewed' must be true or false" in capsys.readouterr().out


def test_an_advice_prompt_without_a_review_marker_is_an_error(tmp_path, capsys):
    """A practice that rewrites the disclaimer as plain text must not drop it from the sign-off."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "prompts.nl.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  disclaimer:\n")
    end = text.index("reviewed: false", start) + len("reviewed: false")
    path.write_text(text[:start] + '  disclaimer: "Vraag het aan uw fysiotherapeut."' + text[end:],
                    encoding="utf-8")
    assert main(["check", "--content", str(content)]) == 1
    out = capsys.readouterr().out
    assert "prompt 'disclaimer' gives advice" in out and "prompts.nl.yaml:" in out
