"""`backend="ray"`: rows run in Ray tasks, a chunk of rows per task, under one shared limiter.

Each task runs its chunk on an event loop of its own with `concurrency / workers` rows in flight,
and returns the chunk's `RowResult`s (errors and histories pickle whole). The driver keeps at most
`workers` tasks in flight, writes each returned chunk to the cache and tells listeners, so Stop,
the cache and the table work as in the local backend.

A Stop is cooperative: the driver raises a flag (a tiny actor) that each task polls every 0.2 s;
a task that sees it cancels its rows in flight and returns the rows that finished, which are
kept. `ray.cancel` is not used: in Ray 2.x a cancel that races the task's completion can crash
the driver ("Check failed: ... Tried to complete task that was not pending", ray#54798; seen
here in CI, the pytest process aborted).

rpm/tpm limits hold across every worker: the sliding window lives in one Ray actor, which each
model call asks for a slot (one actor call per model call), and a server's `Retry-After` pauses
every worker.

How a worker gets its model: `model_factory()` when given (a picklable function); else a provider
model (`HttpModel`) is rebuilt from its class, model name, base URL, settings and provider name,
its key read from the worker's environment (an API key never pickles); else the model is pickled
as it is (a custom or scripted model).
"""

from __future__ import annotations

import asyncio
import copy
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..core import Agent, AnyMessage
from ..errors import PromptError, UserError
from ._limited import LimitedModel
from ._limits import LoopClock, RateLimiter, RateWindow
from ._options import BatchOptions
from ._result import RowResult
from ._row import RowPlan, run_row

__all__ = ["ProviderSpec", "RayDriven", "model_factory_for", "run_on_ray"]


class RayDriven(Protocol):
    """What `run_on_ray` drives: the batch (`_run.BatchRun`) that hands out and keeps rows."""

    options: BatchOptions
    agent: Agent
    plan: RowPlan
    limiter: RateLimiter
    record_grants: bool
    grants: list[float]

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called."""
        ...

    def next_row(self) -> tuple[int, Any, str, AnyMessage | BaseException] | None:
        """The next row to run, `None` at the end."""
        ...

    def row_started(self, index: int) -> None:
        """Count a row in flight."""
        ...

    def row_finished(self, result: RowResult, *, was_running: bool = True) -> None:
        """Keep a finished row."""
        ...


@dataclass(frozen=True)
class ProviderSpec:
    """Rebuilds a provider model in a worker; the key comes from the worker's environment."""

    class_name: str
    model_name: str
    base_url: str
    provider_name: str
    settings: Any

    def __call__(self) -> Any:
        from .. import providers

        cls = getattr(providers, self.class_name)
        return cls(
            self.model_name,
            base_url=self.base_url,
            settings=self.settings,
            provider_name=self.provider_name,
        )


@dataclass(frozen=True)
class _Pickled:
    model: Any

    def __call__(self) -> Any:
        return self.model


def model_factory_for(model: Any) -> Callable[[], Any]:
    """How a Ray worker makes `model` (see the module's docstring)."""
    from ..providers import HttpModel

    if isinstance(model, HttpModel):
        return ProviderSpec(
            type(model).__name__,
            model.model_name,
            model.base_url,
            model.provider_name,
            model.settings,
        )
    from ray import cloudpickle

    pickler: Any = cloudpickle
    try:
        pickler.dumps(model)
    except (TypeError, pickle.PicklingError, AttributeError) as exc:
        raise UserError(
            f"the model {type(model).__name__} cannot be sent to Ray workers ({exc}); pass "
            "model_factory=, a picklable function that makes the model in a worker"
        ) from exc
    return _Pickled(model)


