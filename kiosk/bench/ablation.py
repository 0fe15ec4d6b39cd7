"""What each part of the matcher gains: the text benchmark for matcher variants, side by side.

    python -m kiosk.bench.ablation [--wer 0.2] FILE.tsv [FILE.tsv ...]

Variants switch off the parts added for real visitors' questions (docs/needs.md): the
answers for what the leaflet does not cover (``not_in_leaflet``), the synonym table
(``synonyms``) and paragraph retrieval over lemmas (``retrieval``). Each variant trains its own
models (cached on disk like the kiosk's), so a first run takes minutes. Prints one table:
per file and variant, right / false accepts clean and at each simulated error rate.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.app.classifier_store import cached_train
from kiosk.bench.text import run_text_bench
from kiosk.core.content import DEFAULT_CONTENT_DIR, load_content
from kiosk.core.matching import RETRIEVAL_WEIGHT, Matcher

#: name -> Matcher options.
VARIANTS: dict[str, dict[str, Any]] = {
    "words+classifier": dict(use_not_in_leaflet=False, use_synonyms=False, retrieval_weight=0.0),
    "+not_in_leaflet": dict(use_not_in_leaflet=True, use_synonyms=False, retrieval_weight=0.0),
    "+synonyms": dict(use_not_in_leaflet=True, use_synonyms=True, retrieval_weight=0.0),
    "+retrieval 0.1": dict(use_not_in_leaflet=True, use_synonyms=True, retrieval_weight=0.1),
    "+retrieval 0.2": dict(use_not_in_leaflet=True, use_synonyms=True, retrieval_weight=0.2),
}


def _cell(result: dict[str, Any]) -> str:
    right = result["accuracy"]
    false = result["false_accept_rate"]
    left = f"{100 * right:5.1f}" if right is not None else "    -"
    return f"{left}/{100 * false:4.1f}" if false is not None else f"{left}/   -"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--wer", default="0.2")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT_DIR)
    args = parser.parse_args(argv)
    wers = [float(w) for w in args.wer.split(",") if w.strip()]
    content = load_content(args.content)
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    print(f"right% / false accepts%, clean | {' | '.join(f'WER {w:.2f}' for w in wers)}"
          f" (default retrieval weight: {RETRIEVAL_WEIGHT})")
    for name in names:
        matcher = Matcher(content, trainer=cached_train, **VARIANTS[name])
        for path in args.files:
            result = run_text_bench(path, matcher, wers)
            cells = [_cell(result["clean"])]
            cells += [_cell(result["simulated"][f"{w:.2f}"]) for w in wers]
            print(f"{name:18s} {path.name:24s} " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
