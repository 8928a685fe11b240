"""A batch run in its own process, to be killed: `python -m tests.batch.slow_batch CACHE ROWS`."""

import asyncio
import sys

from rig_nb import Agent
from rig_nb.batch import BatchEvent

from .helpers import EchoModel


def report(event: BatchEvent) -> None:
    if event.kind == "started":
        print("started", flush=True)
    elif event.kind == "row_done":
        print("done", event.progress.done, flush=True)


async def main(cache: str, rows: int) -> None:
    agent = Agent(EchoModel(delay=0.02), preamble="label it")
    await agent.map([f"row {i}" for i in range(rows)], concurrency=4, cache=cache, on_event=report)
    print("finished", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
