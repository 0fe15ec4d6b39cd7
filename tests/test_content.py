"""The leaflet as content: complete, traceable to the leaflet, and clear errors when broken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SHARED

from kiosk.cli import main
from kiosk.core.content import (
    DEFAULT_CONTENT_DIR,
    SECTION_IDS,
    Adaptation,
    LeafletSource,
    check_content,
    load_content,
    normalize_source,
    split_sentences,
    unlabelled_misconceptions,
)
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


def _leaflet() -> LeafletSource:
    return LeafletSource.from_file(DEFAULT_CONTENT_DIR / "source" / "kngf-artrose-folder.txt")


def test_every_spoken_leaflet_sentence_is_the_leaflets_text(content):
    """Each paragraph is the leaflet's text word for word from its source place, bar the
    adaptations it declares."""
    source, checked = _leaflet(), 0
    for section in content.sections.values():
        for paragraph in section.paragraphs:
            ref = paragraph.source
            spoken = " ".join(paragraph.sentences())
            assert source.differences(ref.heading, ref.starts, spoken, paragraph.adapt) == [], (
                f"{ref.file}:{ref.line}")
            checked += len(paragraph.sentences())
    assert checked > 150


@pytest.mark.parametrize("spoken, reason", [
    ("De knieën en heupen dragen bij iedere stap het volledige lichaamsgewicht.", None),
    ("De knieën en heupen dragen, bij iedere stap - het volledige lichaamsgewicht!", None),
    ("De knieen en heupen dragen bij iedere stap het volledig lichaamsgewicht.",
     "'volledig' where the leaflet has 'volledige'"),
    ("De knieën en heupen dragen bij elke stap het volledige lichaamsgewicht.",
     "'elke' where the leaflet has 'iedere'"),
    ("De knieën en heupen dragen echt bij iedere stap het volledige lichaamsgewicht.",
     "'echt' where the leaflet has 'bij'"),
    ("De knieën en heupen dragen het volledige lichaamsgewicht.",
     "'het' where the leaflet has 'bij'"),
    ("Elke dag een appel houdt de dokter weg.", "'elke' where the leaflet has 'de'"),
])
def test_spoken_text_must_be_the_leaflets_words(spoken, reason):
    found = [r for _, r in _leaflet().differences("Afvallen:", "De knieën en heupen dragen", spoken)]
    assert (found == []) if reason is None else (reason in found[0]), found


def test_a_declared_adaptation_passes_and_an_unused_one_fails():
    source = _leaflet()
    spoken = "Heup: Ook bij het ontstaan van heupartrose speelt overgewicht een grote rol."
    assert source.differences("Lees Meer – Afvallen", "Heup: Ook", spoken)  # the footnote "13-14"
    fix = Adaptation("rol13-14", "rol", "voetnoot")
    assert source.differences("Lees Meer – Afvallen", "Heup: Ook", spoken, [fix]) == []
    wrong = Adaptation("rol99", "rol", "voetnoot")
    [(_, reason), *_] = source.differences("Lees Meer – Afvallen", "Heup: Ook", spoken, [wrong])
    assert "'rol99' is not in the leaflet here" in reason


def test_a_heading_must_be_a_heading_line_and_starts_its_first_occurrence_after_it():
    source = _leaflet()
    # "stapsgewijze aanpak van artrose" is mentioned in a sentence before the heading line
    heading_at = source.line_starts["stapsgewijze aanpak van artrose"]
    assert source.normalized.index("stapsgewijze aanpak van artrose") < heading_at
    pos, reason = source.locate("Stapsgewijze aanpak van artrose", "De klachten die")
    assert reason is None and pos > heading_at
    _, reason = source.locate("Tweedelijnszorg", "Als uw kwaliteit")
    assert "is not a heading line of the leaflet" in reason


#: The five misconceptions as claims (normalised), in the forms they could be said.
CLAIMS = (r"artrose is slijtage", r"komt alleen (voor )?bij ouderen", r"alleen een nieuwe (heup|knie)",
          r"bewegen geeft schade", r"iedereen met artrose (ervaart|heeft|krijgt) pijn")


def unlabelled_claims(sequence: list[str]) -> list[str]:
    """Utterances that state a misconception without its label: "misverstand" must come
    before the claim in the same utterance, or the utterance before must end with it."""
    out, before = [], ""
    for text in sequence:
        said = normalize_source(text)
        for claim in CLAIMS:
            for found in re.finditer(claim, said):
                if "misverstand" not in said[: found.start()] and not re.search(
                        r"misverstand( \d)?$", before):
                    out.append(text)
        before = said
    return out


def test_the_leaflets_five_misconceptions_are_known():
    claims = _leaflet().misconceptions
    assert len(claims) == 5 and claims[0] == "artrose is slijtage"
    assert unlabelled_misconceptions(claims, ["Er zijn misverstanden:", "Artrose is slijtage."])
    assert not unlabelled_misconceptions(claims, ["Misverstand 3:", "Alleen een nieuwe heup of "
                                                  "knie kan het probleem oplossen."])


def test_kiosk_check_refuses_a_misconception_without_its_label(content_copy, capsys):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, 'text: "Misverstand 4: bewegen geeft schade in het gewricht."',
           'text: "Bewegen geeft schade in het gewricht."\n'
           '        adapt: [{leaflet: "Misverstand 4: -", spoken: "", why: "weg"}]')
    assert main(["check", "--content", str(content_copy)]) == 1
    line = _line_with(leaflet, 'text: "Bewegen geeft schade in het gewricht."') - 2
    assert f"{leaflet}:{line}: error: a misconception said as a fact: 'Bewegen geeft schade in " \
        "het gewricht.'" in capsys.readouterr().out


def test_unlabelled_claims_are_found():
    assert unlabelled_claims(["Er bestaan misverstanden:", "Artrose is slijtage."])
    assert unlabelled_claims(["Bewegen geeft schade in het gewricht."])
    assert not unlabelled_claims(["Misverstand 1: artrose is slijtage."])
    assert not unlabelled_claims(["Misverstand 4:", "Bewegen geeft schade in het gewricht."])
    assert not unlabelled_claims(["Artrose is geen slijtage."])


def test_no_misconception_is_ever_said_without_its_label(content):
    """Read every section as spoken, every title and spoken name (said in offers and choices),
    every prompt and every triage text: a listener who tunes in late never hears a
    misconception as a fact."""
    sequences = [[u.text for u in section.utterances()] for section in content.sections.values()]
    sequences += [[section.title] for section in content.sections.values()]
    sequences += [[section.spoken_name] for section in content.sections.values() if section.spoken_name]
    sequences += [[u.text for u in content.prompts.say(key, a="A", b="B", name="N", title="T", groups="G")]
                  for key in content.prompts.variants]
    if content.triage is not None:
        sequences += [split_sentences(text.text) for text in content.triage.texts.values()]
    assert all(not unlabelled_claims(sequence) for sequence in sequences), [
        unlabelled_claims(s) for s in sequences if unlabelled_claims(s)]
    overview = [u.text for u in content.sections["misverstanden"].utterances()]
    assert sum(text.startswith("Misverstand ") for text in overview) == 5
    for n, section in enumerate(("slijtage", "ouderen", "nieuw-gewricht", "bewegen", "pijn"), 1):
        first = content.sections[f"misverstand-{section}"].utterances()[0].text
        assert first.startswith(f"Misverstand {n}: "), first


def test_the_step_overview_is_whole_sentences_with_the_condition_of_step_3(content):
    spoken = [u.text for u in content.sections["stapsgewijze-aanpak"].utterances()]
    assert [t.split(":")[0] for t in spoken if t.startswith("Stap ")] == ["Stap 1", "Stap 2", "Stap 3"]
    assert all(t.endswith((".", "?", ":")) for t in spoken)
    step_3 = " ".join(spoken[spoken.index("Stap 3: Tweedelijnszorg."):])
    assert "en bovenstaande behandelstappen al zijn doorlopen" in step_3
    assert "intensiever begeleid" in " ".join(spoken)  # the intensive care that step 3 needs
    assert not any(re.match(r"\d\)", t) for t in spoken)


def test_meer_zorgen_is_complete(content):
    spoken = " ".join(u.text for u in content.sections["meer-zorgen"].utterances())
    assert "uw therapeut kan hier meer over vertellen" in spoken
    assert "in meerdere lessen, die 1 minuut duren, uitleg gegeven over langdurige pijnklachten" in spoken
    assert "http" not in spoken and "volgende" not in spoken  # no links, no "the following ..."


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
        for utterance in content.prompts.say(key, a="A", b="B", name="N", title="T", groups="G"):
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
    assert any("paragraphs[1].text: must not be empty" in e for e in errors), errors


def test_shape_errors_of_sections_name_their_lines(content_copy):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, "    group: tips\n", "    group: trucs\n")
    _break(leaflet, "      - source:\n          heading: \"Hulpmiddelen:\"",
           "      - source:\n          heading: \"Hulpmiddelen:\"\n          page: 3")
    errors = _errors(content_copy)
    lines = leaflet.read_text().splitlines()
    assert any(f":{lines.index('    group: trucs') + 1}: error: sections[" in e
               and "group: unknown group 'trucs'; use one of: artrose" in e for e in errors), errors
    assert any(f":{lines.index('          page: 3') + 1}: error: unknown field 'page' in "
               "paragraphs[1].source; known: heading, starts" in e for e in errors), errors
    assert not any("is missing (required" in e or "unknown section" in e for e in errors), errors


def test_source_reference_not_in_leaflet(content_copy):
    _break(content_copy / "leaflet.nl.yaml", "De knieën en heupen dragen", "De ellebogen dragen")
    errors = _errors(content_copy)
    assert any("is not found under heading" in e for e in errors), errors


def test_invented_sentence_is_rejected(content_copy):
    _break(content_copy / "leaflet.nl.yaml", "De knieën en heupen dragen bij",
           "Appels eten elke dag maakt artrose beter. De knieën en heupen dragen bij", count=2)
    errors = _errors(content_copy)
    assert any("'appels' where the leaflet has 'de'" in e for e in errors), errors


def _line_with(path: Path, text: str) -> int:
    [line] = [i for i, row in enumerate(path.read_text().splitlines(), 1) if text in row]
    return line


def test_kiosk_check_fails_on_a_typo_naming_file_and_line(content_copy, capsys):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, "Heup: Ook bij het ontstaan van heupartrose",
           "Heup: Ook bij het ontstaan van heupartorse")
    assert main(["check", "--content", str(content_copy)]) == 1
    line = _line_with(leaflet, "heupartorse")
    assert f"{leaflet}:{line}: error: 'heupartorse' where the leaflet has 'heupartrose'" in \
        capsys.readouterr().out


def test_kiosk_check_fails_on_an_added_word_naming_its_line(content_copy, capsys):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, "          van een beweging opvangen.", "          van een beweging heel goed opvangen.")
    assert main(["check", "--content", str(content_copy)]) == 1
    line = _line_with(leaflet, "van een beweging heel goed opvangen.")
    assert f"{leaflet}:{line}: error: 'heel' where the leaflet has 'opvangen'" in capsys.readouterr().out


def test_kiosk_check_accepts_a_declared_adaptation(content_copy, capsys):
    leaflet = content_copy / "leaflet.nl.yaml"
    _break(leaflet, "maar vooral hoe u er\n          het beste mee om kan gaan.",
           "maar vooral hoe u er\n          het beste mee om kunt gaan.\n"
           "        adapt:\n"
           "          - {leaflet: \"om kan gaan\", spoken: \"om kunt gaan\", why: \"taal\"}")
    assert main(["check", "--content", str(content_copy)]) == 0, capsys.readouterr().out
    _break(leaflet, "why: \"taal\"}", "why: \"\"}")
    assert main(["check", "--content", str(content_copy)]) == 1
    line = _line_with(leaflet, 'why: ""}')
    assert f"leaflet.nl.yaml:{line}: error: paragraphs[1].adapt[1].why: must not be empty" in \
        capsys.readouterr().out


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
