"""`kiosk check`: validate the content folder and report every problem with file and line."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.content import DEFAULT_CONTENT_DIR, Content, check_content
from kiosk.yamlfile import Problem


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="validate content (exit 1 on errors)")
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT_DIR,
                        help="content folder to check (default: the bundled one)")
    parser.set_defaults(func=run)


def pronunciation_warnings(content: Content) -> list[Problem]:
    """Abbreviations and symbols in spoken text that the pronunciation lexicon does not cover."""
    path = content.directory / "lexicon.nl.yaml"
    if not path.exists():
        return [Problem(str(path), 0, "no pronunciation lexicon: abbreviations are not checked",
                        "warning")]
    from kiosk.lexicon import load_lexicon  # noqa: PLC0415

    lexicon = load_lexicon(path)
    texts = [u.text for s in content.sections for u in content.section_utterances(s)]
    for key in content.prompts.variants:
        texts += list(content.prompts.variants[key])
    return [
        Problem(str(path), 0, f"no lexicon entry for {token!r}: check how it sounds", "warning")
        for token in lexicon.find_unhandled(texts)
    ]


def run(args: argparse.Namespace) -> int:
    content, problems = check_content(args.content)
    if content is not None:
        problems += pronunciation_warnings(content)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    if content is not None:
        examples = sum(len(s.examples) for s in content.sections.values())
        print(f"{args.content}: {len(content.sections)} sections, {examples} example questions, "
              f"{len(content.intents.out_of_scope_examples)} out-of-scope examples, "
              f"{len(content.prompts.variants)} prompts"
              + (f", triage flows: {', '.join(content.triage.flows)}" if content.triage else ""))
    print(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)")
    return 1 if errors else 0
