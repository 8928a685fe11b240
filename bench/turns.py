"""The cost of a turn with a long history: tracing when nothing records, and the history itself.

    python -m bench.turns [--pairs 15] [--messages 10000] [--before DIR] [--write]

Each worker runs whole turns of an OpenAI-chat agent against the loopback server (a one-token
answer), its history built once and reused, as a notebook session's is. Two figures:

* **tracing off**: the turn at 10k messages with `opentelemetry-api` importable and no tracer
  set, against the same with the API made unimportable; paired, the median of per-pair CPU
  ratios (1.00: tracing costs nothing);
* **history**: CPU per history message of a turn, `(turn at 10k - turn at 0) / 10k`, from pairs
  of turns run back to back in one worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

from bench.paired import Worker
from bench.run import server, write_results


def _history(size: int) -> list[Any]:
    from rig_nb import Message

    out: list[Any] = []
    for i in range(size // 2):
        out.append(Message.user(f"Question {i}: what is the weather like in city number {i}?"))
        out.append(Message.assistant(f"In city {i} it is sunny and 21 °C, with a light wind."))
    return out


async def serve(url: str) -> None:
    from rig_nb import Agent
    from rig_nb.providers import OpenAIChatModel

    agent = Agent(OpenAIChatModel("bench", api_key="bench", base_url=url))
    histories: dict[int, list[Any]] = {}
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        size = json.loads(line)["url"]  # the Worker protocol's field carries the history size
        history = histories.setdefault(size, _history(size))
        cpu, wall = time.process_time(), time.perf_counter()
        answer = await agent.stream_prompt("go").with_history(history)
        out = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
        out["chars"] = len(answer.response)
        print(json.dumps(out), flush=True)


class TurnWorker(Worker):
    """A worker running `bench.turns serve URL`, optionally with OpenTelemetry unimportable."""

    def __init__(self, name: str, url: str, pythonpath: str | None, otel: bool) -> None:
        self.url, self.otel = url, otel
        super().__init__(name, pythonpath)

    def _argv(self) -> list[str]:
        block = "" if self.otel else "import sys; sys.modules['opentelemetry'] = None; "
        code = f"{block}import asyncio, bench.turns as t; asyncio.run(t.serve({self.url!r}))"
        return [sys.executable, "-c", code]


def pairs(a: Worker, b: Worker, size_a: int, size_b: int, count: int) -> list[tuple[Any, Any]]:
    for _ in range(3):
        a.run(size_a)
        b.run(size_b)
    out = []
    for i in range(count):
        if i % 2 == 0:
            x, y = a.run(size_a), b.run(size_b)
        else:
            y, x = b.run(size_b), a.run(size_a)
        out.append((x, y))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--before", help="a directory holding the base commit's rig_nb package")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    n = args.messages
    codes = {"after": None, **({"before": args.before} if args.before else {})}
    rows = [
        "| code | tracing: turn CPU, API absent / API present, no tracer (1.00 = free) | "
        f"turn CPU at {n:,} messages | history: CPU per message |",
        "|---|---:|---:|---:|",
    ]
    with server() as port:
        url = f"http://127.0.0.1:{port}/t1c1/v1"
        for code, path in codes.items():
            on = TurnWorker(f"{code} otel", url, path, otel=True)
            off = TurnWorker(f"{code} no otel", url, path, otel=False)
            try:
                traced = pairs(off, on, n, n, args.pairs)
                ratio = statistics.median(x["cpu"] / y["cpu"] for x, y in traced)
                low, _, high = statistics.quantiles([x["cpu"] / y["cpu"] for x, y in traced], n=4)
                turn = statistics.median(y["cpu"] for _, y in traced)
                grown = pairs(on, on, 0, n, args.pairs)
                per = statistics.median((y["cpu"] - x["cpu"]) / n for x, y in grown)
            finally:
                on.close()
                off.close()
            rows.append(
                f"| {code} | **{ratio:.2f}** ({low:.2f}–{high:.2f}) | {turn * 1000:.1f} ms | "
                f"**{per * 1e6:.2f} µs** |"
            )
            print(rows[-1], flush=True)
    text = [
        f"A turn of an OpenAI-chat agent against the loopback server (a one-token answer), its "
        f"history of {n:,} messages built once and reused; {args.pairs} pairs each, A B / B A, "
        "medians of per-pair figures (CPU time of the worker).",
        "",
        *rows,
    ]
    print("\n".join(text))
    if args.write:
        write_results("turns", text)


if __name__ == "__main__":
    main()
