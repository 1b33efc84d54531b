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
    return "\n".join(lines) + "\n"


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
