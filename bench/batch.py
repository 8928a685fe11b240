"""Batch benchmark: `agent.map` over 10,000 rows against the loopback server, vs bare httpx.

    python -m bench.batch [--rows 10000] [--concurrency 64] [--rounds 2] [--paced] [--write]

Contenders, each in a fresh process, interleaved (A B C D, then D C B A, ...) so a noisy moment
of the machine spreads over all of them: bare httpx (`asyncio.gather` + a semaphore), the same
with requests entering httpx's pool one at a time as rig_nb's do, rig_nb's
`agent.map` (local backend), `agent.map(backend="ray")` (Ray tasks, what rig_nb ships) and a Ray
Data `map_batches` async UDF (the alternative weighed). Then memory against the number of rows.
`--write` puts the tables into bench/README.md between `<!-- batch -->` markers.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from bench.run import HERE, ROOT, free_port, machine

GATED = "bare httpx, gated pool entry"
"""Bare httpx entering the pool as rig_nb does (`bench.batch_worker.bare_httpx_gated`)."""
STREAM = "t20c20"
"""Each answer: 20 tokens in one SSE event, then the finish and usage chunks."""
PACED = "t20c1p10000"
"""`--paced`: 20 tokens, one SSE event each, 10 ms apart: each answer streams for 0.2 s, as a
model's would (at 100 tokens/s), so a row's time is mostly the server's, not the client's."""
PACED_CONTENDERS = (
    "bare httpx",
    "bare httpx, gated pool entry",
    "rig_nb stream_prompt + gather",
    "rig_nb agent.map",
)


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _run(name: str, base: str, rows: int, concurrency: int) -> dict[str, Any]:
    """One contender in a fresh process; its peak RSS (with Ray's processes) sampled from here."""
    command = [sys.executable, "-m", "bench.batch_worker", name, base, str(rows), str(concurrency)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) as worker:
        process, peak = psutil.Process(worker.pid), 0
        while worker.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _tree_rss(process))
            time.sleep(0.05)
        out = worker.stdout.read() if worker.stdout is not None else ""
    if worker.returncode:
        raise RuntimeError(f"{name} failed (exit {worker.returncode})")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_rss": peak}


def speed(
    base: str, rows: int, concurrency: int, rounds: int, names: list[str], stream: str
) -> list[str]:
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            runs[name].append(_run(name, base, rows, concurrency))
            print(name, json.dumps(runs[name][-1]), file=sys.stderr)
    return speed_table(runs, rows, concurrency, stream)


def runs_from_log(path: str) -> dict[str, list[dict[str, Any]]]:
    """The runs a previous `bench.batch` printed on stderr (`NAME {json}` lines)."""
    from bench.batch_worker import CONTENDERS

    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in CONTENDERS}
    for line in Path(path).read_text().splitlines():
        name, sep, data = line.partition(" {")
        if sep and name in runs:
            runs[name].append(ast.literal_eval("{" + data))
    return runs


def speed_table(
    runs: dict[str, list[dict[str, Any]]], rows: int, concurrency: int, stream: str = STREAM
) -> list[str]:
    names = [n for n in runs if runs[n]]
    counts = sorted({len(runs[n]) for n in names})
    rate = {n: statistics.median(x["rows"] / x["elapsed"] for x in runs[n]) for n in names}
    floor = rate["bare httpx"]
    gated = rate.get(GATED)
    lines = [
        f"{rows:,} rows, concurrency {concurrency}, each a short OpenAI-chat stream "
        f"(`{stream}`); medians of {'-'.join(map(str, counts))} interleaved runs per contender "
        "(each run's rows/s listed).",
        "",
        "| contender | rows/s | × bare httpx | × gated bare httpx | CPU s / 1k rows | peak RSS "
        "| failed rows | runs (rows/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in names:
        cpu = cpu_ms(runs, name)
        peak = max(x["peak_rss"] for x in runs[name]) / 1e6
        each = ", ".join(f"{x['rows'] / x['elapsed']:,.0f}" for x in runs[name])
        failed = sum(x.get("failed", 0) for x in runs[name])
        to_gated = f"{rate[name] / gated:.2f}" if gated else "–"
        lines.append(
            f"| {name} | {rate[name]:,.0f} | {rate[name] / floor:.2f} | {to_gated} | {cpu:.2f} | "
            f"{peak:,.0f} MB | {failed} | {each} |"
        )
    base = GATED if gated else "bare httpx"
    loop = cpu_ms(runs, "rig_nb stream_prompt + gather") - cpu_ms(runs, base)
    layer = cpu_ms(runs, "rig_nb agent.map") - cpu_ms(runs, "rig_nb stream_prompt + gather")
    lines += [
        "",
        f"rig_nb's own CPU per row, against {base} (the same pool behaviour): "
        f"{loop * 1000:+.0f} µs in the agent loop and provider layer (`stream_prompt` + gather) "
        f"and {layer * 1000:+.0f} µs in the batch layer (rows, retries, the JSON line per row, "
        "the table read back).",
    ]
    return lines


def cpu_ms(runs: dict[str, list[dict[str, Any]]], name: str) -> float:
    """A contender's median CPU milliseconds per row."""
    return statistics.median(x["cpu"] / x["rows"] * 1000 for x in runs[name])


def memory(base: str, sizes: list[int], concurrency: int, contender: str) -> list[str]:
    lines = [
        f"Memory against rows ({contender}, local backend, concurrency {concurrency}, "
        '`output="list"`): RSS while rows run (sampled every 500 rows) and after the '
        "table is built.",
        "",
        "| rows | RSS while running | peak RSS | RSS with the table | table, per row |",
        "|---:|---:|---:|---:|---:|",
    ]
    for rows in sizes:
        x = _run(contender, base, rows, concurrency)
        per_row = (x["rss_table"] - x["rss_during"]) / rows
        lines.append(
            f"| {rows:,} | {x['rss_during'] / 1e6:,.0f} MB | {x['peak_rss'] / 1e6:,.0f} MB | "
            f"{x['rss_table'] / 1e6:,.0f} MB | {per_row / 1e3:.1f} kB |"
        )
        print(rows, x, file=sys.stderr)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="default: 10,000")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", default="2500,10000,40000")
    parser.add_argument("--memory-concurrency", type=int, default=8)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--runs-log", help="take the speed runs from this stderr log of a run")
    parser.add_argument("--memory-contender", default="rig_nb agent.map")
    parser.add_argument(
        "--paced",
        action="store_true",
        help=f"answers streamed over 0.2 s ({PACED}), the local contenders only, no memory "
        "table; --write puts it between <!-- batch-paced --> markers (default rows: 2,560)",
    )
    args = parser.parse_args()
    from bench.batch_worker import CONTENDERS

    names = list(PACED_CONTENDERS if args.paced else CONTENDERS)
    stream, marker = (PACED, "batch-paced") if args.paced else (STREAM, "batch")
    rows = args.rows if args.rows is not None else (2_560 if args.paced else 10_000)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(port)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        base = f"http://127.0.0.1:{port}/{stream}/v1"
        if args.runs_log:
            table = speed_table(runs_from_log(args.runs_log), rows, args.concurrency, stream)
        else:
            table = speed(base, rows, args.concurrency, args.rounds, names, stream)
        lines = [f"Machine: {machine()}.", "", *table]
        if not args.paced:
            sizes = [int(s) for s in args.sizes.split(",")]
            lines += ["", *memory(base, sizes, args.memory_concurrency, args.memory_contender)]
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    text = "\n".join(lines)
    print(text)
    if args.write:
        readme = HERE / "README.md"
        current = readme.read_text()
        start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
