"""A text classifier trained on the content's own phrasings: heard words -> label probabilities.

Labels are section ids, ``command:NAME``, ``flow:NAME`` and ``none`` (the out-of-scope
examples in ``content/out_of_scope.nl.yaml``). Features are TF-IDF weights of character
2-5-grams inside words (robust to a misheard ending, a split or joined compound, "geopereerd"
against "operatie") and of Dutch word stems, each block scaled to unit length; the model is a
multinomial logistic regression with an L2 penalty.

The features and the model are scikit-learn's (``TfidfVectorizer`` with ``char_wb`` and
``sublinear_tf``, ``LogisticRegression(C=20)`` with L-BFGS), written out here so that a
trained model is plain numpy arrays: using one needs neither scikit-learn nor scipy, and
``tests/test_classifier.py`` checks both against scikit-learn. Training is fast because it
solves a smaller problem with the same optimum:

- *equal training rows* (a misheard copy that came out as written) are one row with a weight;
- *proportional feature columns* (n-grams that only ever occur together, such as the 3-, 4- and
  5-grams of a word seen once) are one column: with an L2 penalty, k columns ``c_i * x`` get
  weights in the same proportion, which one column ``sqrt(sum c_i^2) * x`` gives exactly; the
  weights are spread back over the original columns afterwards;
- scipy's L-BFGS-B runs with one BLAS thread (more threads make it several times slower on a
  small machine, scipy issue 22438).

This module keeps no state between calls: :mod:`kiosk.app.classifier_store` keeps trained
models in memory and on disk. :mod:`kiosk.core.matching` combines these probabilities with its
explainable word-evidence score; the reasons for that are in its docstring.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable

import numpy as np
import snowballstemmer

if TYPE_CHECKING:
    from scipy import sparse

#: Label of the out-of-scope class.
NONE_LABEL = "none"
#: Inverse regularisation strength: the phrasings are few and clean, so fit them closely.
C = 20.0
#: Character n-grams inside words (padded with a space on each side), shortest and longest.
NGRAMS = (2, 5)
#: The solver stops when no gradient component is larger (scikit-learn's ``tol``).
TOLERANCE = 1e-4
MAX_ITERATIONS = 3000


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
        for text, label in zip(self.texts, self.labels):
            digest.update(f"{label}\t{text}\n".encode())
        return digest.hexdigest()


class _Analyzer:
    """A text's character n-grams and word stems, each word analysed once."""

    def __init__(self, stopwords: frozenset[str]):
        self.stopwords = stopwords
        self._stemmer = snowballstemmer.stemmer("dutch")
        self._chars: dict[str, list[str]] = {}
        self._stems: dict[str, str] = {}

    def chars(self, text: str) -> list[str]:
        """scikit-learn's ``char_wb`` n-grams of the lower-cased text."""
        out: list[str] = []
        for word in text.lower().split():
            grams = self._chars.get(word)
            if grams is None:
                grams = self._chars[word] = _word_ngrams(word)
            out += grams
        return out

    def stems(self, text: str) -> list[str]:
        """Dutch stems of the words that are no stopwords."""
        out = []
        for word in text.split():
            if word in self.stopwords:
                continue
            stem = self._stems.get(word)
            if stem is None:
                stem = self._stems[word] = self._stemmer.stemWord(word)
            out.append(stem)
        return out


def _word_ngrams(word: str) -> list[str]:
    padded = f" {word} "
    grams = []
    for n in range(NGRAMS[0], NGRAMS[1] + 1):
        if n >= len(padded):
            grams.append(padded)  # a short word counts once, whole
            break
        grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return grams


