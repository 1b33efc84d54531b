"""The Markdown table of a benchmark report."""

from __future__ import annotations

from ._small import FIT_REPEATS

MIB = 2**20


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.1f}"


def markdown(report: dict) -> str:
    """Per configuration: sknn's numbers, and its ratios to scikit-learn and skorch;
    then the small-data section, if the report has one."""
    env = report["environment"]
    lines = [
        f"Measured {env['date']} on {env['cpu_count']} CPU cores ({env['processor']}, "
        f"torch threads {env['torch_threads']}), device {env['device']}"
        + (f" ({env['gpu']})" if env["gpu"] else "")
        + f"; torch {env['torch']}, scikit-learn {env['scikit-learn']}, "
        f"skorch {env['skorch']}.",
        "",
    ]
    if report["results"]:
        lines += _large(report["results"])
    if "small_data" in report:
        lines += _small(report["small_data"])
    if report.get("search"):
        if "environment_search" in report:  # measured in a run of its own
            lines += [f"Searches measured {report['environment_search']['date']}.", ""]
        lines += _search(report["search"])
    if report.get("real_data"):
        if "environment_real_data" in report:
            lines += [f"Real data measured {report['environment_real_data']['date']}.", ""]
        lines += real_data(report["real_data"])
    return "\n".join(lines) + "\n"


def real_data(section: dict) -> list[str]:
    """Per data set, each model's mean score over the folds (and log-loss), the
    best model and sknn's gap to it; then the targets."""
    models = []
    for row in section["datasets"]:
        models += [model for model in row["models"] if model not in models]
    lines = [
        f"Real tabular data, {section['folds']}-fold cross-validation, every model at "
        "its defaults (scikit-learn's MLP with max_iter=2000), the same "
        "preprocessing; R² for regression, accuracy (log-loss) for classification:",
        "",
        "| data set | rows | columns (encoded) | "
        + " | ".join(models)
        + " | best | sknn's gap |",
        "|---|---|---|" + "---|" * len(models) + "---|---|",
    ]
    for row in section["datasets"]:
        cells = []
        for model in models:
            result = row["models"].get(model)
            if result is None:
                cells.append("")
                continue
            cell = f"{result['score']:.3f}"
            if "log_loss" in result:
                cell += f" ({result['log_loss']:.3f})"
            cells.append(cell)
        lines.append(
            f"| {row['dataset']} | {row['rows']} | {row['columns']} "
            f"({row['encoded_columns']}) | "
            + " | ".join(cells)
            + f" | {row['best']} | {row['sknn_gap']:.3f} |"
        )
    deep = section.get("summary_deep_regressor")
    summary = section["summary"]
    n = summary["datasets"]
    met = summary["targets_met"]
    lines += [
        "",
        f"sknn beats scikit-learn's MLP on {summary['sknn_beats_mlp']} of {n} "
        f"(target: all but at most one: {'met' if met['beats_mlp'] else 'not met'}); "
        f"is within 0.02 of HistGradientBoosting on {summary['sknn_within_0.02_of_hgb']} "
        f"of {n} (target: all: {'met' if met['within_hgb'] else 'not met'}); its mean "
        f"gap to the best model is {summary['mean_gap_to_best']:.5f} (target: at most "
        f"0.005: {'met' if met['mean_gap'] else 'not met'}).",
        "",
    ]
    seeds = section.get("summary_over_seeds")
    if seeds:
        per_seed = seeds["per_seed"]

        def spread(key: str, fmt: str = "d") -> str:
            values = [summary[key] for summary in per_seed]
            if min(values) == max(values):
                return f"{values[0]:{fmt}}"
            return f"{min(values):{fmt}} to {max(values):{fmt}}"

        lines += [
            f"Over {seeds['seeds']} seeds of sknn's weights and rows' order (seed 0 is "
            "the table's; the other models keep theirs), its mean gap to the best "
            f"model is {seeds['mean_gap_to_best']:.5f} on average "
            f"({spread('mean_gap_to_best', '.4f')}); it beats scikit-learn's MLP on "
            f"{spread('sknn_beats_mlp')} of {n} and is within 0.02 of "
            f"HistGradientBoosting on {spread('sknn_within_0.02_of_hgb')} of {n}.",
            "",
        ]
    if deep and deep["datasets"]:
        lines += [
            f"sknn_deep (ReLUMLPRegressor, regression only) beats scikit-learn's MLP "
            f"on {deep['sknn_beats_mlp']} of {deep['datasets']}, is within 0.02 of "
            f"HistGradientBoosting on {deep['sknn_within_0.02_of_hgb']}, and its mean "
            f"gap to the best other model is {deep['mean_gap_to_best']:.4f}.",
            "",
        ]
    return lines


