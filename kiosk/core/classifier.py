"""A text classifier trained on the content's own phrasings: heard words -> label probabilities.

Labels are section ids, ``command:NAME``, ``flow:NAME`` and ``none`` (the out-of-scope
examples in ``content/out_of_scope.nl.yaml``). Features are TF-IDF weights of character
3-4-grams inside words (robust to a misheard ending, a split or joined compound, "geopereerd"
against "operatie") and of Dutch word stems, each block scaled to unit length; the model is a
multinomial logistic regression with an L2 penalty.

The features and the model are scikit-learn's (``TfidfVectorizer`` with ``char_wb`` and
``sublinear_tf``, ``LogisticRegression(C=20)`` with L-BFGS), written out here so that a
trained model is plain numpy arrays: using one needs neither scikit-learn nor scipy, and
``tests/test_classifier.py`` checks both against scikit-learn. Training is fast (about one
and a half seconds of processor time per model here, against twenty with scikit-learn) and
small (about 200 MB at its peak, against 420) because it solves a smaller problem with the same optimum:

- *equal training rows* (a misheard copy that came out as written) are one row with a weight;
- *proportional feature columns* (n-grams that only ever occur together, such as the 3- and 4-grams
  of a word seen once) are one column: with an L2 penalty, k columns ``c_i * x`` get
  weights in the same proportion, which one column ``sqrt(sum c_i^2) * x`` gives exactly; the
  weights are spread back over the original columns afterwards;
- the solver is a short L-BFGS in numpy (:func:`_minimize`) with one BLAS thread: scipy's
  L-BFGS-B needs 55 MB for its import alone, and on a busy small machine its BLAS threads
  made it several times slower (scipy issue 22438);
- the solver works in single precision (float32; the loss is summed in double): its time
  goes to moving vectors of half a million weights through memory, and half the bytes take
  about half the time;
- the ranking model starts from the weights of the declining one (``start``), which saves
  about a third of its steps;
- a text's n-gram and stem counts are summed from its words' (one sparse product), so each
  distinct word is analysed once.

The optimum is the same as scikit-learn's, but each solver stops a little short of it in its
own place; this one also stops once ten steps together lowered the loss by less than 2%
(``LOSS_DECREASE``), within about 1% of the loss where the gradient rule alone stops.

This module keeps no state between calls: :mod:`kiosk.app.classifier_store` keeps trained
models in memory and on disk. :mod:`kiosk.core.matching` combines these probabilities with its
explainable word-evidence score; the reasons for that are in its docstring.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import snowballstemmer

if TYPE_CHECKING:
    from scipy import sparse

#: Label of the out-of-scope class.
NONE_LABEL = "none"
#: Inverse regularisation strength: the phrasings are few and clean, so fit them closely.
C = 20.0
#: Character n-grams inside words (padded with a space on each side), shortest and longest.
#: 5-grams too cost a sixth of the training time and gained nothing; 2-grams (" k", "ni",
#: shared by most words) were a third of the non-zeros and gained nothing either
#: (docs/matcher.md, Training, first and third round).
NGRAMS = (3, 4)
#: The solver stops when no gradient component is larger (scikit-learn's ``tol``)...
TOLERANCE = 1e-4
#: ... or when its last ten steps (as many as it remembers) together lowered the loss by
#: less than this share: the slow tail of fitting single phrasings ever more closely
#: (docs/matcher.md, Training, third round).
LOSS_DECREASE = 0.02
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
        for text, label in zip(self.texts, self.labels, strict=True):
            digest.update(f"{label}\t{text}\n".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class PlannedTraining:
    """A training set named by what it is built from, before it is built: a cache
    (:mod:`kiosk.app.classifier_store`) finds its model by ``key`` and ``directory`` and calls
    ``build`` (a second or more) only when it has to train. ``key`` says what else the data
    depends on (the matcher's settings, a digest of the phrasings, which model);
    ``directory`` is the content folder the data comes from (None: not from files)."""

    key: str
    directory: Path | None
    build: Callable[[], TrainingSet]


#: What a :class:`Trainer` is given: the data, or a plan to build it.
Training = TrainingSet | PlannedTraining


def built(training: Training) -> TrainingSet:
    """The training set itself: built now when ``training`` is a plan."""
    return training.build() if isinstance(training, PlannedTraining) else training


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
                 labels: tuple[str, ...], coef: np.ndarray, intercept: np.ndarray,
                 analyzer: _Analyzer | None = None):
        self.fingerprint = fingerprint
        self.stopwords = stopwords
        self.blocks = blocks
        self.labels = labels
        self.coef = coef  # features x labels
        self.intercept = intercept
        if analyzer is not None:  # the one that analysed the training texts, words cached
            self._analyzer = analyzer

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
        return {label: float(p) for label, p in zip(self.labels, exp / exp.sum(), strict=True)}

    def ranked(self, text: str, limit: int = 5) -> list[tuple[str, float]]:
        """The ``limit`` most likely labels with their probabilities, best first."""
        return sorted(self.probabilities(text).items(), key=lambda pair: pair[1], reverse=True)[:limit]


def train(training: Training, start: Classifier | None = None) -> Classifier:
    """Fit a classifier to ``training`` (seconds; a plan is built first). ``start``: a
    classifier of similar data (the same phrasings without misheard copies) whose weights the
    solver starts from; it then needs fewer steps to the same optimum."""
    from threadpoolctl import threadpool_limits

    training = built(training)
    analyzer = (start._analyzer if start is not None and start.stopwords == training.stopwords
                else _Analyzer(training.stopwords))  # the start's words are analysed already
    matrix, blocks = _features(training, analyzer)
    labels, targets = np.unique(np.asarray(training.labels), return_inverse=True)
    label_names = tuple(str(label) for label in labels)
    initial = _weights_from(start, blocks, label_names, matrix.shape[1]) if start else None
    reduced, group_of, share = _merge_columns(matrix)
    del matrix  # only the merged problem is needed from here: less memory while solving
    rows, row_targets, weights = _merge_rows(reduced, targets)
    del reduced
    if initial is not None:  # a group's weight from its columns' (projected onto the group)
        grouped = np.zeros((rows.shape[1], len(labels)))
        np.add.at(grouped, group_of, initial[0] * share[:, None])
        initial = (grouped, initial[1])
    with threadpool_limits(1, user_api="blas"):
        coef, intercept = _fit(rows, row_targets, weights, len(labels), initial)
    return Classifier(training.fingerprint, training.stopwords, blocks, label_names,
                      (coef[group_of] * share[:, None]).astype(np.float32), intercept, analyzer)


def _features(training: TrainingSet, analyzer: _Analyzer
              ) -> tuple[sparse.csr_matrix, tuple[_Block, _Block]]:
    """The TF-IDF matrix of the training texts: character n-grams, then stems. A text's term
    counts are the sum of its words' (texts x words times words x terms, in scipy), so each
    distinct word is analysed and looked up once rather than once per text it occurs in."""
    from scipy import sparse

    texts = [text.split() for text in training.texts]
    words: dict[str, int] = {}
    indices = np.fromiter((words.setdefault(word, len(words)) for text in texts for word in text),
                          dtype=np.intp)
    indptr = np.cumsum([0] + [len(text) for text in texts])
    occurrences = sparse.csr_matrix((np.ones(len(indices)), indices, indptr),
                                    shape=(len(texts), len(words)))
    chars, char_block = _tfidf(occurrences, [analyzer.chars(word) for word in words], 0)
    stems, stem_block = _tfidf(occurrences, [analyzer.stems(word) for word in words],
                               len(char_block.columns))
    return sparse.hstack([chars, stems], format="csr"), (char_block, stem_block)


def _weights_from(start: Classifier, blocks: tuple[_Block, _Block], labels: tuple[str, ...],
                  n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """``start``'s weights for these columns (by term) and labels (by name); zero where it
    has none."""
    coef = np.zeros((n_columns, len(labels)))
    intercept = np.zeros(len(labels))
    known = [(i, start.labels.index(label)) for i, label in enumerate(labels) if label in start.labels]
    ours, theirs = [i for i, _ in known], [j for _, j in known]
    for block, old in zip(blocks, start.blocks, strict=True):
        pairs = [(block.offset + column, old.offset + old.columns[term])
                 for term, column in block.columns.items() if term in old.columns]
        if pairs:
            new_columns, old_columns = map(list, zip(*pairs, strict=True))
            coef[np.ix_(new_columns, ours)] = start.coef[np.ix_(old_columns, theirs)]
    intercept[ours] = start.intercept[theirs]
    return coef, intercept


def _tfidf(occurrences: sparse.csr_matrix, word_terms: list[list[str]], offset: int
           ) -> tuple[sparse.csr_matrix, _Block]:
    """scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` on texts given as word counts
    (``occurrences``, texts x words) and each word's terms."""
    from scipy import sparse

    vocabulary = sorted(set(itertools.chain.from_iterable(word_terms)))
    columns = {term: i for i, term in enumerate(vocabulary)}
    indptr = np.cumsum([0] + [len(terms) for terms in word_terms])
    indices = np.fromiter(map(columns.__getitem__, itertools.chain.from_iterable(word_terms)),
                          dtype=np.intp, count=int(indptr[-1]))
    terms = sparse.csr_matrix((np.ones(len(indices)), indices, indptr),
                              shape=(len(word_terms), len(vocabulary)))
    matrix = sparse.csr_matrix(occurrences @ terms)  # term counts
    matrix.sum_duplicates()  # and in canonical order, as the weights below are summed in it
    documents = matrix.shape[0]
    document_frequency = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = np.log((1 + documents) / (1 + document_frequency)) + 1
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    row_of = np.repeat(np.arange(documents), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=matrix.data ** 2, minlength=documents))
    matrix.data /= norms[row_of]  # rows of unit length (an empty row has no entries)
    return matrix, _Block(columns, idf, offset)


def _merge_columns(matrix: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """(reduced matrix, group of each column, share of each column): proportional columns
    become one whose length is the root of their summed squared lengths; a column's weight is
    its group's weight times its share."""
    csc = matrix.tocsc()
    csc.sort_indices()
    column_of = np.repeat(np.arange(csc.shape[1]), np.diff(csc.indptr))
    length = np.sqrt(np.bincount(column_of, weights=csc.data ** 2, minlength=csc.shape[1]))
    direction = np.round(csc.data / length[column_of], 9)
    groups: dict[tuple[bytes, bytes], int] = {}
    group_of = np.empty(csc.shape[1], dtype=np.intp)
    for column in range(csc.shape[1]):
        start, end = csc.indptr[column], csc.indptr[column + 1]
        key = (csc.indices[start:end].tobytes(), direction[start:end].tobytes())
        group_of[column] = groups.setdefault(key, len(groups))
    group_length = np.sqrt(np.bincount(group_of, weights=length ** 2))
    first = np.full(len(groups), -1, dtype=np.intp)
    first[group_of[::-1]] = np.arange(csc.shape[1])[::-1]
    reduced = csc[:, first].tocsr()
    reduced.data *= (group_length / length[first])[reduced.indices]
    return reduced, group_of, length / group_length[group_of]


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


def _fit(rows: sparse.csr_matrix, targets: np.ndarray, weights: np.ndarray, n_labels: int,
         initial: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression as scikit-learn fits it: the weighted mean log-loss
    + ||W||^2 / (2 C n), minimised by L-BFGS-B from ``initial`` weights or zeros. Returns
    the coefficients (columns x labels) and the intercepts. The intercepts are the weights of
    one more column, of ones, left out of the penalty: one matrix product gives the logits
    with them, and the other their gradient."""
    from scipy import sparse

    n_rows, n_columns = rows.shape
    rows = sparse.hstack([rows, np.ones((n_rows, 1))], format="csr", dtype=np.float32)
    transposed = rows.T.tocsr()
    onehot = np.zeros((n_rows, n_labels), dtype=np.float32)
    onehot[np.arange(n_rows), targets] = 1.0
    row_weight = (weights / weights.sum()).astype(np.float32)
    row_weight_double = row_weight.astype(float)
    penalty = float(1.0 / (C * weights.sum()))
    size = n_columns * n_labels  # the penalised weights; the intercepts follow them

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        logits = rows @ theta.reshape(n_columns + 1, n_labels)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        total = probabilities.sum(axis=1)
        loss = np.dot(row_weight_double, np.log(total, dtype=float)
                      - logits[np.arange(n_rows), targets])
        probabilities /= total[:, None]
        residual = np.subtract(probabilities, onehot, out=probabilities)
        residual *= row_weight[:, None]
        gradient = (transposed @ residual).ravel()
        coef = theta[:size]
        gradient[:size] += penalty * coef
        # the penalty summed in double, without a double copy of the weights
        return float(loss + 0.5 * penalty * np.einsum("i,i->", coef, coef, dtype=float)), gradient

    start = np.zeros(size + n_labels, dtype=np.float32)
    if initial is not None:
        start = np.concatenate([initial[0].ravel(), initial[1]]).astype(np.float32)
    theta = _minimize(loss_and_gradient, start).astype(float)
    return theta[:size].reshape(n_columns, n_labels), theta[size:]


def _minimize(function: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
              memory: int = 10) -> np.ndarray:
    """Limited-memory BFGS (Nocedal and Wright, algorithm 7.4) with a backtracking line search,
    stopping as scipy's L-BFGS-B does for scikit-learn (the largest gradient component at most
    ``TOLERANCE``, or a relative decrease of the loss below ``64 * machine epsilon``) or when
    the last ``memory`` steps lowered the loss by less than ``LOSS_DECREASE`` of it. About a
    third of the memory of scipy.optimize, whose import alone takes 55 MB. The vector updates
    of the two-loop recursion go through one scratch vector (``buffer``): the same arithmetic
    without a new half-million-element array for each."""
    value, gradient = function(x)
    values = [value]  # the loss after each step
    steps: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1 / y.s), oldest first
    buffer = np.empty_like(x)
    for _ in range(MAX_ITERATIONS):
        if max(gradient.max(), -gradient.min()) <= TOLERANCE:
            break
        direction = -gradient
        alphas = []
        for s, y, rho in reversed(steps):
            alpha = rho * float(np.dot(s, direction))
            direction -= np.multiply(alpha, y, out=buffer)
            alphas.append(alpha)
        if steps:
            s, y, _ = steps[-1]
            direction *= np.dot(s, y) / np.dot(y, y)
        else:
            direction /= max(1.0, float(np.linalg.norm(gradient)))
        for (s, y, rho), alpha in zip(steps, reversed(alphas), strict=True):
            direction += np.multiply(alpha - rho * float(np.dot(y, direction)), s, out=buffer)
        slope = float(np.dot(gradient, direction))
        if slope >= 0:  # not a descent direction (rounding): start the memory afresh
            steps.clear()
            direction, slope = -gradient, -float(np.dot(gradient, gradient))
        step = 1.0
        for _ in range(50):  # halve the step until the loss falls enough (Armijo)
            new_x = x + step * direction
            new_value, new_gradient = function(new_x)
            if new_value <= value + 1e-4 * step * slope:
                break
            step /= 2
        else:
            break  # no step lowers the loss: as close as rounding allows
        s, y = new_x - x, new_gradient - gradient
        curvature = float(np.dot(s, y))
        if curvature > 1e-10:
            steps = [*steps[-(memory - 1):], (s, y, 1.0 / curvature)]
        decrease = (value - new_value) / max(abs(value), abs(new_value), 1.0)
        x, value, gradient = new_x, new_value, new_gradient
        values.append(value)
        if decrease <= 64 * np.finfo(float).eps:
            break
        if len(values) > memory and values[-memory - 1] - value < LOSS_DECREASE * value:
            break
    return x


class Trainer(Protocol):
    """Builds (or fetches) a classifier for a training set or a plan of one, like
    :func:`train`; :mod:`kiosk.app.classifier_store` has one that also keeps trained models
    on disk."""

    def __call__(self, training: Training, *, start: Classifier | None = None) -> Classifier: ...
