"""The matcher's classifier: trained on phrasings, the same model scikit-learn fits, picklable and
usable without scikit-learn or scipy; and its store (kiosk/app/classifier_store.py): a second
start loads instead of training, a broken or unwritable cache only logs, old models go."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest

from kiosk.app import classifier_store
from kiosk.core import classifier
from kiosk.core.classifier import Classifier, TrainingSet

STOPWORDS = frozenset({"de", "het", "een", "ik", "is", "wat", "mijn"})
TINY = TrainingSet(
    texts=("wat is artrose", "artrose uitleg", "ik wil afvallen", "hoe val ik af",
           "mijn gewicht omlaag", "stop", "hou op", "hoe laat is het", "waar is de wc"),
    labels=("intro", "intro", "afvallen", "afvallen", "afvallen", "command:stop",
            "command:stop", "none", "none"),
    stopwords=STOPWORDS,
)


def test_ranks_the_label_of_similar_phrasings_first():
    trained = classifier.train(TINY)
    assert trained.ranked("ik wil graag afvallen")[0][0] == "afvallen"
    assert trained.ranked("waar is het toilet de wc")[0][0] == "none"
    assert abs(sum(trained.probabilities("stop maar").values()) - 1.0) < 1e-6


def test_character_ngrams_survive_a_misheard_ending():
    assert classifier.train(TINY).ranked("wat is artrosen")[0][0] == "intro"


def test_a_store_trains_the_same_training_set_once(tmp_path):
    store = classifier_store.ClassifierStore(tmp_path)
    assert store.train(TINY) is store.train(TrainingSet(TINY.texts, TINY.labels, STOPWORDS))


#: TINY with repeated rows (merged into one weighted row when fitting) and words seen once
#: (their n-grams are proportional columns, merged into one).
REPEATED = TrainingSet((*TINY.texts, "stop", "stop", "wat is artrose", "knie pijn bij traplopen"),
                       (*TINY.labels, "command:stop", "command:stop", "intro", "intro"), STOPWORDS)


@pytest.mark.parametrize("training", [TINY, REPEATED], ids=["tiny", "repeated-rows"])
def test_the_model_is_the_one_scikit_learn_fits(training):
    """Same features as TfidfVectorizer (char_wb n-grams, stems; sublinear tf), same
    probabilities as LogisticRegression(C=20) on them, also for text it has not seen."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    trained = classifier.train(training)
    analyzer = classifier._Analyzer(training.stopwords)
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=classifier.NGRAMS,
                                  sublinear_tf=True)),
        ("stems", TfidfVectorizer(analyzer=analyzer.stems, sublinear_tf=True)),
    ])
    reference = LogisticRegression(C=classifier.C, max_iter=3000, tol=1e-8)
    reference.fit(features.fit_transform(training.texts), training.labels)
    assert tuple(reference.classes_) == trained.labels
    probes = [*training.texts, "ik wil graag afvallen", "wat is artrosen", "hoe laat gaat de bus"]
    expected = reference.predict_proba(features.transform(probes))
    got = np.array([[trained.probabilities(text)[label] for label in trained.labels]
                    for text in probes])
    assert got == pytest.approx(expected, abs=2e-3)


def test_fingerprint_changes_with_text_label_or_stopwords():
    changed_text = TrainingSet((*TINY.texts[:-1], "waar is de uitgang"), TINY.labels, STOPWORDS)
    changed_label = TrainingSet(TINY.texts, (*TINY.labels[:-1], "intro"), STOPWORDS)
    changed_stopwords = TrainingSet(TINY.texts, TINY.labels, STOPWORDS | {"hoe"})
    prints = {t.fingerprint for t in (TINY, changed_text, changed_label, changed_stopwords)}
    assert len(prints) == 4


def test_starting_from_a_similar_model_reaches_the_same_model():
    cold = classifier.train(REPEATED)
    warm = classifier.train(REPEATED, start=classifier.train(TINY))
    for text in ("ik wil graag afvallen", "wat is artrosen", "stop", "hoe laat gaat de bus"):
        assert warm.probabilities(text) == pytest.approx(cold.probabilities(text), abs=2e-3)


