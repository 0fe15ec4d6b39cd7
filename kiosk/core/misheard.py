"""Phrasings as a recogniser might mishear them: extra training data for the matcher.

The content's example questions are clean text; what the kiosk hears is not. The matcher's
ranking classifier (:mod:`kiosk.core.matching`) also learns from each in-domain phrasing written a
few more times with recogniser-like errors (:mod:`kiosk.core.errorsim`: near-sounding words,
dropped and inserted words, split and joined compounds), so that "wat zijn die draaien type"
still lands on the three types. Out-of-scope lines get no misheard copies: the classifier that
decides what to decline is trained on clean text only (see :mod:`kiosk.core.matching`).

Seeded: the same content always gives the same copies, so a trained model can be cached by
the fingerprint of its training data.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from kiosk.core.errorsim import ErrorSimulator

#: Misheard copies of every phrasing.
COPIES = 2
#: Word error rates the copies are drawn at (one chosen at random per copy).
ERROR_RATES = (0.1, 0.2, 0.3)
#: Seed of the random errors (not the benchmark's: ``kiosk bench`` seeds its own).
SEED = "kiosk-misheard-phrasings"


def misheard_copies(
    phrasings: Iterable[tuple[str, str]],
    vocabulary: Iterable[str],
    copies: int = COPIES,
    rates: Sequence[float] = ERROR_RATES,
    seed: str = SEED,
) -> list[tuple[str, str]]:
    """``copies`` misheard versions of every (label, text) phrasing, as (label, text) pairs;
    substitutions come from ``vocabulary`` (the words a recogniser with the kiosk's grammar
    can write). A copy that lost every word is left out."""
    simulator = ErrorSimulator(sorted(vocabulary))
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for label, text in phrasings:
        for _ in range(copies):
            heard = simulator.simulate(text, rng.choice(rates), rng)
            if heard:
                out.append((label, heard))
    return out
