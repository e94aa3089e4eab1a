"""Benchmark: `referly evaluate paths` on a synthetic log of 500,000 events among 25,000 people.

    python benchmarks/paths.py [--events 500000] [--people 25000] [--seed 1]

Setup (not timed): a synthetic log written as CSV in a temporary folder (synthetic: people in teams of about
50, each with a long-tailed activity; four messages in five stay inside the team, the rest go to anyone, at
uniform times over two years). Timed, in one run, each in its own process (time and peak memory of that
process, reading the CSV included):

- the baseline: common neighbours alone, the cheapest classic link predictor: the same log read the same way,
  the pairs before the cut-off, one DuckDB self-join counting common neighbours, the labels and one AUC;
- `referly evaluate paths --json` as a user runs it: strength, both path models and the five baselines with
  their DeLong intervals, average precision and precision@k.

Targets: ≤ 60 s and ≤ 4 GB for `evaluate paths` at about 10 million candidate pairs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DAY = 86_400

BASELINE = """
import sys, duckdb, numpy as np, pyarrow as pa
from referly.ingest.logs import read_log
from referly.scoring.ties import roc_auc
from referly.scoring.tuning import default_cutoff
src, dst, ts = read_log(sys.argv[1], "from", "to", "at")
cut = default_cutoff(ts, 90.0)
low, high = np.minimum(src, dst), np.maximum(src, dst)
keep = low != high
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.register("ev", pa.table({"a": low[keep], "b": high[keep], "ts": ts[keep]}))
con.execute(f"CREATE TEMP TABLE ties AS SELECT DISTINCT a, b FROM ev WHERE ts < {cut}")
con.execute("CREATE TEMP TABLE adj AS SELECT a AS u, b AS v FROM ties UNION ALL SELECT b, a FROM ties")
con.execute(f"CREATE TEMP TABLE fut AS SELECT DISTINCT a, b FROM ev WHERE ts >= {cut} AND ts < {cut + 90 * 86400}")
data = con.sql('''
    SELECT c.cn, f.a IS NOT NULL AS y FROM (
        SELECT x.v AS a, y.v AS b, count(*)::DOUBLE AS cn FROM adj x JOIN adj y ON x.u = y.u AND x.v < y.v
        GROUP BY 1, 2) c
    ANTI JOIN ties t ON t.a = c.a AND t.b = c.b
    LEFT JOIN fut f ON f.a = c.a AND f.b = c.b''').fetchnumpy()
print(len(data["cn"]), roc_auc(np.asarray(data["cn"]), np.asarray(data["y"]).astype(bool)))
"""


def synthetic_log(path: Path, events: int, people: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    team = rng.integers(0, max(1, people // 50), people)
    activity = rng.pareto(1.6, people) + 1.0
    weights = activity / activity.sum()
    src = rng.choice(people, events, p=weights)
    order = np.argsort(team, kind="stable")
    bounds = np.searchsorted(team[order], np.arange(team.max() + 2))
    first, size = bounds[team[src]], bounds[team[src] + 1] - bounds[team[src]]
    inside = order[first + (rng.random(events) * size).astype(np.int64)]
    anyone = rng.choice(people, events, p=weights)
    dst = np.where(rng.random(events) < 0.8, inside, anyone)
    ts = np.sort(rng.integers(0, 730 * DAY, events))
    with path.open("w") as out:
        out.write("from,to,at\n")
        np.savetxt(out, np.column_stack([src, dst, ts]), fmt="%d", delimiter=",")


def timed(command: list[str]) -> tuple[float, float, str]:
    """Seconds, peak memory (GB) of the child, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:  # ru_maxrss is the largest child so far: run the smaller process first
        print("note: this child's peak is not above an earlier child's; the memory figure is an upper bound")
    return seconds, peak / 1024**2, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="referly-paths-") as folder:
        run(Path(folder) / "log.csv", args.events, args.people, args.seed)


def run(path: Path, events: int, people: int, seed: int) -> None:
    synthetic_log(path, events, people, seed)
    print(f"synthetic log: {events:,} events, {people:,} people")

    base_s, base_gb, base_out = timed([sys.executable, "-c", BASELINE, str(path)])
    candidates, auc = base_out.split()[-2:]
    print(
        f"baseline, common neighbours alone: {base_s:.1f} s, peak {base_gb:.2f} GB; "
        f"{int(candidates):,} candidate pairs, AUC {float(auc):.3f}"
    )

    command = [sys.executable, "-m", "referly", "evaluate", "paths", "--events", str(path)]
    full_s, full_gb, out = timed([*command, "--source", "from", "--target", "to", "--time", "at", "--json"])
    figures = json.loads(out)
    print(
        f"evaluate paths: {full_s:.1f} s, peak {full_gb:.2f} GB; {figures['candidates']:,} candidate pairs, "
        f"{figures['positives']:,} positives, {figures['unreachable_future_pairs']:,} unreachable future pairs"
    )
    for model in figures["models"]:
        low, high = model["auc_ci"]
        print(f"  {model['name']:<24} AUC {model['auc']:.3f} [{low:.3f}, {high:.3f}]")
    print(
        f"ratio to the baseline: {full_s / base_s:.1f}x; targets ≤ 60 s: "
        f"{'met' if full_s <= 60 else 'MISSED'}, ≤ 4 GB: {'met' if full_gb <= 4 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
