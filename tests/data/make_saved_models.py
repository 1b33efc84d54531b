"""Write the saved models that tests/test_persistence.py loads.

Each format of sknn's saved state gets its own folder, ``format-N`` (``format-0``:
pickles of the state before sknn had a format of its own, which held skorch's
net). A model saved by one version must load in every later one, so files are
only ever added, never rewritten: run this once, when a new format is introduced,
and commit the new folder.

    python tests/data/make_saved_models.py
"""

import json
import pathlib
import warnings

import joblib
from sklearn.datasets import load_diabetes, load_iris

import sknn
from sknn import ReLUMLPClassifier, SigmoidRegressor

try:
    from sknn._persistence import FORMAT
except ImportError:  # before sknn had a format of its own
    FORMAT = 0


def main() -> None:
    folder = pathlib.Path(__file__).parent / f"format-{FORMAT}"
    folder.mkdir(exist_ok=False)
    X_iris, y_iris = load_iris(return_X_y=True)
    X_diabetes, y_diabetes = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits on purpose
        models = {
            "classifier": ReLUMLPClassifier(
                hidden_layer_sizes=(8,), max_epochs=5, random_state=0
            ).fit(X_iris, y_iris),
            "regressor": SigmoidRegressor(n_sigmoids=5, max_epochs=5, random_state=0).fit(
                X_diabetes, y_diabetes
            ),
        }
    # outputs on every tenth row of the data the model was fitted on
    expected = {"sknn": sknn.__version__, "format": FORMAT}
    for name, model in models.items():
        X = (X_iris if name == "classifier" else X_diabetes)[::10]
        joblib.dump(model, folder / f"{name}.joblib")
        if FORMAT > 0:
            import skops.io

            skops.io.dump(model, folder / f"{name}.skops")
        outputs = model.predict_proba(X) if name == "classifier" else model.predict(X)
        expected[name] = {
            "outputs": outputs.tolist(),
            "loss_curve_": list(model.loss_curve_),
            "n_iter_": model.n_iter_,
        }
    (folder / "expected.json").write_text(json.dumps(expected) + "\n")


if __name__ == "__main__":
    main()
