"""Times commands side by side in interleaved rounds with hyperfine -N, so that a burst of load on the machine
falls on all of them alike instead of on whichever command's block it happened to hit.

    interleaved.py OUT.json ROUNDS RUNS WARMUP NAME COMMAND [NAME COMMAND ...]

Each round runs hyperfine once over every command (RUNS timed runs each, after WARMUP), the order reversed every
other round. OUT.json has hyperfine's shape, {"results": [{"command", "median", "min", "mean", "times"}]}, over
all rounds' runs (ROUNDS x RUNS per command), in seconds.
"""

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> None:
    out, rounds, runs, warmup, *pairs = argv
    if not pairs or len(pairs) % 2:
        sys.exit("interleaved.py: give NAME COMMAND pairs")
    commands = list(zip(pairs[0::2], pairs[1::2]))
    times: dict[str, list[float]] = {name: [] for name, _ in commands}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(int(rounds)):
            order = commands if round_number % 2 == 0 else list(reversed(commands))
            export = Path(scratch) / f"round-{round_number}.json"
            arguments = ["hyperfine", "-N", "--warmup", warmup, "--runs", runs, "--export-json", str(export)]
            for name, command in order:
                arguments += ["-n", name, command]
            # hyperfine's warnings (outliers, a slow first run) would repeat every round; shown only on failure.
            run = subprocess.run(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if run.returncode != 0:
                sys.exit(f"interleaved.py: hyperfine failed:\n{run.stderr}")
            for result in json.loads(export.read_text())["results"]:
                times[result["command"]] += result["times"]
    results = [{"command": name, "median": statistics.median(times[name]), "min": min(times[name]),
                "mean": statistics.fmean(times[name]), "times": times[name]} for name, _ in commands]
    Path(out).write_text(json.dumps({"results": results}))


if __name__ == "__main__":
    main(sys.argv[1:])
