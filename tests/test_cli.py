import re
import subprocess
import sys

import pytest

from sknn._cli import main


def test_quick_demo_saves_models_and_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["demo", "--quick", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    for name in (
        "SigmoidRegressor (tuned)",
        "MLPRegressor",
        "deep (128, 64)",
        "MLPClassifier",
    ):
        assert name in out
    assert out.count("reloaded, it predicts the same") == 2
    assert "[6/6] Saving the best models" in out
    # sknn's GridSearchCV timed against scikit-learn's on the same grid
    assert "Trained 4 of 4 fits side by side" in out
    comparison = re.search(
        r"GridSearchCV\.fit took \d+\.\d s with sknn's, \d+\.\d s with "
        r"scikit-learn's: sknn's was (only )?\d+\.\dx (faster|as fast) \(4 fits, "
        r"n_jobs=1; both include scoring every fit and the refit; after a warm-up "
        r"fit\); same best parameters: yes\n",
        out,
    )
    assert comparison is not None, out
    saved = {path.name for path in (tmp_path / "run").iterdir()}
    assert saved == {
        "sigmoid_regressor.joblib",
        "relu_mlp_classifier.joblib",
        "loss_curves.png",
        "sigmoids.png",
    }


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_unknown_option_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--fast"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --fast" in one_line_error(capsys)


@pytest.mark.parametrize("device", ["floppy", "cuda:99"])
def test_unusable_device_is_a_one_line_error(device, capsys):
    assert main(["demo", "--device", device]) == 2
    assert one_line_error(capsys).startswith("sknn: error:")


def test_out_must_be_a_folder(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["demo", "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in one_line_error(capsys)


def test_no_command_shows_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_python_dash_m_sknn():
    result = subprocess.run(
        [sys.executable, "-m", "sknn", "demo", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--quick" in result.stdout
