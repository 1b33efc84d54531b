import re
import subprocess
import sys

import pytest

from sknn._cli import main


def test_quick_demo_saves_models_and_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["demo", "--quick", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Created the folder {tmp_path / 'run'}")
    assert "Training on cpu." in out
    assert "Trained 4 of 4 fits side by side" in out
    # every model scored by the same cross-validation, with its spread
    for name in (
        "LinearRegression",
        "HistGradientBoostingRegressor",
        "MLPRegressor (defaults)",
        "SigmoidRegressor (defaults)",
        "SigmoidRegressor (tuned in each fold)",
        "LogisticRegression",
        "HistGradientBoostingClassifier",
        "MLPClassifier (defaults)",
        "ReLUMLPClassifier deep (128, 64)",
    ):
        assert re.search(rf"  {re.escape(name)} +-?\d\.\d{{3}} \(\d\.\d{{3}}\) ", out), name
    # scikit-learn's MLP says that it did not converge
    assert re.search(r"MLPRegressor \(defaults\) .* 3 of 3 \(max_iter=200\)", out)
    assert "mean (sd) over 3 folds" in out
    assert out.count("reloaded, it predicts the same") == 2
    assert "[4/4] Saving the best models" in out
    saved = {path.name for path in (tmp_path / "run").iterdir()}
    assert saved == {
        "sigmoid_regressor.joblib",
        "relu_mlp_classifier.joblib",
        "loss_curves.png",
        "sigmoids.png",
    }


def test_the_search_comparison_says_what_it_timed():
    from types import SimpleNamespace

    from sknn._demo import _comparison

    search = SimpleNamespace(best_params_={"lr": 0.1})
    line = _comparison(1.0, 3.2, 36, search, search)
    assert line == (
        "      GridSearchCV.fit took 1.0 s with sknn's, 3.2 s with scikit-learn's: "
        "sknn's was 3.2x faster\n      (36 fits, n_jobs=1, each scored, and the "
        "refit; after a warm-up fit); same best parameters: yes"
    )
    other = SimpleNamespace(best_params_={"lr": 0.2})
    assert "only 0.5x as fast" in _comparison(2.0, 1.0, 36, search, other)
    assert _comparison(2.0, 1.0, 36, search, other).endswith("parameters: NO")


def test_version(capsys):
    import sklearn
    import torch

    import sknn

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"sknn {sknn.__version__} (torch {torch.__version__}")
    assert f"scikit-learn {sklearn.__version__}" in out


def test_out_that_holds_files_is_refused_unless_forced(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "is not empty" in one_line_error(capsys)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    ran = []
    monkeypatch.setattr("sknn._demo.run_demo", lambda out, **kw: ran.append(out))
    assert main(["demo", "--out", str(tmp_path), "--force"]) == 0
    assert ran == [tmp_path]


def test_out_whose_parent_is_missing_is_refused(tmp_path, capsys):
    deep = tmp_path / "a" / "b" / "run"
    assert main(["demo", "--out", str(deep)]) == 2
    assert "its parent folder" in one_line_error(capsys)
    assert not (tmp_path / "a").exists()
    (tmp_path / "file").write_text("")
    assert main(["demo", "--out", str(tmp_path / "file" / "run")]) == 2
    assert "is a file, not a folder" in one_line_error(capsys)
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert main(["demo", "--out", str(tmp_path / "gone")]) == 2
    assert "a link to a folder that does not exist" in one_line_error(capsys)


def test_auto_device_says_what_it_chose(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sknn._demo.run_demo", lambda out, **kw: None)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setattr("sknn._device._mps_available", lambda: False)
    assert main(["demo", "--device", "auto", "--out", str(tmp_path / "run")]) == 0
    assert "Training on cpu (--device auto: torch sees no CUDA or MPS device)." in (
        capsys.readouterr().out
    )


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