class _LimiterActor:
    """The one sliding window every worker shares (a Ray actor)."""

    def __init__(self, rpm: float | None, tpm: float | None, window: float, record: bool) -> None:
        self.state = RateWindow(rpm=rpm, tpm=tpm, window=window)
        self.clock = LoopClock()
        self.record = record
        self.granted: list[float] = []

    def reserve(self, tokens: int) -> tuple[int, float]:
        now = self.clock.now()
        ticket, wait = self.state.reserve(now, tokens)
        if ticket and self.record:
            self.granted.append(now)
        return ticket, wait

    def grants(self) -> list[float]:
        return self.granted

    def settle(self, ticket: int, tokens: int | None) -> None:
        self.state.settle(ticket, tokens)

    def pause(self, seconds: float) -> None:
        self.state.pause(self.clock.now(), seconds)

    def paused_for(self) -> float:
        return max(0.0, self.state.paused_until - self.clock.now())


class _ActorLimiter(RateLimiter):
    """A worker's view of the shared limiter actor."""

    def __init__(self, actor: Any) -> None:
        super().__init__()
        self.actor = actor

    @property
    def limited(self) -> bool:
        return True

    async def acquire(self, tokens: int = 0) -> int:
        while True:
            ticket, wait = await self.actor.reserve.remote(tokens)
            if ticket:
                return ticket
            await asyncio.sleep(wait)

    async def settle(self, ticket: int, tokens: int | None) -> None:
        await self.actor.settle.remote(ticket, tokens)

    async def pause(self, seconds: float) -> None:
        await self.actor.pause.remote(seconds)

    async def wait_pause(self) -> None:
        left: float = await self.actor.paused_for.remote()
        if left > 0:  # one wait; a new pause met later is waited out by the next row
            await asyncio.sleep(left)


Chunk = list[tuple[int, str, "AnyMessage | BaseException"]]


STOP_POLL = 0.2
"""Seconds between a task's looks at the stop flag."""
STOP_GRACE = 10.0
"""Seconds the driver waits, after a Stop, for its tasks to return the rows that finished."""


class _StopFlag:
    """A Ray actor: raised once by the driver on a Stop, read by every task."""

    def __init__(self) -> None:
        self.raised = False

    def stop(self) -> None:
        self.raised = True

    def stopped(self) -> bool:
        return self.raised


def _run_chunk(
    agent: Agent,
    factory: Callable[[], Any],
    plan: RowPlan,
    actor: Any,
    rows: Chunk,
    concurrency: int,
    flag: Any = None,
) -> list[RowResult]:
    """A Ray task: run `rows` on an event loop of its own; return the results of those that end.

    With `flag` (a `_StopFlag` actor), a raised flag cancels the rows in flight: the task returns
    the rows that finished, and the others stay pending at the driver.
    """

    async def main() -> list[RowResult]:
        model = factory()
        limiter: RateLimiter = _ActorLimiter(actor) if actor is not None else RateLimiter()
        agent.model = LimitedModel(model, limiter) if actor is not None else model
        queue = iter(rows)
        results: list[RowResult] = []

        async def worker() -> None:
            for index, key, prompt in queue:
                results.append(
                    await run_row(
                        agent,
                        prompt,
                        index=index,
                        key=key,
                        plan=plan,
                        limiter=limiter,
                        clock=limiter.clock,
                    )
                )

        tasks = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(rows)))]

        async def watch() -> None:
            # A flag in another process: polled (an asyncio.Event cannot cross processes).
            while not await flag.stopped.remote():  # noqa: ASYNC110
                await asyncio.sleep(STOP_POLL)
            for each in tasks:
                each.cancel()

        watcher = asyncio.ensure_future(watch()) if flag is not None else None
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        if watcher is not None:
            watcher.cancel()
        for outcome in outcomes:  # a worker's own failure (not a row's, nor a Stop) is the task's
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError
            ):
                raise outcome
        closing = getattr(model, "aclose", None)
        if callable(closing):
            await closing()  # pyright: ignore[reportGeneralTypeIssues]
        return results

    return asyncio.run(main())


_REMOTE: dict[str, Any] = {}


