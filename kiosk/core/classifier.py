"""A text classifier trained on the content's own phrasings: heard words -> label probabilities.

Labels are section ids, ``command:NAME``, ``flow:NAME`` and ``none`` (the out-of-scope
examples in ``content/out_of_scope.nl.yaml``). Features are TF-IDF weights of character
2-5-grams inside words (robust to a misheard ending, a split or joined compound, "geopereerd"
against "operatie") and of Dutch word stems; the model is a multinomial logistic regression
(scikit-learn). Trained once per content: the fitted model is kept in memory by a fingerprint
of its training texts, so several matchers over the same content share it.

:mod:`kiosk.core.matching` combines these probabilities with its explainable word-evidence score;
the reasons for that are in its docstring.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import snowballstemmer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

#: Label of the out-of-scope class.
NONE_LABEL = "none"
#: Inverse regularisation strength: the phrasings are few and clean, so fit them closely.
C = 20.0


@dataclass(frozen=True)
class TrainingSet:
    """(text, label) pairs; texts are already normalised words joined by spaces."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    stopwords: frozenset[str] = frozenset()

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the stopwords and every (label, text) pair: equal data, equal model."""
        digest = hashlib.sha256(" ".join(sorted(self.stopwords)).encode())
        for text, label in zip(self.texts, self.labels, strict=False):
            digest.update(f"{label}\t{text}\n".encode())
        return digest.hexdigest()


class _Stems:
    """Informative Dutch word stems of a normalised text (a class, so a model can be pickled)."""

    def __init__(self, stopwords: frozenset[str]):
        self.stopwords = stopwords
        self._stemmer = snowballstemmer.stemmer("dutch")

    def __call__(self, text: str) -> list[str]:
        stems: list[str] = self._stemmer.stemWords([w for w in text.split() if w not in self.stopwords])
        return stems

    def __getstate__(self) -> dict[str, object]:
        return {"stopwords": self.stopwords}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["stopwords"])  # type: ignore[misc]


class Classifier:
    """Label probabilities for normalised text (words joined by spaces)."""

    def __init__(self, training: TrainingSet):
        self.fingerprint = training.fingerprint
        stems = _Stems(training.stopwords)
        self.features = FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ("stems", TfidfVectorizer(analyzer=stems, sublinear_tf=True)),
        ])
        matrix = self.features.fit_transform(training.texts)
        self.model = LogisticRegression(C=C, max_iter=3000)
        self.model.fit(matrix, training.labels)
        self.labels: tuple[str, ...] = tuple(str(label) for label in self.model.classes_)

    def probabilities(self, text: str) -> dict[str, float]:
        probabilities = self.model.predict_proba(self.features.transform([text]))[0]
        return {label: float(p) for label, p in zip(self.labels, probabilities, strict=False)}

    def ranked(self, text: str, limit: int = 5) -> list[tuple[str, float]]:
        """The ``limit`` most likely labels with their probabilities, best first."""
        return sorted(self.probabilities(text).items(), key=lambda pair: pair[1], reverse=True)[:limit]


#: Trained classifiers by fingerprint of their training data (a few contents at most).
_CACHE: dict[str, Classifier] = {}
_CACHE_SIZE = 4


def train(training: TrainingSet) -> Classifier:
    """A classifier for this training set, shared with earlier calls on the same data."""
    key = training.fingerprint
    if key not in _CACHE:
        remember(Classifier(training))
    return _CACHE[key]


def remember(trained: Classifier) -> None:
    """Keep ``trained`` for later :func:`train` calls on the same data (e.g. one read from disk)."""
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[trained.fingerprint] = trained


#: Builds (or fetches) a classifier for a training set; :mod:`kiosk.app.classifier_store` has one
#: that also keeps trained models on disk.
Trainer = Callable[[TrainingSet], Classifier]
