"""A batch run in its own process, to be killed or interrupted.

`python -m tests.batch.slow_batch CACHE ROWS [--run-sync]`; with `--run-sync` the batch runs by
`run_sync()` from a thread whose event loop is running (as in a notebook cell).
"""

import asyncio
import signal
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


async def main_sync(cache: str, rows: int) -> None:
    # As in a kernel's cell: SIGINT raises KeyboardInterrupt here (asyncio.run's own handler
    # would only cancel this task, which a blocking call never sees)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    agent = Agent(EchoModel(delay=0.02), preamble="label it")
    run = agent.map([f"row {i}" for i in range(rows)], concurrency=4, cache=cache, on_event=report)
    try:
        run.run_sync()  # blocks this loop's thread, as a notebook cell would
    except KeyboardInterrupt:
        print("interrupted", run.progress.done, flush=True)
        return
    print("finished", flush=True)


if __name__ == "__main__":
    runner = main_sync if "--run-sync" in sys.argv else main
    asyncio.run(runner(sys.argv[1], int(sys.argv[2])))
