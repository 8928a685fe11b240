"""A long-lived contender process, driven in lockstep by `bench.paired` over stdin/stdout.

    python -m bench.worker CONTENDER

Each input line is a JSON command, each output line its JSON answer:

* `{"url": URL}`: one timed run -> `{"wall", "cpu", "first", "deltas", "chars"}` (seconds; CPU is
  this process's, so in the paced regime, where the server sets the pace, it is the cost);
* `{"url": URL, "memory": true}`: one run -> `{"rss_before", "rss_peak"}` (bytes, this process).

The contender for a URL is set up on first use (client, model, agent) and kept.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

from bench.contenders import CONTENDERS, Run


def rss() -> int:
    """This process's resident memory now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


async def serve(name: str) -> None:
    setup = CONTENDERS[name.removesuffix(" (before)")]
    runs: dict[str, Run] = {}
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command: dict[str, Any] = json.loads(line)
        url = command["url"]
        if url not in runs:
            runs[url] = await setup(url)
        run = runs[url]
        if command.get("memory"):
            before = rss()
            _first, _deltas, answer = await run()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            out: dict[str, Any] = {"rss_before": before, "rss_peak": peak, "chars": len(answer)}
        else:
            cpu, wall = time.process_time(), time.perf_counter()
            first, deltas, answer = await run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if not deltas:
                raise RuntimeError(f"{name} saw no text")
            out = {"wall": wall, "cpu": cpu, "first": first, "deltas": deltas, "chars": len(answer)}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