@dataclass(frozen=True)
class _Block:
    """One TF-IDF block of the features: its terms' columns and inverse document frequencies."""

    columns: dict[str, int]  # term -> column, counted from the block's first column
    idf: np.ndarray
    offset: int

    def weights(self, terms: list[str]) -> tuple[list[int], np.ndarray]:
        """(columns, weights): log-scaled term counts times idf, scaled to unit length."""
        counts = Counter(term for term in terms if term in self.columns)
        if not counts:
            return [], np.zeros(0)
        local = [self.columns[term] for term in counts]
        values = (1.0 + np.log(np.fromiter(counts.values(), float, len(counts)))) * self.idf[local]
        return [self.offset + column for column in local], values / np.linalg.norm(values)


class Classifier:
    """Label probabilities for normalised text (words joined by spaces). Trained by
    :func:`train`; holds numpy arrays only."""

    def __init__(self, fingerprint: str, stopwords: frozenset[str], blocks: tuple[_Block, _Block],
                 labels: tuple[str, ...], coef: np.ndarray, intercept: np.ndarray):
        self.fingerprint = fingerprint
        self.stopwords = stopwords
        self.blocks = blocks
        self.labels = labels
        self.coef = coef  # features x labels
        self.intercept = intercept

    @cached_property
    def _analyzer(self) -> _Analyzer:
        return _Analyzer(self.stopwords)

    def __getstate__(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if key != "_analyzer"}

    def _features(self, text: str) -> tuple[list[int], np.ndarray]:
        analyzer = self._analyzer
        chars = self.blocks[0].weights(analyzer.chars(text))
        stems = self.blocks[1].weights(analyzer.stems(text))
        return chars[0] + stems[0], np.concatenate([chars[1], stems[1]])

    def probabilities(self, text: str) -> dict[str, float]:
        columns, values = self._features(text)
        logits = self.intercept + values @ self.coef[columns]
        exp = np.exp(logits - logits.max())
        return {label: float(p) for label, p in zip(self.labels, exp / exp.sum())}

    def ranked(self, text: str, limit: int = 5) -> list[tuple[str, float]]:
        """The ``limit`` most likely labels with their probabilities, best first."""
        return sorted(self.probabilities(text).items(), key=lambda pair: pair[1], reverse=True)[:limit]


def train(training: TrainingSet) -> Classifier:
    """Fit a classifier to ``training`` (about a second or two of computing here)."""
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    analyzer = _Analyzer(training.stopwords)
    char_terms = [analyzer.chars(text) for text in training.texts]
    stem_terms = [analyzer.stems(text) for text in training.texts]
    chars, char_block = _tfidf(char_terms, 0)
    stems, stem_block = _tfidf(stem_terms, len(char_block.columns))
    matrix = _hstack(chars, stems)
    labels, targets = np.unique(np.asarray(training.labels), return_inverse=True)
    with threadpool_limits(1, user_api="blas"):
        coef, intercept = _fit(matrix, targets, len(labels))
    return Classifier(training.fingerprint, training.stopwords, (char_block, stem_block),
                      tuple(str(label) for label in labels), coef, intercept)


def _tfidf(documents: list[list[str]], offset: int) -> tuple[sparse.csr_matrix, _Block]:
    """scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` on analysed documents."""
    from scipy import sparse  # noqa: PLC0415

    vocabulary = sorted({term for terms in documents for term in terms})
    columns = {term: i for i, term in enumerate(vocabulary)}
    indices = np.fromiter((columns[term] for terms in documents for term in terms), dtype=np.intp)
    indptr = np.cumsum([0] + [len(terms) for terms in documents])
    matrix = sparse.csr_matrix((np.ones(len(indices)), indices, indptr),
                               shape=(len(documents), len(vocabulary)))
    matrix.sum_duplicates()  # counts
    document_frequency = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = np.log((1 + len(documents)) / (1 + document_frequency)) + 1
    matrix.data = 1.0 + np.log(matrix.data)
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    matrix = sparse.diags(1.0 / norms) @ matrix
    return matrix.tocsr(), _Block(columns, idf, offset)


def _hstack(*blocks: sparse.csr_matrix) -> sparse.csr_matrix:
    from scipy import sparse  # noqa: PLC0415

    return sparse.hstack(blocks, format="csr")


