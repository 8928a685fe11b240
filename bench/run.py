"""Benchmarks: rig_nb's loop against raw httpx and its peers, concurrency, and widget coalescing.

    python -m bench.run [--tokens 2000] [--reps 7] [--write]

Every contender reads the same loopback stream in a fresh process; medians over `--reps` runs.
`--write` puts the results table into bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _contender(name: str, base_url: str, tokens: int, reps: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.worker", name, base_url, str(tokens), str(reps)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout)


def speed_table(
    port: int, tokens: int, chunk: int, reps: int, rounds: int
) -> tuple[list[str], dict[str, Any]]:
    base = f"http://127.0.0.1:{port}/t{tokens}c{chunk}/v1"
    from bench.worker import CONTENDERS

    # Contenders interleaved over rounds (a fresh process each time), so a noisy moment of the
    # machine spreads over all of them; medians over every run of every round.
    results: dict[str, Any] = {
        name: {"totals": [], "firsts": [], "peak_bytes": 0} for name in CONTENDERS
    }
    for _ in range(rounds):
        for name in CONTENDERS:
            run = _contender(name, base, tokens, reps)
            results[name]["totals"] += run["totals"]
            results[name]["firsts"] += run["firsts"]
            results[name]["peak_bytes"] = max(results[name]["peak_bytes"], run["peak_bytes"])
    raw = {"openai": statistics.median(results["raw httpx"]["totals"]),
           "anthropic": statistics.median(results["raw httpx (anthropic)"]["totals"])}  # fmt: skip
    raw_first = {"openai": statistics.median(results["raw httpx"]["firsts"]),
                 "anthropic": statistics.median(results["raw httpx (anthropic)"]["firsts"])}  # fmt: skip
    rows = [
        f"Stream: {tokens} tokens, {chunk} per SSE event; medians of {rounds} rounds × {reps} runs.",
        "",
        "| contender | tokens/s | × raw httpx | time to first token | vs raw | peak traced memory |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        family = "anthropic" if "anthropic" in name else "openai"
        total, first = statistics.median(r["totals"]), statistics.median(r["firsts"])
        rows.append(
            f"| {name} | {tokens / total:,.0f} | {raw[family] / total:.2f} | {first * 1000:.2f} ms | "
            f"{(first - raw_first[family]) * 1000:+.2f} ms | {r['peak_bytes'] / 1e6:.1f} MB |"
        )
    return rows, results


async def _concurrent(port: int, runs: int, tokens: int) -> tuple[float, int]:
    import httpx

    from rig_nb import Agent
    from rig_nb.providers import OpenAIChatModel

    limits = httpx.Limits(max_connections=runs, max_keepalive_connections=runs)
    client = httpx.AsyncClient(limits=limits, timeout=120)
    model = OpenAIChatModel(
        "bench",
        api_key="bench",
        base_url=f"http://127.0.0.1:{port}/t{tokens}c1/v1",
        http_client=client,
    )
    agent = Agent(model)
    start = time.perf_counter()
    answers = await asyncio.gather(*(agent.stream_prompt("go").send() for _ in range(runs)))
    elapsed = time.perf_counter() - start
    await client.aclose()
    return elapsed, sum(len(a.response.split()) for a in answers)


def concurrency_rows(port: int, runs: int, tokens: int) -> list[str]:
    elapsed, words = asyncio.run(_concurrent(port, runs, tokens))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        f"| {runs} concurrent rig_nb runs × {tokens} tokens, one event loop | {elapsed:.2f} s | "
        f"{words / elapsed:,.0f} tokens/s in all | peak RSS {rss:.0f} MB |"
    ]


async def _coalescing(tokens: int) -> tuple[float, float, int]:
    from rig_nb import Agent
    from rig_nb.testing import ScriptedModel, final
    from rig_nb.widgets import AgentView

    steps = [f"tok{i} " for i in range(tokens)]
    plain = Agent(ScriptedModel([[*steps, final()]]))
    cpu = time.process_time()
    async for _ in plain.stream_prompt("go"):
        pass
    base = time.process_time() - cpu
    view = AgentView(Agent(ScriptedModel([[*steps, final()]])), approval="auto")
    cpu = time.process_time()
    await view.run("go")
    return base, time.process_time() - cpu, view.updates_sent


def coalescing_rows() -> list[str]:
    rows = [
        "| stream | loop alone (CPU) | loop + AgentView (CPU) | updates sent |",
        "|---|---:|---:|---:|",
    ]
    for tokens in (1_000, 10_000, 100_000):
        base, viewed, updates = asyncio.run(_coalescing(tokens))
        rows.append(
            f"| {tokens:,} tokens, burst | {base * 1000:.0f} ms | {viewed * 1000:.0f} ms | {updates} |"
        )
    return rows


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
    from importlib.metadata import version

    names = ["rig_nb", "httpx", "openai", "pydantic-ai-slim", "pydantic"]
    return ", ".join(f"{n} {version(n)}" for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="write the table into bench/README.md")
    args = parser.parse_args()
    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(port)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        speed, _ = speed_table(port, args.tokens, args.chunk, args.reps, args.rounds)
        concurrency = concurrency_rows(port, args.concurrent, 1000)
    finally:
        server.terminate()
    report = [
        f"Machine: {machine()}. Versions: {versions()}.",
        "",
        *speed,
        "",
        "| concurrency | wall time | throughput | memory |",
        "|---|---:|---:|---:|",
        *concurrency,
        "",
        "Widget coalescing (AgentView, no front end; at most 30 updates/s plus one final state):",
        "",
        *coalescing_rows(),
    ]
    text = "\n".join(report)
    print(text)
    if args.write:
        readme = HERE / "README.md"
        current = readme.read_text()
        start, end = "<!-- results -->", "<!-- /results -->"
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
