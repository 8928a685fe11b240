"""Stream throughput against the limit and the peers, in both regimes, paired.

    python -m bench.run [--pairs 10] [--before DIR] [--write]

Scenarios: OpenAI chat and Anthropic streams, each in the **burst** regime (the whole body is in
the socket before the client reads: throughput is wall time) and the **paced** regime (one SSE
event per network read, as real models send them: the server sets the pace, so the cost is the
client's CPU time). Every contender is paired with its baseline (`bench.paired`): raw httpx, or
raw httpx awaiting a callback per delta for the `+ hook` contenders. `--before DIR` adds the
rig_nb contenders again, importing the rig_nb found in DIR (the base commit), in the same run.
`--write` puts the tables into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.paired import ROOT, Pairs, Worker, measure

HERE = Path(__file__).resolve().parent
FAMILIES = {
    "openai": {
        "raw httpx": ["rig_nb", "openai SDK", "pydantic-ai"],
        "raw httpx + hook": ["rig_nb + hook"],
    },
    "anthropic": {
        "raw httpx (anthropic)": ["rig_nb (anthropic)"],
        "raw httpx + hook (anthropic)": ["rig_nb + hook (anthropic)"],
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server() -> Iterator[int]:
    """The loopback SSE server (`bench.server`), in its own process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(port)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield port
    finally:
        process.terminate()
        process.wait()


def scenario_rows(
    family: str, regime: str, url: str, tokens: int, count: int, before: str | None, peers: bool
) -> list[str]:
    workers: dict[str, Worker] = {}

    def worker(name: str) -> Worker:
        if name not in workers:
            workers[name] = Worker(name, before if name.endswith("(before)") else None)
        return workers[name]

    pairs: dict[str, tuple[Worker, Worker]] = {}
    for baseline, contenders in FAMILIES[family].items():
        for name in contenders:
            if not peers and not name.startswith("rig_nb"):
                continue
            pairs[name] = (worker(baseline), worker(name))
            if before and name.startswith("rig_nb"):
                pairs[f"{name} (before)"] = (worker(baseline), worker(f"{name} (before)"))
    try:
        results = measure(pairs, url, count)
    finally:
        for w in workers.values():
            w.close()
    rows = []
    baselines = {name: b.name for name, (b, _c) in pairs.items()}
    for name, result in results.items():
        rows.append(_row(name, baselines[name], regime, result, tokens))
    for baseline in dict.fromkeys(baselines.values()):
        result = next(r for n, r in results.items() if baselines[n] == baseline)
        cpu = result.median("cpu", "baseline") / tokens * 1e6
        wall = tokens / result.median("wall", "baseline")
        first = result.median("first", "baseline") * 1000
        rows.append(
            f"| {baseline} | {regime} | (the limit) | 1.00 | 1.00 | {cpu:.1f} | {first:.2f} ms | {wall:,.0f} |"
        )
    return rows


def _row(name: str, baseline: str, regime: str, result: Pairs, tokens: int) -> str:
    key = "wall" if regime == "burst" else "cpu"
    low, high = result.spread(key)
    figures = {k: f"{result.ratio(k):.2f}" for k in ("wall", "cpu")}
    figures[key] = f"**{figures[key]}** ({low:.2f}–{high:.2f})"
    cpu_token = result.median("cpu") / tokens * 1e6
    first = result.first_delta() * 1000
    speed = tokens / result.median("wall")
    return (
        f"| {name} | {regime} | {baseline} | {figures['wall']} | {figures['cpu']} | "
        f"{cpu_token:.1f} | {first:+.2f} ms | {speed:,.0f} |"
    )


HEADER = [
    "| contender | regime | baseline | × baseline, wall | × baseline, CPU | CPU µs/token "
    "| first token vs baseline | tokens/s |",
    "|---|---|---|---:|---:|---:|---:|---:|",
]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ["httpx", "openai", "pydantic-ai-slim", "pydantic"]:
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def write_results(name: str, lines: list[str]) -> None:
    """Put `lines` between the `<!-- results:name -->` markers of bench/README.md."""
    readme = HERE / "README.md"
    current = readme.read_text()
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    head, found, rest = current.partition(start)
    if not found:
        raise SystemExit(f"bench/README.md has no {start} marker")
    _, _, tail = rest.partition(end)
    readme.write_text(f"{head}{start}\n" + "\n".join(lines) + f"\n{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000, help="tokens of a burst stream")
    parser.add_argument("--paced-tokens", type=int, default=400, help="tokens of a paced stream")
    parser.add_argument("--pace", type=int, default=500, help="µs between paced events")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--before", help="a directory holding the base commit's rig_nb package")
    parser.add_argument("--only", choices=["burst", "paced"], default=None)
    parser.add_argument("--family", choices=list(FAMILIES), default=None)
    parser.add_argument("--no-peers", action="store_true", help="rig_nb against raw httpx only")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = [*HEADER]
    with server() as port:
        for regime in ("burst", "paced"):
            if args.only and regime != args.only:
                continue
            tokens = args.tokens if regime == "burst" else args.paced_tokens
            shape = f"t{tokens}c1" + (f"p{args.pace}" if regime == "paced" else "")
            for family in FAMILIES:
                if args.family and family != args.family:
                    continue
                url = f"http://127.0.0.1:{port}/{shape}/v1"
                found = scenario_rows(
                    family, regime, url, tokens, args.pairs, args.before, not args.no_peers
                )
                print("\n".join(found), flush=True)
                rows += found
    text = [
        f"Machine: {machine()}. Versions: {versions()}.",
        "",
        f"Burst: {args.tokens} tokens, one per SSE event, the whole body in the socket at once. "
        f"Paced: {args.paced_tokens} tokens, one SSE event every {args.pace} µs (one per network "
        f"read). {args.pairs} pairs per contender, A B / B A in turn; each figure is the median "
        "of the per-pair ratios (baseline time / contender time: 1.00 is the limit, higher is "
        "faster), in bold the regime's measure with the quartiles of its per-pair ratios. In the burst regime wall time is the measure, in the paced regime CPU time "
        "(the server sets the pace, so wall time is the same for all).",
        "",
        *rows,
    ]
    print("\n".join(text))
    if args.write:
        write_results("speed", text)


if __name__ == "__main__":
    main()