def test_a_trained_classifier_survives_pickling():
    trained = classifier.train(TINY)
    again = pickle.loads(pickle.dumps(trained))
    assert isinstance(again, Classifier)
    assert again.probabilities("ik wil afvallen") == pytest.approx(trained.probabilities("ik wil afvallen"))


def test_a_stored_model_is_used_without_scikit_learn_or_scipy(tmp_path):
    classifier_store.cached_train(TINY, tmp_path)
    probe = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from kiosk.app.classifier_store import cached_train\n"
        "from kiosk.core.classifier import TrainingSet\n"
        f"training = TrainingSet({TINY.texts!r}, {TINY.labels!r}, frozenset({sorted(STOPWORDS)!r}))\n"
        f"best = cached_train(training, Path({str(tmp_path)!r})).ranked('hou op')[0][0]\n"
        "print(json.dumps([best, sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'})]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == ["command:stop", []]


def test_store_trains_once_then_loads_from_disk(tmp_path, monkeypatch, caplog):
    with caplog.at_level(logging.INFO, logger="kiosk.app.classifier_store"):
        first = classifier_store.cached_train(TINY, tmp_path)
    assert "training one on 9 phrasings" in caplog.text  # staff see why the first start is slow
    [stored] = tmp_path.glob("matcher-*.pickle")
    caplog.clear()

    def no_training(_training, start=None):
        raise AssertionError("trained again although the model was on disk")

    monkeypatch.setattr(classifier, "train", no_training)
    with caplog.at_level(logging.INFO, logger="kiosk.app.classifier_store"):
        loaded = classifier_store.cached_train(TINY, tmp_path)
    assert "training" not in caplog.text
    assert loaded is not first
    assert loaded.probabilities("hou op") == pytest.approx(first.probabilities("hou op"))
    assert stored.exists() and not list(tmp_path.glob(".tmp-*"))


def test_store_ignores_a_broken_cache_file_and_replaces_it(tmp_path, caplog):
    path = classifier_store.cache_path(TINY, tmp_path)
    path.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        trained = classifier_store.cached_train(TINY, tmp_path)
    assert trained.ranked("hou op")[0][0] == "command:stop"
    assert "unreadable matcher cache" in caplog.text
    stored = pickle.loads(path.read_bytes())
    assert stored["key"] == TINY.fingerprint and stored["model"].fingerprint == TINY.fingerprint


def test_store_that_cannot_write_still_gives_a_classifier(tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING):
        trained = classifier_store.cached_train(TINY, blocked)
    assert trained.ranked("hou op")[0][0] == "command:stop"
    assert "could not cache the matcher model" in caplog.text