def _search(rows: list[dict]) -> list[str]:
    """Seconds of each search and sknn's speed-up; the best parameters."""
    lines = [
        "Hyper-parameter search (n_jobs=1; seconds; x: how many times faster sknn's "
        "GridSearchCV is; fits/s: sknn's fits per second, each fit trained and "
        "scored):",
        "",
        "| grid | sknn | fits/s | sknn, a core busy | scikit-learn's over sknn | x "
        "| scikit-learn's over its MLP | x | best parameters (sknn / scikit-learn "
        "over sknn) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours, busy, over_sknn, over_mlp = (
            row[job]["seconds"]
            for job in ("sknn", "sknn_busy", "sklearn_over_sknn", "sklearn_over_mlp")
        )
        same = row["sknn"]["best_params"] == row["sklearn_over_sknn"]["best_params"]
        lines.append(
            f"| {row['config']['name']} | {ours:.2f} | {row['sknn']['fits'] / ours:.0f} "
            f"| {busy:.2f} | {over_sknn:.2f} | {over_sknn / ours:.1f} | {over_mlp:.2f} "
            f"| {over_mlp / ours:.1f} | {'the same' if same else 'different'}: "
            f"{row['sknn']['best_params']} |"
        )
    return [*lines, ""]


def _large(results: list[dict]) -> list[str]:
    lines = [
        "| configuration | sknn fit s | / sklearn | / skorch | sknn predict s "
        "| / sklearn | fit peak MiB (sknn / sklearn / skorch) | X MiB "
        "| score sknn / sklearn / skorch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results:
        sknn, sk, st = row["sknn"], row["sklearn"], row["skorch"]
        c = row["config"]
        name = (
            f"{c['name']}: {c['n_rows']:,} x {c['n_features']}, {tuple(c['hidden'])}, "
            f"batch {c['batch_size']}, {c['epochs']} epochs"
        )
        peaks = " / ".join(_mib(r["fit_peak_bytes"]) for r in (sknn, sk, st))
        scores = " / ".join(f"{r['score']:.3f}" for r in (sknn, sk, st))
        lines.append(
            f"| {name} | {sknn['fit_seconds']:.2f} "
            f"| {_ratio(sknn['fit_seconds'], sk['fit_seconds'])} "
            f"| {_ratio(sknn['fit_seconds'], st['fit_seconds'])} "
            f"| {sknn['predict_seconds']:.3f} "
            f"| {_ratio(sknn['predict_seconds'], sk['predict_seconds'])} "
            f"| {peaks} | {_mib(sknn['x_float32_bytes'])} | {scores} |"
        )
    return [*lines, ""]


def _small(section: dict) -> list[str]:
    """Fit seconds and sknn / scikit-learn on a quiet machine and with a busy core;
    the first fit; one-row predictions."""
    lines = [
        "Small data (scikit-learn's data sets, standardized; stopping off; best of "
        f"{FIT_REPEATS} fits):",
        "",
        "| data, network, batch, epochs | sknn fit s | / sklearn "
        "| sknn fit s, a core busy | / sklearn, a core busy |",
        "|---|---|---|---|---|",
    ]
    for quiet, busy in zip(section["quiet"], section["busy"], strict=True):
        c = quiet["config"]
        name = f"{c['name']}, {c['epochs']} epochs"
        cells = []
        for row in (quiet, busy):
            ours, theirs = row["sknn"]["fit_seconds"], row["sklearn"]["fit_seconds"]
            cells += [f"{ours:.3f}", _ratio(ours, theirs)]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    if section.get("defaults"):
        lines += [
            "",
            f"At the defaults (stopping on; best of {FIT_REPEATS} fits; scikit-learn's "
            "MLP at its defaults):",
            "",
            "| data | sknn estimator | sknn fit s | epochs | scikit-learn fit s "
            "| epochs | sknn / sklearn |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in section["defaults"]:
            ours, theirs = row["sknn"], row["sklearn"]
            lines.append(
                f"| {row['data']} | {row['estimator']} | {ours['fit_seconds']:.3f} "
                f"| {ours['epochs']} | {theirs['fit_seconds']:.3f} | {theirs['epochs']} "
                f"| {_ratio(ours['fit_seconds'], theirs['fit_seconds'])} |"
            )
    first, one = section["first_fit"], section["one_row"]
    lines += [
        "",
        f"First fit in a fresh process: {first['first_fit_seconds']:.3f} s "
        f"(after {first['import_seconds']:.2f} s of imports).",
        "",
        "| one row | sknn µs | scikit-learn µs | ratio |",
        "|---|---|---|---|",
    ]
    for method in ("predict", "predict_proba"):
        ours, theirs = (one[lib][f"{method}_seconds"] for lib in ("sknn", "sklearn"))
        ratio = _ratio(ours, theirs)
        lines.append(f"| `{method}` | {ours * 1e6:.0f} | {theirs * 1e6:.0f} | {ratio} |")
    return lines
