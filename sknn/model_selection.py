"""Hyper-parameter search that trains the candidates' networks side by side.

:class:`GridSearchCV` and :class:`RandomizedSearchCV` are scikit-learn's, with the
same parameters and results (``cv_results_``, ``best_params_``, ``best_estimator_``,
refit, scoring, ``error_score``, ...). Before scikit-learn's search runs, the fits
it will make of an sknn estimator (alone or as the last step of a ``Pipeline``)
are trained together: those of one architecture as one stacked computation
(:func:`sknn._base.side_by_side`). Each such fit then takes its trained result
instead of training again, and scikit-learn scores it as usual. Fits that cannot
be trained together (another optimizer, callbacks, ``verbose``, sparse input, fit
parameters, a splitter or sampler whose draws change between calls) are trained
by scikit-learn's search as they would be, so the results never depend on which
way a fit went, beyond float32 rounding.

``verbose`` reports how many fits were trained together. Fit times in
``cv_results_`` include each fit's share of its group's training time.
"""

from __future__ import annotations

import copy
import itertools
import time
import warnings
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs, parallel_config
from scipy import sparse
from sklearn import get_config
from sklearn import model_selection as sk
from sklearn.base import clone, is_classifier
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._metadata_requests import _routing_enabled
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, indexable

from ._base import _TRAINED, _TRAINED_LOCK, BaseSGDNetwork, fit_key, side_by_side

__all__ = ["GridSearchCV", "RandomizedSearchCV"]