def test_store_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_CACHE_DIR", str(tmp_path / "a"))
    assert classifier_store.default_directory() == tmp_path / "a"
    monkeypatch.delenv("KIOSK_CACHE_DIR")
    monkeypatch.setenv("CACHE_DIRECTORY", str(tmp_path / "b"))
    assert classifier_store.default_directory() == tmp_path / "b"
    monkeypatch.delenv("CACHE_DIRECTORY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert classifier_store.default_directory() == tmp_path / "c" / "kiosk"


def test_store_keeps_the_models_used_last(tmp_path):
    """A matcher uses two models; the folder keeps those of the current and the previous
    content, and drops older ones and models of another format."""
    other_format = tmp_path / "matcher-0123456789abcdef0123-sklearn1.9.1.pickle"
    other_format.write_bytes(b"a model of an earlier kiosk version")
    sets = [TrainingSet((*TINY.texts, f"vraag nummer {n}"), (*TINY.labels, "none"), STOPWORDS)
            for n in range(classifier_store.KEEP + 1)]
    for training in sets[:classifier_store.KEEP]:
        classifier_store.cached_train(training, tmp_path)
        time.sleep(0.01)  # distinct modification times
    assert not other_format.exists()
    first = classifier_store.cache_path(sets[0], tmp_path)
    classifier_store.cached_train(sets[0], tmp_path)  # read: marks it used
    time.sleep(0.01)
    classifier_store.cached_train(sets[-1], tmp_path)
    kept = {p.name for p in tmp_path.glob("matcher-*.pickle")}
    assert len(kept) == classifier_store.KEEP
    assert first.name in kept  # used lately, though written first
    assert classifier_store.cache_path(sets[1], tmp_path).name not in kept  # the oldest went


class BuildSpy:
    """Counts how often a plan's training data is built (the real data, the real builder)."""

    def __init__(self, training: TrainingSet):
        self.training = training
        self.calls = 0

    def __call__(self) -> TrainingSet:
        self.calls += 1
        return self.training


def test_a_planned_model_is_loaded_without_building_its_data(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "intents.nl.yaml").write_text("commands: {}\n")
    spy = BuildSpy(TINY)
    plan = classifier.PlannedTraining("settings", content, spy)
    first = classifier_store.cached_train(plan, tmp_path / "cache")
    assert spy.calls == 1
    again = classifier_store.cached_train(plan, tmp_path / "cache")
    assert spy.calls == 1  # found by the files and the plan's key alone
    assert again.probabilities("hou op") == pytest.approx(first.probabilities("hou op"))

    (content / "intents.nl.yaml").write_text("commands: {stop: [stop]}\n")  # a content edit
    classifier_store.cached_train(plan, tmp_path / "cache")
    assert spy.calls == 2
    (content / "README.md").write_text("notes for the practice")  # not data: no new model
    classifier_store.cached_train(plan, tmp_path / "cache")
    other = classifier.PlannedTraining("other settings", content, spy)
    classifier_store.cached_train(other, tmp_path / "cache")
    assert spy.calls == 3


def test_a_warm_matcher_start_does_not_build_the_training_data(content, matcher, matcher_cache,
                                                               monkeypatch):
    """A second start with the same content only loads its two models (the session's
    matcher has written them)."""
    from kiosk.core.matching import Matcher

    calls = []
    real = Matcher.training_sets
    monkeypatch.setattr(Matcher, "training_sets",
                        lambda self, c: calls.append(c) or real(self, c))
    warm = Matcher(content, trainer=classifier_store.ClassifierStore(matcher_cache).train)
    assert calls == []
    assert warm.ranking_classifier.ranked("wat is artrose")[0][0] == \
        matcher.ranking_classifier.ranked("wat is artrose")[0][0]


def test_content_changed_in_memory_gets_other_plans(content, matcher):
    """The plans' key also holds the phrasings, so content changed after loading (same
    folder, same files) is not given the models of the files."""
    from dataclasses import replace

    same = [plan.key for plan in matcher.training_plans(content)]
    assert same == [plan.key for plan in matcher.training_plans(content)]
    assert same[0] != same[1]  # the two models are stored apart
    fewer = replace(content, sections=dict(list(content.sections.items())[1:]))
    assert matcher.training_plans(fewer)[0].key != same[0]


def test_the_solver_stops_when_ten_steps_barely_lower_the_loss(monkeypatch):
    """An ill-conditioned bowl whose gradient stays above the tolerance for long: the loss
    rule stops the solver well before the gradient rule, within a few percent of the least
    loss (1)."""
    curvature = np.geomspace(1e-4, 1.0, 200).astype(np.float32)
    evaluations = []

    def bowl(x):
        evaluations.append(x)
        return 1.0 + 0.5 * float(np.dot(curvature * x, x)), curvature * x

    start = np.full(200, 10.0, dtype=np.float32)
    stopped = classifier._minimize(bowl, start)
    by_loss_rule = len(evaluations)
    monkeypatch.setattr(classifier, "LOSS_DECREASE", 0.0)
    evaluations.clear()
    classifier._minimize(bowl, start)
    assert by_loss_rule < len(evaluations) / 2
    assert bowl(stopped)[0] < 1.1
