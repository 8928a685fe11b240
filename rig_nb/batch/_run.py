"""`BatchRun`: an agent over many rows, with limits, retries, a cache, events and a Stop.

The local backend runs `concurrency` workers on the running event loop; each takes the next row,
runs it (`_row.run_row`) and writes it to the store the moment it ends. Nothing per row is held:
the table is read back from the store at the end, so memory stays flat however many rows run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import logging
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from pydantic import TypeAdapter

from ..core import Agent, AnyMessage
from ..errors import UserError
from ._codec import decode_row, encode_row
from ._inputs import Inputs
from ._limited import LimitedModel
from ._limits import Clock, LoopClock, RateLimiter
from ._options import BatchOptions
from ._result import BatchEvent, BatchProgress, EventKind, RowResult
from ._row import RowPlan, prompt_text, run_row
from ._store import Store, fingerprint, row_key
from ._table import build_table

__all__ = ["BatchRun"]

logger = logging.getLogger("rig_nb.batch")

Listener = Callable[[BatchEvent], None]
Row = tuple[int, Any, str, "AnyMessage | BaseException"]


class BatchRun:
    """A batch, ready to run: `await run` (or `run.run_sync()`) returns its table.

    `subscribe(listener)` to follow it (`BatchEvent`s), `progress` for a snapshot, `stop()` to end
    it cleanly: rows in flight are cancelled, finished rows are kept (and cached).
    """

    def __init__(self, agent: Agent, inputs: Inputs, options: BatchOptions) -> None:
        self.options = options
        self.agent = copy.copy(agent)
        if options.output_type is not None:
            self.agent.output_type = options.output_type
            self.agent.output_schema = TypeAdapter(options.output_type).json_schema()
        self.max_turns = (
            options.max_turns if options.max_turns is not None else agent.default_max_turns or 0
        )
        self.fingerprint, self.described = fingerprint(
            self.agent, max_turns=self.max_turns, salt=options.cache_salt
        )
        self.clock: Clock = options.clock or LoopClock()
        self.limiter = RateLimiter(
            options.rpm, options.tpm, window=options.rate_window, clock=self.clock
        )
        self.record_grants = False
        """Keep when each model call was let through (`grants`), for tests and benchmarks."""
        self.grants: list[float] = []
        if self.limiter.limited and options.backend == "local":
            self.agent.model = LimitedModel(self.agent.model, self.limiter)
        self.plan = RowPlan(
            max_turns=self.max_turns,
            retries=options.retries,
            retry_on=options.retry_on,
            backoff=options.backoff,
            price=options.price,
            hook=options.hook,
            output_type=self.agent.output_type,
        )
        self._adapter = (
            TypeAdapter(self.agent.output_type) if self.agent.output_type is not None else None
        )
        self.inputs = inputs
        self.listeners: list[Listener] = [options.on_event] if options.on_event else []
        self._keys: list[str] = []
        self._labels: list[Any] = []
        self._unfinished: dict[int, str] = {}
        """Prompt texts of rows that started (or were taken) but have no line yet."""
        self._done_keys: set[str] = set()
        self._rows: Iterator[Row] = self._plan()
        self._counts = {"done": 0, "failed": 0, "running": 0, "cached": 0, "in": 0, "out": 0}
        self._cost: float | None = None
        self._started_at = 0.0
        self._state = "ready"
        self._stopping = False
        self.stop_reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[asyncio.Task[None]] = []
        self.store: Store | None = None

    # -- following it ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on each `BatchEvent`; returns a function that unsubscribes."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None

    @property
    def progress(self) -> BatchProgress:
        """Rows done, failed and running, tokens, cost, elapsed time (and so pace and ETA)."""
        c = self._counts
        return BatchProgress(
            total=self.inputs.total,
            done=c["done"],
            failed=c["failed"],
            running=c["running"],
            cached=c["cached"],
            input_tokens=c["in"],
            output_tokens=c["out"],
            cost=self._cost,
            elapsed=time.monotonic() - self._started_at if self._started_at else 0.0,
            stopped=self._stopping,
            finished=self._state == "finished",
        )

    def _emit(self, kind: EventKind, **fields: Any) -> None:
        if not self.listeners:
            return
        event = BatchEvent(kind=kind, progress=self.progress, **fields)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken progress bar must not sink the batch
                logger.exception("a batch listener raised; it is unsubscribed")
                self.listeners.remove(listener)

    # -- stopping -----------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called."""
        return self._stopping

    def stop(self, reason: str = "stopped") -> None:
        """End the batch: no row starts, rows in flight are cancelled, finished rows are kept.

        Safe from any thread (a widget's handler, a signal handler of `run_sync`).
        """
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(self._stop, reason)
                return
        self._stop(reason)

    def _stop(self, reason: str) -> None:
        if self._stopping:
            return
        self._stopping, self.stop_reason = True, reason
        for worker in self._workers:
            worker.cancel(f"rig_nb batch: {reason}")

    # -- running --------------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Any]:
        return self.run().__await__()

    def run_sync(self) -> Any:
        """Run to the end from synchronous code (a script); in a notebook, `await` instead.

        With an event loop already running in this thread (a notebook), the batch runs on a new
        loop in a worker thread and this call blocks until it ends. A `KeyboardInterrupt` while it
        waits (Ctrl-C, the kernel's interrupt button) stops the batch as `stop()` does, keeping
        (and caching) the rows that finished, then is raised.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.run())
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="rig_nb-batch") as pool:
            future = pool.submit(asyncio.run, self.run())
            try:
                return future.result()
            except BaseException:
                if not future.done():  # interrupted while waiting: end the batch, then raise
                    self.stop("interrupted")
                raise

    async def run(self) -> Any:
        """Run every row; returns the table (`output=`), in input order."""
        if self._state != "ready":
            raise UserError("a batch runs once; call agent.map(...) again to run it again")
        self._state = "running"
        self._loop = asyncio.get_running_loop()
        options = self.options
        if options.cache is not None:
            store = Store.cache(options.cache, self.fingerprint, self.described)
        else:
            store = Store.spool()
        self.store = store
        self._started_at = time.monotonic()
        try:
            self._done_keys = store.done_keys() if options.cache is not None else set()
            store.open()
            self.limiter.record = self.record_grants
            self._emit("started")
            if options.backend == "ray":
                from ._ray import run_on_ray

                # one task, so a Stop cancels it: its Ray tasks in flight are cancelled too
                await self._until_done([asyncio.create_task(run_on_ray(self))])
            else:
                await self._run_local()
            self._counts["running"] = 0  # rows a Stop cancelled are pending, not running
            for index, _label, _key, prompt in self._rows:  # what a Stop left: pending rows
                if _key not in self._done_keys:
                    self._unfinished[index] = _text(prompt)
            store.close()
            if options.backend == "local":
                self.grants = list(self.limiter.granted)
            results = self._read_back(store)
        finally:
            store.close()
            store.remove()
            self._state = "finished"
        self._emit("finished")
        return build_table(results, options.output)

    def _plan(self) -> Generator[Row, None, None]:
        repeats: dict[str, int] = {}
        for index, (label, prompt) in enumerate(self.inputs.items):
            if isinstance(prompt, BaseException):
                key = f"invalid-{self.fingerprint}-{index}"
            else:
                key = row_key(self.fingerprint, prompt)
                # The n-th repeat of a prompt is a row of its own (its own answer, its own line in
                # the cache), or a row a Stop left would show its twin's result.
                seen = repeats[key] = repeats.get(key, 0) + 1
                if seen > 1:
                    key = f"{key}~{seen - 1}"
            self._keys.append(key)
            self._labels.append(label)
            yield index, label, key, prompt

    def next_row(self) -> Row | None:
        """The next row to run (cached rows are counted and passed over); `None` at the end."""
        for index, label, key, prompt in self._rows:
            if key in self._done_keys:
                self._counts["cached"] += 1
                self._counts["done"] += 1
                self._emit("row_cached", index=index)
                continue
            self._unfinished[index] = _text(prompt)
            if self._stopping:
                return None
            return index, label, key, prompt
        return None

    async def _run_local(self) -> None:
        total = self.inputs.total
        count = self.options.concurrency if total is None else min(self.options.concurrency, total)
        await self._until_done([asyncio.create_task(self._worker()) for _ in range(max(count, 1))])

    async def _until_done(self, workers: list[asyncio.Task[None]]) -> None:
        """Wait for the workers; a Stop cancels them, a failure of their own is raised."""
        self._workers = workers
        if self._stopping:
            for worker in workers:
                worker.cancel()
        try:
            await asyncio.wait(self._workers)
        finally:
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        for worker in self._workers:  # a worker's own failure (a full disk...) is not a row's
            if not worker.cancelled() and worker.exception() is not None:
                raise worker.exception()  # pyright: ignore[reportGeneralTypeIssues]

    async def _worker(self) -> None:
        while not self._stopping and (row := self.next_row()) is not None:
            index, _label, key, prompt = row
            self.row_started(index)
            result = await run_row(
                self.agent,
                prompt,
                index=index,
                key=key,
                plan=self.plan,
                limiter=self.limiter,
                clock=self.clock,
                on_retry=self.row_retry,
            )
            self.row_finished(result)

    def row_started(self, index: int) -> None:
        """Count a row in flight."""
        self._counts["running"] += 1
        self._emit("row_started", index=index)

    def row_retry(self, index: int, error: BaseException, wait: float) -> None:
        """Tell listeners a row will be tried again."""
        self._emit("row_retry", index=index, error=error, wait=wait)

    def row_finished(self, result: RowResult, *, was_running: bool = True) -> None:
        """Write a finished row to the store, count it, tell listeners."""
        assert self.store is not None
        output = None
        if self._adapter is not None and result.output is not None:
            output = self._adapter.dump_python(result.output, mode="json")
        self.store.append(encode_row(result, output))
        self._unfinished.pop(result.index, None)
        c = self._counts
        if was_running:
            c["running"] -= 1
        c["done" if result.ok else "failed"] += 1
        c["in"] += result.usage.input_tokens
        c["out"] += result.usage.output_tokens
        if result.cost is not None:
            self._cost = (self._cost or 0.0) + result.cost
        result.row = self._labels[result.index]
        self._emit("row_done" if result.ok else "row_failed", index=result.index, row=result)

    def _read_back(self, store: Store) -> list[RowResult]:
        records = store.latest(set(self._keys))
        results: list[RowResult] = []
        for index, (label, key) in enumerate(zip(self._labels, self._keys, strict=True)):
            raw = records.get(key)
            if raw is None:
                text = self._unfinished.get(index, "")
                results.append(
                    RowResult(row=label, index=index, key=key, status="pending", prompt=text)
                )
                continue
            record = json.loads(raw)
            output = None
            if self._adapter is not None and record.get("output") is not None:
                output = self._adapter.validate_python(record["output"])
            result = decode_row(record, output)
            result.row, result.index = label, index
            result.cached = key in self._done_keys
            results.append(result)
        return results


def _text(prompt: AnyMessage | BaseException) -> str:
    return "" if isinstance(prompt, BaseException) else prompt_text(prompt)
