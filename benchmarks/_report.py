"""The Markdown table of a benchmark report."""

from __future__ import annotations

MIB = 2**20


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.1f}"


def markdown(report: dict) -> str:
    """Per configuration: sknn's numbers, and its ratios to scikit-learn and skorch."""
    env = report["environment"]
    lines = [
        f"Measured {env['date']} on {env['cpu_count']} CPU cores ({env['processor']}, "
        f"torch threads {env['torch_threads']}), device {env['device']}"
        + (f" ({env['gpu']})" if env["gpu"] else "")
        + f"; torch {env['torch']}, scikit-learn {env['scikit-learn']}, "
        f"skorch {env['skorch']}.",
        "",
        "| configuration | sknn fit s | / sklearn | / skorch | sknn predict s "
        "| / sklearn | fit peak MiB (sknn / sklearn / skorch) | X MiB "
        "| score sknn / sklearn / skorch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
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
    return "\n".join(lines) + "\n"
