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
import time
from numbers import Integral

import numpy as np
from joblib import parallel_config
from scipy import sparse
from sklearn import model_selection as sk
from sklearn.base import clone, is_classifier
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import indexable

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
        self._ahead = {}
        keys: list = []
        try:
            self._train_ahead(X, y, params, keys)
            if keys and self.n_jobs not in (None, 1):
                # workers in this process, where the fits trained ahead are
                with parallel_config(backend="threading"):
                    return super().fit(X, y, **params)
            return super().fit(X, y, **params)
        finally:
            with _TRAINED_LOCK:
                for key in keys:
                    _TRAINED.pop(key, None)
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

    def _train_ahead(self, X, y, params, keys: list) -> None:
        """Train the fits the search will make side by side, and leave each in
        :data:`sknn._base._TRAINED` for the search's fit to take (its key added to
        ``keys`` as soon as it is there)."""
        final, name = self._final_step()
        if final is None or set(params) - {"groups"} or sparse.issparse(X):
            return
        if getattr(self, "_skl_callbacks", None):
            return  # scikit-learn's callbacks see each fit as the search makes it
        X, y = indexable(X, y)
        cv = self._splitter(y)
        if cv is None:
            return
        groups = params.get("groups")
        # on copies, so that a random state the splitter holds is left as it is
        splits = list(copy.deepcopy(cv).split(X, y, groups))
        again = list(copy.deepcopy(cv).split(X, y, groups))
        if len(again) != len(splits) or not all(
            np.array_equal(a, c) and np.array_equal(b, d)
            for (a, b), (c, d) in zip(splits, again, strict=True)
        ):
            return  # the search would draw other folds
        candidates = self._candidates()
        prefix = "" if name is None else f"{name}__"
        started = time.perf_counter()
        jobs = []  # (candidate, split, estimator, its key)
        with side_by_side(only=True) as together:
            for split, (train, _) in enumerate(splits):
                X_train = _safe_indexing(X, train)
                y_train = None if y is None else _safe_indexing(y, train)
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
                        key = fit_key(estimator, X_given, y_train, None)
                        estimator.fit(X_fit, y_train)
                    except Exception:  # noqa: BLE001 - the search trains it, or reports it
                        continue
                    jobs.append((index, split, estimator, key))
        results = together.train(quiet=True) if together.fits else []
        seconds = time.perf_counter() - started
        share = seconds / max(len(jobs), 1)
        with _TRAINED_LOCK:
            for (index, split, estimator, key), (error, caught) in zip(
                jobs, results, strict=True
            ):
                if error is not None:
                    continue  # the search trains it again and reports the error
                record = {"share": share, "taken": False}
                _TRAINED[key] = (estimator, caught, record)
                keys.append(key)
                self._ahead[(index, split)] = record
        if self.verbose > 0:
            print(
                f"Trained {len(keys)} of {len(candidates) * len(splits)} fits side by "
                f"side in {seconds:.2f} s; scikit-learn's search runs the others."
            )

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