class _SideBySideSearch:
    """What sknn's searches add to scikit-learn's: the fits trained ahead."""

    def _candidates(self) -> list[dict]:
        raise NotImplementedError

    def fit(self, X, y=None, **params):
        """Run fit with all sets of parameters, as scikit-learn's search does,
        training the networks of the candidates side by side first.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors.
        y : array-like of shape (n_samples, n_output) or (n_samples,), default=None
            Targets.
        **params : dict of str -> object
            Parameters passed to the estimator's ``fit``, the scorer and the CV
            splitter, as in scikit-learn. Searches with fit parameters other than
            ``groups`` are run by scikit-learn alone.

        Returns
        -------
        self : object
            The fitted search.
        """
        # refuse bad parameters as scikit-learn's search does, before training
        if not get_config().get("skip_parameter_validation", False):
            self._validate_params()
        if hasattr(self, "_get_scorers"):
            self._get_scorers()  # the scoring and, with several metrics, the refit
        self._ahead = {}
        keys: list = []
        try:
            self._train_ahead(X, y, params, keys)
            if keys and effective_n_jobs(self.n_jobs) != 1:
                # workers in this process, where the fits trained ahead are
                with parallel_config(backend="threading"):
                    return super().fit(X, y, **params)
            return super().fit(X, y, **params)
        finally:
            with _TRAINED_LOCK:
                for key in keys:
                    _TRAINED.pop(key, None)
            del self._ahead  # what was trained ahead, kept only during fit
            self._restore_random_state()

    def _restore_random_state(self) -> None:
        if hasattr(self, "_given_random_state"):
            self.random_state = self._given_random_state
            del self._given_random_state

    def _final_step(self):
        """The sknn estimator that is fitted last, and the name of its step (None:
        the estimator itself); (None, None) when there is none."""
        estimator = self.estimator
        if isinstance(estimator, BaseSGDNetwork):
            return estimator, None
        if isinstance(estimator, Pipeline) and isinstance(
            estimator.steps[-1][1], BaseSGDNetwork
        ):
            return estimator.steps[-1][1], estimator.steps[-1][0]
        return None, None

    def _splitter(self, y):
        """The search's splitter, if its folds can be drawn ahead without changing
        what the search itself draws: not an iterable of splits (read once), and
        not drawing from numpy's global random state."""
        if not (
            self.cv is None or isinstance(self.cv, Integral) or hasattr(self.cv, "split")
        ):
            return None
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        if getattr(cv, "random_state", 0) is None and getattr(cv, "shuffle", True):
            return None
        return cv

    def _fit_params(self, params: dict, name: str | None) -> dict | None:
        """The fit parameters the search gives the final step, by the name it
        takes them with (``sample_weight`` only), or None when the search has fit
        parameters the fits trained ahead would not see as it passes them."""
        given = {key: value for key, value in params.items() if key != "groups"}
        if given and _routing_enabled():
            return None  # routed by each step's requests: scikit-learn's path
        own = "sample_weight" if name is None else f"{name}__sample_weight"
        if set(given) - {own}:
            return None
        return {"sample_weight": given[own]} if own in given else {}

    def _none_ahead(self, reason: str) -> None:
        if self.verbose > 0:
            print(
                f"Trained no fits side by side ({reason}); scikit-learn's search runs them."
            )

    def _train_ahead(self, X, y, params, keys: list) -> None:
        """Train the fits the search will make side by side, and leave each in
        :data:`sknn._base._TRAINED` for the search's fit to take (its key added to
        ``keys`` as soon as it is there)."""
        final, name = self._final_step()
        if final is None:
            return self._none_ahead("the last step is not an sknn estimator")
        if sparse.issparse(X):
            return self._none_ahead("sparse X is trained one fit at a time")
        fit_params = self._fit_params(params, name)
        if fit_params is None:
            return self._none_ahead("fit parameters other than sample_weight")
        if getattr(self, "_skl_callbacks", None):
            # scikit-learn's callbacks see each fit as the search makes it
            return self._none_ahead("the search has scikit-learn callbacks")
        X, y = indexable(X, y)
        cv = self._splitter(y)
        if cv is None:
            return self._none_ahead("the splitter's folds are drawn afresh at each call")
        groups = params.get("groups")
        # on copies, so that a random state the splitter holds is left as it is
        splits = list(copy.deepcopy(cv).split(X, y, groups))
        again = list(copy.deepcopy(cv).split(X, y, groups))
        if len(again) != len(splits) or not all(
            np.array_equal(a, c) and np.array_equal(b, d)
            for (a, b), (c, d) in zip(splits, again, strict=True)
        ):
            return self._none_ahead("the splitter's folds are drawn afresh at each call")
        candidates = self._candidates()
        prefix = "" if name is None else f"{name}__"
        started = time.perf_counter()
        tasks = []  # (candidate, split, key, estimator, X, y, sample weight)
        for split, (train, _) in enumerate(splits):
            X_train = _safe_indexing(X, train)
            y_train = None if y is None else _safe_indexing(y, train)
            weight = _check_method_params(X, fit_params, train).get("sample_weight")
            prepared: dict = {}
            for index, candidate in enumerate(candidates):
                own = {
                    key[len(prefix) :]: value
                    for key, value in candidate.items()
                    if key.startswith(prefix)
                }
                other = {
                    key: value
                    for key, value in candidate.items()
                    if not key.startswith(prefix)
                }
                if name is None and other:
                    continue
                try:
                    X_fit, X_given = self._prepared(X_train, y_train, other, prepared)
                    estimator = clone(final).set_params(**own)
                    key = fit_key(estimator, X_given, y_train, weight)
                except Exception:  # noqa: BLE001 - the search fits it, or reports it
                    continue
                tasks.append((index, split, key, estimator, X_fit, y_train, weight))
        preparing = (time.perf_counter() - started) / max(len(tasks), 1)
        chunks = _chunks(tasks, effective_n_jobs(self.n_jobs))
        try:
            if len(chunks) > 1:
                trained = Parallel(n_jobs=self.n_jobs)(
                    delayed(_train_together)([task[3:] for task in chunk])
                    for chunk in chunks
                )
            else:
                trained = [_train_together([task[3:] for task in c]) for c in chunks]
        except Exception:  # noqa: BLE001 - a worker lost: the search trains them all
            trained = [([(None, [])] * len(chunk), 0.0) for chunk in chunks]
        seconds = time.perf_counter() - started
        with _TRAINED_LOCK:
            for chunk, (results, chunk_seconds) in zip(chunks, trained, strict=True):
                # each fit's share of its chunk's training, and of the preparation
                share = preparing + chunk_seconds / len(chunk)
                for (index, split, key, *_), (estimator, caught) in zip(
                    chunk, results, strict=True
                ):
                    if estimator is None:
                        continue  # the search trains it again and reports the error
                    record = {"share": share, "taken": False}
                    caught = [warnings.WarningMessage(*warning) for warning in caught]
                    _TRAINED.setdefault(key, []).append((estimator, caught, record))
                    keys.append(key)
                    self._ahead[(index, split)] = record
        if self.verbose > 0:
            where = f" in {len(chunks)} parallel jobs" if len(chunks) > 1 else ""
            print(
                f"Trained {len(keys)} of {len(candidates) * len(splits)} fits side by "
                f"side{where} in {seconds:.2f} s; scikit-learn's search runs the others."
            )
            alone = [
                index
                for index in range(len(candidates))
                if any((index, split) not in self._ahead for split in range(len(splits)))
            ]
            if alone:
                shown = ", ".join(repr(candidates[index]) for index in alone[:5])
                more = f" and {len(alone) - 5} more" if len(alone) > 5 else ""
                print(f"Candidates trained one fit at a time: {shown}{more}.")

    def _prepared(self, X_train, y_train, other: dict, prepared: dict):
        """The final step's input on a fold, as the search will give it (``X_train``
        itself, or the output of the pipeline's other steps with their parameters
        ``other``, fitted once per fold and setting), and the same as the network
        trains on it (a float array cast once to float32, so that all the fits of a
        fold share it)."""
        key = repr(sorted(other.items()))
        if key not in prepared:
            given = X_train
            if self._final_step()[1] is not None:
                head = clone(self.estimator).set_params(**other)[:-1]
                given = head.fit_transform(X_train, y_train)
            fit = given
            if isinstance(given, np.ndarray) and given.dtype.kind == "f":
                fit = np.ascontiguousarray(given, dtype=np.float32)
            prepared[key] = (fit, given)
        return prepared[key]

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        ahead = getattr(self, "_ahead", {})
        for position, result in enumerate(out):
            record = ahead.get(divmod(position, n_splits))
            if record is not None and record["taken"] and "fit_time" in result:
                result["fit_time"] += record["share"]  # its share of the training
        return super()._format_results(candidate_params, n_splits, out, more_results)


