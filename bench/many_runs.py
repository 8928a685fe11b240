"""Many runs started at once on one event loop, on the model's own client and the README's recipe.

    python -m bench.many_runs [--runs 1000] [--tokens 100] [--before DIR] [--write]

Each figure comes from a fresh worker process: `--runs` runs of a `--tokens`-token answer
started at once with `asyncio.gather`, against the loopback server; wall time, runs that
failed, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.paired import ROOT
from bench.run import server, write_results


async def many(url: str, runs: int, recipe: bool) -> dict[str, float]:
    import httpx

    from rig_nb import Agent
    from rig_nb.providers import OpenAIChatModel

    client = (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=50, max_keepalive_connections=50))
        if recipe
        else None
    )
    model = OpenAIChatModel("bench", api_key="bench", base_url=url, http_client=client)
    agent = Agent(model)
    slots = asyncio.Semaphore(50)

    async def one() -> str:
        if not recipe:
            return (await agent.stream_prompt("go").send()).response
        async with slots:
            return (await agent.stream_prompt("go").send()).response

    start = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(runs)), return_exceptions=True)
    wall = time.perf_counter() - start
    await (client.aclose() if client is not None else model.aclose())
    failed = sum(isinstance(r, BaseException) for r in results)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "failed": failed, "rss": rss}


def worker(url: str, runs: int, recipe: bool, pythonpath: str | None) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (pythonpath, str(ROOT)) if p))
    code = f"import asyncio, json, bench.many_runs as m; print(json.dumps(asyncio.run(m.many({url!r}, {runs}, {recipe}))))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
        cwd=tempfile.gettempdir(),
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--before", help="a directory holding the base commit's rig_nb package")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = ["| code | client | wall time | runs failed | peak RSS |", "|---|---|---:|---:|---:|"]
    setups = [("after", None, False), ("after", None, True)]
    if args.before:
        setups.insert(0, ("before", args.before, False))
    with server() as port:
        url = f"http://127.0.0.1:{port}/t{args.tokens}c1/v1"
        for code, path, recipe in setups:
            found = worker(url, args.runs, recipe, path)
            client = (
                "the README's recipe (50 connections, a semaphore)" if recipe else "the model's own"
            )
            rows.append(
                f"| {code} | {client} | **{found['wall']:.2f} s** | {found['failed']:.0f} | {found['rss']:.0f} MB |"
            )
            print(rows[-1], flush=True)
    text = [
        f"{args.runs:,} runs of a {args.tokens}-token answer started at once on one event loop.",
        "",
        *rows,
    ]
    print("\n".join(text))
    if args.write:
        write_results("many_runs", text)


if __name__ == "__main__":
    main()
