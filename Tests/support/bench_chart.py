"""Draws the side-by-side latencies of one `make bench` run as a bar chart (docs/benchmarks.md shows it).

    bench_chart.py BENCH_DIR OUT.png

Reads the hyperfine JSON files the bench wrote into BENCH_DIR (results.json, cache-fast.json, cache-keyring.json,
cache-slow.json, chain.json); a part that was skipped is left out of the chart. Medians, log scale, one bar per
command, coloured by whose it is (aws-elevate, a client through aws-elevate, other tools, the baseline).
"""

import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# (file, command as the bench names it, label on the chart, whose: True ours, False others', "via" a client through
# aws-elevate, None the baseline)
BARS = [
    ("cache-fast.json", "aws-elevate credential-process, warm file cache", "aws-elevate, cache hit (file)", True),
    ("cache-keyring.json", "aws-elevate credential-process, warm keyring", "aws-elevate, cache hit (keyring)", True),
    ("chain.json", "aws-elevate credential-process, IMDS → A → B, no cache", "aws-elevate, cold IMDS → A → B", True),
    ("cache-slow.json", "botocore, the AWS CLI's JSON file cache warm", "botocore, the AWS CLI's cache warm", False),
    ("chain.json", "botocore (boto3), IMDS → A → B, no cache", "botocore, cold IMDS → A → B", False),
    ("cache-slow.json", "awsume app-chain -s (its cache warm)", "awsume, cache warm", False),
    ("cache-slow.json", "the AWS CLI v1, chain resolved by itself (its cache warm)", "AWS CLI v1 alone, its cache warm", False),
    ("cache-slow.json", "the AWS CLI v1 through aws-elevate credential_process", "AWS CLI v1 via aws-elevate (hit)", "via"),
    ("cache-slow.json", "the AWS CLI v2, chain resolved by itself (its cache warm)", "AWS CLI v2 alone, its cache warm", False),
    ("cache-slow.json", "the AWS CLI v2 through aws-elevate credential_process", "AWS CLI v2 via aws-elevate (hit)", "via"),
    ("results.json", "static Swift hello-world", "static Swift hello-world", None),
]


def medians(directory: pathlib.Path) -> list[tuple[str, float, bool | str | None]]:
    found = []
    for name, command, label, ours in BARS:
        path = directory / name
        if not path.exists():
            continue
        for result in json.loads(path.read_text())["results"]:
            if result["command"] == command:
                found.append((label, result["median"] * 1000, ours))
    return found


def main() -> int:
    directory, output = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    bars = medians(directory)
    if not bars:
        print(f"bench_chart: no results in {directory}", file=sys.stderr)
        return 1
    bars.sort(key=lambda bar: bar[1])
    colours = {True: "#2b7bba", "via": "#8fb8de", False: "#d9822b", None: "#9a9a9a"}
    legend = {True: "aws-elevate", "via": "a client through aws-elevate", False: "other tools", None: "baseline"}
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(bars) + 1.2), dpi=110)
    positions = range(len(bars))
    axes.barh(positions, [bar[1] for bar in bars], color=[colours[bar[2]] for bar in bars])
    axes.set_yticks(list(positions), [bar[0] for bar in bars])
    axes.set_xscale("log")
    axes.set_xlabel("median wall time of one run, ms (log scale; lower is better)")
    axes.set_title("Getting credentials for a 2-hop role chain")
    for position, (_, milliseconds, _) in zip(positions, bars):
        axes.text(milliseconds * 1.08, position, f"{milliseconds:.1f} ms", va="center", fontsize=8)
    axes.set_xlim(right=max(bar[1] for bar in bars) * 3)
    axes.spines[["top", "right"]].set_visible(False)
    shown = [whose for whose in legend if any(bar[2] == whose for bar in bars)]
    axes.legend(handles=[Patch(color=colours[whose], label=legend[whose]) for whose in shown], loc="lower right",
                fontsize=8, frameon=False)
    figure.tight_layout()
    figure.savefig(output)
    print(f"bench: chart written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
