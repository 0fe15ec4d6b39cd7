"""The leaflet as content: complete, traceable to the leaflet, and clear errors when broken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SHARED

from kiosk.cli import main
from kiosk.core.content import SECTION_IDS, check_content, load_content, normalize_source
from kiosk.core.yamlfile import ContentError

DESIGN = SHARED / "DESIGN.md"


def test_every_design_section_id_exists(content):
    assert set(SECTION_IDS) <= set(content.sections)


@pytest.mark.skipif(not DESIGN.exists(), reason="../shared/DESIGN.md is not beside the repo")
def test_section_ids_are_the_ones_in_design_md():
    table = re.findall(r"^\| ([a-z0-9-]+) \|", DESIGN.read_text(encoding="utf-8"), re.M)
    assert set(table) - {"id"} == set(SECTION_IDS)


@pytest.mark.skipif(not (SHARED / "seed").exists(), reason="../shared/seed is not beside the repo")
def test_bundled_leaflet_text_is_the_seed():
    bundled = Path("content/source/kngf-artrose-folder.txt")
    seed = SHARED / "seed" / "kngf-artrose-folder.txt"
    assert (Path(__file__).parent.parent / bundled).read_bytes() == seed.read_bytes()


def test_bundled_content_has_no_errors():
    content, problems = check_content()
    assert content is not None
    assert [p for p in problems if p.severity == "error"] == []


def test_every_spoken_leaflet_sentence_is_traceable(content):
    """Each sentence is found (near-verbatim) in the leaflet after its source reference."""
    from kiosk.core.content import DEFAULT_CONTENT_DIR, LeafletSource

    source = LeafletSource.from_file(DEFAULT_CONTENT_DIR / "source" / "kngf-artrose-folder.txt")
    checked = 0
    for section in content.sections.values():
        for paragraph in section.paragraphs:
            ref = paragraph.source
            assert source.untraceable(ref.heading, ref.starts, paragraph.sentences()) == [], (
                f"{ref.file}:{ref.line}"
            )
            checked += len(paragraph.sentences())
    assert checked > 150


def test_traceability_check_rejects_invented_text():
    from kiosk.core.content import DEFAULT_CONTENT_DIR, LeafletSource

    source = LeafletSource.from_file(DEFAULT_CONTENT_DIR / "source" / "kngf-artrose-folder.txt")
    problems = source.untraceable("Afvallen:", "De knieën en heupen dragen",
                                  ["Elke dag een appel houdt de dokter weg."])
    assert problems and "not found" in problems[0]


def test_sections_are_complete_and_spoken_text_has_no_urls_or_footnotes(content):
    for section in content.sections.values():
        assert section.title and section.keywords
        assert len(section.examples) >= 8, section.id
        for utterance in section.utterances():
            assert utterance.origin == f"leaflet:{section.id}"
            assert "http" not in utterance.text and "www." not in utterance.text
            assert "(lees meer)" not in utterance.text
            assert not re.search(r"[a-z]\d+(-\d+)?[.,]", utterance.text), utterance.text


def test_whole_leaflet_is_covered(content):
    """Nearly every sentence of the leaflet (bar links and visual text) is spoken somewhere."""
    from rapidfuzz import fuzz

    spoken = normalize_source(" ".join(u.text for s in content.sections.values()
                                        for u in s.utterances()))
    leaflet = (Path(__file__).parent.parent / "content/source/kngf-artrose-folder.txt").read_text()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(leaflet.split()))
                 if len(s) > 60 and "http" not in s]
    # The text extraction glues headings to the next sentence: compare each sentence's end.
    missing = [s for s in sentences if fuzz.partial_ratio(normalize_source(s[-80:]), spoken) < 90]
    assert len(missing) <= 0.05 * len(sentences), missing


def test_prompts_are_the_kiosks_own(content):
    for key in content.prompts.variants:
        for utterance in content.prompts.say(key, a="A", b="B", title="T", groups="G"):
            assert utterance.is_kiosk_own and utterance.origin == f"kiosk:{key}"


def test_follow_ups_point_to_existing_sections(content):
    for section in content.sections.values():
        for follow_up in section.follow_ups:
            assert follow_up in content.sections


# ----------------------------------------------------------------------------- errors
def _break(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _errors(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    return [str(p) for p in caught.value.problems]


def test_broken_yaml_names_file_and_line(content_copy):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, "title: Hulpmiddelen", "title: [Hulpmiddelen")
    [message] = _errors(content_copy)
    assert re.match(rf"{re.escape(str(leaflet))}:\d+: error: YAML syntax", message), message
    line = int(message.split(":")[1])
    broken_at = leaflet.read_text().splitlines().index("    title: [Hulpmiddelen") + 1
    assert broken_at <= line <= broken_at + 3


def test_missing_field_names_file_and_line(content_copy):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, "    title: Hulpmiddelen\n", "")
    errors = _errors(content_copy)
    assert any("missing field 'title'" in e and str(leaflet) in e for e in errors), errors
    line = int(next(e for e in errors if "'title'" in e).split(":")[1])
    assert "id: hulpmiddelen" in leaflet.read_text().splitlines()[line - 1]


def test_unknown_follow_up_id(content_copy):
    _break(content_copy / "leaflet.nl.yaml", "more: meer-afvallen", "more: meer-zwemmen")
    errors = _errors(content_copy)
    assert any("unknown section 'meer-zwemmen'" in e for e in errors), errors


def test_duplicate_id(content_copy):
    _break(content_copy / "leaflet.nl.yaml", "id: medicatie", "id: afvallen")
    errors = _errors(content_copy)
    assert any("duplicate section id 'afvallen' (first at line" in e for e in errors), errors
    assert any("section 'medicatie' is missing" in e for e in errors), errors


def test_empty_text(content_copy):
    leaflet = content_copy / "leaflet.nl.yaml"
    text = leaflet.read_text(encoding="utf-8")
    start = text.index("id: hulpmiddelen")
    block = re.compile(r"text: >-\n(?:\s{10,}\S[^\n]*\n)+")
    found = block.search(text, start)
    leaflet.write_text(text[: found.start()] + 'text: "  "\n' + text[found.end():], encoding="utf-8")
    errors = _errors(content_copy)
    assert any("'text' must be a non-empty text" in e or "nothing to say" in e for e in errors)


def test_source_reference_not_in_leaflet(content_copy):
    _break(content_copy / "leaflet.nl.yaml", "De knieën en heupen dragen", "De ellebogen dragen")
    errors = _errors(content_copy)
    assert any("is not found under heading" in e for e in errors), errors


def test_invented_sentence_is_rejected(content_copy):
    _break(content_copy / "leaflet.nl.yaml", "De knieën en heupen dragen bij",
           "Appels eten elke dag maakt artrose beter. De knieën en heupen dragen bij", count=2)
    errors = _errors(content_copy)
    assert any("sentence not found in the leaflet" in e and "Appels" in e for e in errors)


def test_prompts_must_be_marked_own(content_copy):
    _break(content_copy / "prompts.nl.yaml", "origin: kiosk", "origin: leaflet")
    assert any("kiosk's own" in e for e in _errors(content_copy))


def test_kiosk_check_reports_and_fails(content_copy, capsys):
    assert main(["check", "--content", str(content_copy)]) == 0
    _break(content_copy / "leaflet.nl.yaml", "id: medicatie", "id: afvallen")
    assert main(["check", "--content", str(content_copy)]) == 1
    out = capsys.readouterr().out
    assert "duplicate section id" in out and "error(s)" in out


def test_kiosk_check_train_leaves_both_matcher_models_in_the_cache(content_copy, tmp_path,
                                                                   monkeypatch, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv("KIOSK_CACHE_DIR", str(cache))
    assert main(["check", "--content", str(content_copy), "--train"]) == 0
    assert f"cached in {cache}" in capsys.readouterr().out
    assert len(list(cache.glob("matcher-*.pickle"))) == 2  # the ranking and the declining one
    _break(content_copy / "leaflet.nl.yaml", "id: medicatie", "id: afvallen")
    assert main(["check", "--content", str(content_copy), "--train"]) == 1
    assert "matcher models ready" not in capsys.readouterr().out


def test_out_of_scope_examples_are_loaded(content):
    assert len(content.intents.out_of_scope_examples) >= 200
    assert "ik heb last van mijn schouder" in content.intents.out_of_scope_examples


def test_out_of_scope_file_is_optional(content_copy):
    (content_copy / "out_of_scope.nl.yaml").unlink()
    assert load_content(content_copy).intents.out_of_scope_examples == ()


def test_broken_out_of_scope_file_names_file_and_line(content_copy):
    declined = content_copy / "out_of_scope.nl.yaml"
    declined.write_text("examples:\n  - hoe laat is het\n  - [kapot\n", encoding="utf-8")
    [message] = _errors(content_copy)
    assert message.startswith(f"{declined}:3:") or message.startswith(f"{declined}:4:"), message


def test_out_of_scope_example_may_not_be_a_section_example(content_copy, content):
    declined = content_copy / "out_of_scope.nl.yaml"
    taken = content.sections["afvallen"].examples[0]
    declined.write_text(f"examples:\n  - hoe laat is het\n  - {taken}\n", encoding="utf-8")
    [message] = _errors(content_copy)
    assert message.startswith(f"{declined}:3: error:"), message
    assert "section afvallen" in message


def test_recogniser_expects_out_of_scope_phrases_too(content):
    """Speech about other things needs phrases to land on in grammar mode; otherwise the
    recogniser forces it onto a leaflet question."""
    phrases = set(content.recognizer_phrases())
    assert "ik heb last van mijn schouder" in phrases
    assert set(content.sections["afvallen"].examples) <= phrases