def _remote(ray: Any) -> tuple[Any, Any, Any]:
    if not _REMOTE:
        _REMOTE["task"] = ray.remote(_run_chunk)
        _REMOTE["actor"] = ray.remote(num_cpus=0)(_LimiterActor)
        _REMOTE["flag"] = ray.remote(num_cpus=0)(_StopFlag)
    return _REMOTE["task"], _REMOTE["actor"], _REMOTE["flag"]


def _chunk_failed(chunk: Chunk, error: BaseException) -> list[RowResult]:
    results: list[RowResult] = []
    for index, key, prompt in chunk:
        history = [] if isinstance(prompt, BaseException) else [prompt]
        failure = PromptError(f"the Ray task running this row failed: {error}", history)
        results.append(
            RowResult(
                row=index, index=index, key=key, status="failed", prompt="", error=failure,
                history=history, attempts=1,
            )
        )  # fmt: skip
    return results


def _next_chunk(run: RayDriven, size: int) -> Chunk:
    chunk: Chunk = []
    while len(chunk) < size and (row := run.next_row()) is not None:
        index, _label, key, prompt = row
        run.row_started(index)
        chunk.append((index, key, prompt))
    return chunk


def _chunk_results(future: asyncio.Future[Any], chunk: Chunk) -> list[RowResult]:
    if future.cancelled():
        return []
    try:
        return future.result()
    except Exception as exc:  # a worker that died, a task that raised
        return _chunk_failed(chunk, exc)


async def _end_in_flight(run: RayDriven, flag: Any, pending: list[asyncio.Future[Any]]) -> None:
    """Raise the stop flag; keep the rows the tasks in flight finished (within `STOP_GRACE`)."""
    flag.stop.remote()
    done, left = await asyncio.wait(pending, timeout=STOP_GRACE)
    for future in done:
        if not future.cancelled() and future.exception() is None:
            for result in future.result():  # rows that finished before the Stop
                run.row_finished(result)
    for future in left:  # past the grace: given up (their rows stay pending)
        future.cancel()


async def run_on_ray(run: RayDriven) -> None:
    """Run the rows of `run` on Ray; finished chunks are written as they come back."""
    try:
        import ray as ray_module
    except ImportError as exc:
        raise UserError("backend='ray' needs Ray: pip install 'rig_nb[ray]'") from exc
    ray: Any = ray_module  # its signatures are partly untyped
    if not ray.is_initialized():
        ray.init(include_dashboard=False)
    options = run.options
    workers = options.ray_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    per_task = max(1, math.ceil(options.concurrency / workers))
    factory = options.model_factory or model_factory_for(run.agent.model)
    task, actor_class, flag_class = _remote(ray)
    flag = flag_class.remote()
    actor = None
    if run.limiter.limited:
        actor = actor_class.remote(options.rpm, options.tpm, options.rate_window, run.record_grants)
    shipped = copy.copy(run.agent)
    shipped.model = None  # pyright: ignore[reportAttributeAccessIssue]  # made in the worker
    agent_ref = ray.put(shipped)
    pending: dict[asyncio.Future[Any], tuple[Any, Chunk]] = {}

    def submit() -> None:
        while len(pending) < workers and not run.stopping:
            chunk = _next_chunk(run, options.chunk_size)
            if not chunk:
                return
            ref = task.remote(agent_ref, factory, run.plan, actor, chunk, per_task, flag)
            pending[asyncio.wrap_future(ref.future())] = (ref, chunk)

    try:
        while True:
            submit()
            if not pending:
                return
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                _ref, chunk = pending.pop(future)
                for result in _chunk_results(future, chunk):
                    run.row_finished(result)
    finally:
        if pending:  # a Stop (this task was cancelled) or a failure: the tasks end their rows
            await _end_in_flight(run, flag, list(pending))
        ray.kill(flag)
        if actor is not None:
            if run.record_grants:
                run.grants = list(await actor.grants.remote())
            ray.kill(actor)
