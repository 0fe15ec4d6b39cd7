"""`kiosk check`: validate the content folder and report every problem with file and line;
with ``--train``, also train the matcher's models for it and keep them in the cache folder, so
that the kiosk's next start needs no training (seconds here, longer on a Raspberry Pi)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kiosk.core.content import DEFAULT_CONTENT_DIR, Content, check_content
from kiosk.core.safety import review_document, review_items
from kiosk.core.yamlfile import Problem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("check", help="validate content (exit 1 on errors)")
    parser.add_argument("--content", type=Path, default=None,
                        help="content folder to check (default: the config's content_dir, "
                        f"else {DEFAULT_CONTENT_DIR})")
    parser.add_argument("--config", type=Path, help="config file naming content_dir")
    parser.add_argument("--review", action="store_true",
                        help="print the clinical sign-off list (content/REVIEW.md) and exit")
    parser.add_argument("--train", action="store_true",
                        help="also train the matcher models now and cache them (for the "
                        "service: run as its user with KIOSK_CACHE_DIR=/var/cache/kiosk)")
    parser.set_defaults(func=run)


def pronunciation_warnings(content: Content) -> list[Problem]:
    """Abbreviations and symbols in spoken text that the pronunciation lexicon does not cover."""
    path = content.directory / "lexicon.nl.yaml"
    if not path.exists():
        return [Problem(str(path), 0, "no pronunciation lexicon: abbreviations are not checked",
                        "warning")]
    from kiosk.speech.lexicon import load_lexicon

    lexicon = load_lexicon(path)
    texts = [u.text for s in content.sections for u in content.section_utterances(s)]
    for key in content.prompts.variants:
        texts += list(content.prompts.variants[key])
    return [
        Problem(str(path), 0, f"no lexicon entry for {token!r}: check how it sounds", "warning")
        for token in lexicon.find_unhandled(texts)
    ]


def review_warning(content: Content) -> list[Problem]:
    """How many own advice sentences a physiotherapist has not signed off yet."""
    items = review_items(content)
    unreviewed = [item for item in items if not item.reviewed]
    if not unreviewed:
        return []
    return [Problem(str(content.directory / "REVIEW.md"), 0,
                    f"{len(unreviewed)} of {len(items)} own advice sentences are unreviewed: a "
                    "physiotherapist must sign them off before use with patients", "warning")]


def run(args: argparse.Namespace) -> int:
    from kiosk.cli._common import content_dir_from_args

    args.content = content_dir_from_args(args)
    content, problems = check_content(args.content)
    if content is not None and args.review:
        print(review_document(review_items(content)), end="")
        return 0
    if content is not None:
        problems += pronunciation_warnings(content)
        problems += review_warning(content)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    if content is not None:
        examples = sum(len(s.examples) for s in content.sections.values())
        print(f"{args.content}: {len(content.sections)} sections, {examples} example questions, "
              f"{len(content.intents.out_of_scope_examples)} out-of-scope examples, "
              f"{len(content.prompts.variants)} prompts, "
              f"{sum(not i.reviewed for i in review_items(content))} unreviewed advice sentences"
              + (f", triage flows: {', '.join(content.triage.flows)}" if content.triage else ""))
    print(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)")
    if errors or content is None:
        return 1
    if args.train:
        from kiosk.app.classifier_store import default_directory

        started = time.perf_counter()
        train_with_progress(content)
        print(f"matcher models ready in {time.perf_counter() - started:.1f} s, "
              f"cached in {default_directory()}")
    return 0


def train_with_progress(content: Content) -> None:
    """Train (or load from the cache) the matcher's models, with a bar that counts the models
    and shows the time going by (training takes several seconds on a PC, and longer on a
    Raspberry Pi, where it has not been timed yet)."""
    import threading

    from tqdm import tqdm

    from kiosk.app.classifier_store import cached_train
    from kiosk.core.classifier import Classifier, Training
    from kiosk.core.matching import Matcher

    with tqdm(total=2, desc="matcher models", unit="model", file=sys.stderr,
              bar_format="{desc}: {n}/{total} |{bar}| {elapsed} elapsed") as bar:
        done = threading.Event()

        def tick() -> None:  # the elapsed time moves while a model is being trained
            while not done.wait(1.0):
                bar.refresh()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()

        def trainer(training: Training, *, start: Classifier | None = None) -> Classifier:
            trained = cached_train(training, start=start)
            bar.update(1)
            return trained

        try:
            Matcher(content, trainer=trainer)
        finally:
            done.set()
            ticker.join()