def _signature(estimator) -> tuple:
    """What decides, before training, which stack a fit can join: fits with equal
    signatures are kept in one job's chunk."""
    params = estimator.get_params(deep=False)
    hidden = params.get("hidden_layer_sizes")
    depth = None if hidden is None else len(np.atleast_1d(hidden))
    return tuple(
        repr(value)
        for value in (
            type(estimator).__name__,
            depth,
            params.get("activation"),
            params.get("batch_size"),
            params.get("optimizer"),
            params.get("device"),
        )
    )


def _chunks(tasks: list, jobs: int) -> list[list]:
    """``tasks`` in at most ``jobs`` chunks of about equal numbers of fits, each
    fit next to those it can be stacked with."""
    if not tasks:
        return []
    ordered = sorted(tasks, key=lambda task: _signature(task[3]))
    count = min(max(jobs, 1), len(ordered))
    bounds = np.linspace(0, len(ordered), count + 1).round().astype(int)
    return [ordered[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _train_together(fits: list) -> tuple[list, float]:
    """Train ``fits`` (estimator, X, y, sample weight) side by side, where they run:
    in this process or in a joblib worker. Returns, for each, the fitted estimator
    (None if it failed: the search fits it again and reports the error) and the
    warnings its fit raised, as plain tuples that pickle; and the seconds it took."""
    started = time.perf_counter()
    placed = []
    with side_by_side(only=True) as together:
        for estimator, X, y, weight in fits:
            try:
                estimator.fit(X, y, sample_weight=weight)
            except Exception:  # noqa: BLE001 - the search fits it, or reports it
                placed.append(False)
                continue
            placed.append(True)
    results = iter(together.train(quiet=True) if together.fits else [])
    out = []
    for (estimator, *_), was_placed in zip(fits, placed, strict=True):
        if not was_placed:
            out.append((None, []))
            continue
        error, caught = next(results)
        caught = [(w.message, w.category, w.filename, w.lineno) for w in caught]
        out.append((None, []) if error is not None else (estimator, caught))
    return out, time.perf_counter() - started


class GridSearchCV(_SideBySideSearch, sk.GridSearchCV):
    """Exhaustive search over a grid of parameters: scikit-learn's
    ``sklearn.model_selection.GridSearchCV`` (the same parameters, attributes and
    methods), with the networks of the candidates trained side by side first.

    Change the import and nothing else::

        from sknn.model_selection import GridSearchCV

        search = GridSearchCV(
            make_pipeline(StandardScaler(), SigmoidRegressor(random_state=0)),
            {"sigmoidregressor__n_sigmoids": [3, 10, 30],
             "sigmoidregressor__lr": [0.003, 0.01, 0.03]},
            cv=5,
        ).fit(X, y)
    """

    def _candidates(self) -> list[dict]:
        return list(ParameterGrid(self.param_grid))


class RandomizedSearchCV(_SideBySideSearch, sk.RandomizedSearchCV):
    """Randomized search over parameters: scikit-learn's
    ``sklearn.model_selection.RandomizedSearchCV`` (the same parameters, attributes
    and methods), with the networks of the sampled candidates trained side by side
    first. With ``random_state=None`` or a ``RandomState``, one seed is drawn from
    it for the sampler at each ``fit``, so that the candidates trained are the ones
    searched; ``random_state`` itself is left as given."""

    def _candidates(self) -> list[dict]:
        if not isinstance(self.random_state, Integral):
            # draw the sampler's seed once, so the search samples what was trained
            self._given_random_state = self.random_state
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self.random_state = int(seed)
        return list(
            ParameterSampler(
                self.param_distributions, self.n_iter, random_state=self.random_state
            )
        )