def _merge_columns(matrix: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """(reduced matrix, group of each column, share of each column): proportional columns
    become one whose length is the root of their summed squared lengths; a column's weight is
    its group's weight times its share."""
    csc = matrix.tocsc()
    csc.sort_indices()
    groups: dict[tuple[bytes, bytes], int] = {}
    group_of = np.empty(csc.shape[1], dtype=np.intp)
    length = np.sqrt(np.asarray(csc.multiply(csc).sum(axis=0))).ravel()
    for column in range(csc.shape[1]):
        start, end = csc.indptr[column], csc.indptr[column + 1]
        direction = np.round(csc.data[start:end] / length[column], 9)
        key = (csc.indices[start:end].tobytes(), direction.tobytes())
        group_of[column] = groups.setdefault(key, len(groups))
    group_length = np.sqrt(np.bincount(group_of, weights=length ** 2))
    first = np.full(len(groups), -1, dtype=np.intp)
    first[group_of[::-1]] = np.arange(csc.shape[1])[::-1]
    reduced = csc[:, first] @ _diagonal(group_length / length[first])
    return reduced.tocsr(), group_of, length / group_length[group_of]


def _merge_rows(matrix: sparse.csr_matrix, targets: np.ndarray
                ) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """(distinct rows, their targets, how often each occurred)."""
    matrix.sort_indices()
    seen: dict[tuple[bytes, bytes, int], int] = {}
    keep: list[int] = []
    weights: list[float] = []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        key = (matrix.indices[start:end].tobytes(), matrix.data[start:end].tobytes(),
               int(targets[row]))
        if key in seen:
            weights[seen[key]] += 1
        else:
            seen[key] = len(keep)
            keep.append(row)
            weights.append(1.0)
    return matrix[keep], targets[keep], np.asarray(weights)


def _diagonal(values: np.ndarray) -> sparse.dia_matrix:
    from scipy import sparse  # noqa: PLC0415

    return sparse.diags(values)


def _fit(matrix: sparse.csr_matrix, targets: np.ndarray, n_labels: int
         ) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression as scikit-learn fits it (mean log-loss over the
    weighted rows + ||W||^2 / (2 C n)), on the merged problem; returns the coefficients of
    every original column and the intercepts."""
    from scipy.optimize import minimize  # noqa: PLC0415
    from scipy.special import logsumexp  # noqa: PLC0415

    reduced, group_of, share = _merge_columns(matrix)
    rows, row_targets, weights = _merge_rows(reduced, targets)
    transposed = rows.T.tocsr()
    n_rows, n_columns = rows.shape
    onehot = np.zeros((n_rows, n_labels))
    onehot[np.arange(n_rows), row_targets] = 1.0
    row_weight = weights / weights.sum()
    penalty = 1.0 / (C * weights.sum())
    size = n_columns * n_labels

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef = theta[:size].reshape(n_columns, n_labels)
        logits = rows @ coef + theta[size:]
        norm = logsumexp(logits, axis=1)
        loss = row_weight @ (norm - logits[np.arange(n_rows), row_targets])
        residual = (np.exp(logits - norm[:, None]) - onehot) * row_weight[:, None]
        gradient = np.concatenate([(transposed @ residual + penalty * coef).ravel(),
                                   residual.sum(axis=0)])
        return float(loss + 0.5 * penalty * np.vdot(coef, coef)), gradient

    result = minimize(loss_and_gradient, np.zeros(size + n_labels), jac=True, method="L-BFGS-B",
                      options={"maxiter": MAX_ITERATIONS, "maxls": 50, "gtol": TOLERANCE,
                               "ftol": 64 * np.finfo(float).eps})
    coef = result.x[:size].reshape(n_columns, n_labels)
    return coef[group_of] * share[:, None], result.x[size:]


#: Builds (or fetches) a classifier for a training set; :mod:`kiosk.app.classifier_store` has one
#: that also keeps trained models in memory and on disk.
Trainer = Callable[[TrainingSet], Classifier]
