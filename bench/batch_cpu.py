"""rig_nb's own CPU per row, without the network: the batch benchmark's rows over a mock transport.

    python -m bench.batch_cpu [--rows 3000] [--rounds 5] [--before DIR] [--write]

The rows of `bench.batch` (the same prompt, the same `t20c20` body of `bench.server`), served by
`httpx.MockTransport` in the process: no sockets, no httpcore pool, so what is left is the CPU of
the client's own code per row, and rig_nb's overhead is its difference with bare httpx. On the
loopback server that overhead is smaller than the run's noise (bench/README.md, batch); here two
runs of the same code agree within a few percent. Each contender runs in a fresh process,
interleaved (A B C, C B A...); the figure is the lowest of its rounds (the least disturbed by the
other work of a shared machine), with the median beside it. `--before DIR` adds the rig_nb found
in DIR (holding only a base commit's `rig_nb/`, as `BENCH_BEFORE`), `--write` puts the table into bench/README.md between
`<!-- batch-cpu -->` markers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENDERS = ("bare httpx", "rig_nb stream_prompt + gather", "rig_nb agent.map")
URL = "http://127.0.0.1:9/v1"


def _client() -> Any:
    import httpx

    from bench.server import openai_events

    body = b"".join(openai_events(20, 20))

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), timeout=60)


async def _bare(prompts: list[str]) -> list[str]:
    from bench.batch_worker import chat_body, read_answer

    client, gate = _client(), asyncio.Semaphore(64)

    async def one(prompt: str) -> str:
        async with gate:
            body = chat_body(prompt)
            async with client.stream("POST", f"{URL}/chat/completions", json=body) as r:
                return await read_answer(r.aiter_lines())

    return await asyncio.gather(*(one(p) for p in prompts))


def _agent() -> Any:
    from rig_nb import Agent
    from rig_nb.providers import HttpSettings, OpenAIChatModel

    settings = HttpSettings(read_timeout=10, max_retries=0)
    model = OpenAIChatModel(
        "bench", api_key="bench", base_url=URL, http_client=_client(), settings=settings
    )
    return Agent(model)


async def _gather(prompts: list[str]) -> list[str]:
    agent, gate = _agent(), asyncio.Semaphore(64)

    async def one(prompt: str) -> str:
        async with gate:
            return (await agent.stream_prompt(prompt)).response

    return await asyncio.gather(*(one(p) for p in prompts))


async def _map(prompts: list[str]) -> list[str]:
    table = await _agent().map(prompts, concurrency=64, output="list", retries=0)
    return [row.response for row in table]


def worker(name: str, rows: int) -> None:
    """Run one contender (64 rows to warm up, then `rows`); print its CPU µs per row."""
    run = {CONTENDERS[0]: _bare, CONTENDERS[1]: _gather, CONTENDERS[2]: _map}[name]

    async def main() -> float:
        await run([f"Classify ticket {i}: my invoice is wrong" for i in range(64)])
        prompts = [f"Classify ticket {i}: my invoice is wrong" for i in range(rows)]
        start = time.process_time()
        answers = await run(prompts)
        cpu = time.process_time() - start
        assert all(answers), "a row got no answer"
        return cpu / rows * 1e6

    print(json.dumps({"us": asyncio.run(main())}))


def measure(rows: int, rounds: int, before: str | None) -> list[str]:
    code = [("", ROOT)] + ([(" (before)", before)] if before else [])
    names = [(n + tag, n, path) for n in CONTENDERS for tag, path in code if n != CONTENDERS[0]]
    names = [(CONTENDERS[0], CONTENDERS[0], ROOT), *names]
    runs: dict[str, list[float]] = {label: [] for label, _, _ in names}
    for r in range(rounds):
        for label, name, path in names if r % 2 == 0 else reversed(names):
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([path, ROOT])}
            code = f"from bench.batch_cpu import worker; worker({name!r}, {rows})"
            out = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True, text=True, check=True, env=env, cwd="/",
            )  # fmt: skip
            runs[label].append(json.loads(out.stdout.strip().splitlines()[-1])["us"])
            print(label, f"{runs[label][-1]:.0f} µs/row", file=sys.stderr)
    floor = min(runs[CONTENDERS[0]])
    lines = [
        f"{rows:,} rows over `httpx.MockTransport` (no network), concurrency 64, {rounds} rounds "
        "each, interleaved: the CPU of one row, lowest round (median of the rounds).",
        "",
        "| contender | CPU µs / row | over bare httpx |",
        "|---|---:|---:|",
    ]
    for label, values in runs.items():
        low = min(values)
        over = "" if label == CONTENDERS[0] else f"{low - floor:+.0f} µs"
        lines.append(f"| {label} | {low:.0f} ({statistics.median(values):.0f}) | {over} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", help="a directory holding the base commit's rig_nb package")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    text = "\n".join(measure(args.rows, args.rounds, args.before))
    print(text)
    if args.write:
        readme = os.path.join(ROOT, "bench", "README.md")
        with open(readme) as f:
            current = f.read()
        start, end = "<!-- batch-cpu -->", "<!-- /batch-cpu -->"
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        with open(readme, "w") as f:
            f.write(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
