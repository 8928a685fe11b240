"""`map_agent(agent, prompts, ...)`, what `Agent.map` runs: checks the options, makes a run."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from ..core import Agent, Usage
from ..errors import UserError
from ._approval import ApprovalPolicy, Decide, approval_hook
from ._inputs import inputs_of
from ._limits import Clock
from ._options import BatchOptions
from ._result import BatchEvent
from ._row import RetryOn
from ._run import BatchRun
from ._table import resolve_output

__all__ = ["map_agent"]


def map_agent(
    agent: Agent,
    prompts: Any,
    rows: Any = None,
    *,
    concurrency: int = 16,
    rpm: float | None = None,
    tpm: float | None = None,
    rate_window: float = 60.0,
    retries: int = 2,
    retry_on: RetryOn = None,
    output_type: Any = None,
    max_turns: int | None = None,
    cache: str | os.PathLike[str] | None = None,
    cache_salt: str | None = None,
    output: str = "auto",
    backend: str = "local",
    approval: ApprovalPolicy | Mapping[str, ApprovalPolicy] | None = None,
    on_approval: Decide | None = None,
    on_event: Callable[[BatchEvent], None] | None = None,
    price: Callable[[Usage], float | None] | None = None,
    model_factory: Callable[[], Any] | None = None,
    ray_workers: int | None = None,
    chunk_size: int = 32,
    backoff: float = 1.0,
    clock: Clock | None = None,
) -> BatchRun:
    """Run `agent` over many prompts; `await` the returned `BatchRun` for the table.

    Args:
        agent: the agent; its tools, hook, preamble and parameters apply to every row.
        prompts: a list (or iterable) of prompts (str or Message), a pandas or polars Series,
            or, with `rows=`, a `str.format` template (`"Classify: {title}"`) or a function of a
            row returning the prompt.
        rows: a pandas or polars DataFrame, or an iterable of dicts, for a template.
        concurrency: rows in flight at once.
        rpm: at most this many model calls start in any 60 s (every call of a row counts).
        tpm: at most this many tokens in any 60 s: estimated before a call, then the real usage.
        rate_window: the window of `rpm` and `tpm`, in seconds (60: per minute).
        retries: further attempts of a row that failed on a retryable error (`is_retryable`:
            HTTP 408/409/429/5xx, connection failures, timeouts), after a backoff that honours
            the server's `Retry-After` (which also pauses every other row).
        retry_on: a tuple of error classes to retry as well (`(OutputValidationError,)`), or a
            function `error -> bool` that replaces the rule.
        output_type: validate each answer into this type (overrides the agent's).
        max_turns: the turn budget of each row (default: the agent's `default_max_turns`, or 0).
        cache: a directory; a re-run with the same agent and prompts redoes only the rows that
            failed or never ran.
        cache_salt: any text, part of the cache key (bump it to invalidate a cache).
        output: `"auto"` (pandas when installed, else a list), `"pandas"`, `"polars"`, `"list"`.
        backend: `"local"` (asyncio, on the running loop) or `"ray"` (Ray tasks; `pip install
            rig_nb[ray]`).
        approval: `"auto"`, `"deny"` or `"ask"`, or a dict per tool name (`"*"` for the rest).
            Without it, tools run under the agent's own hook.
        on_approval: for `"ask"`: `async (tool_name, args) -> bool`, asked once per tool;
            the answer holds for every row.
        on_event: a listener of `BatchEvent`s (or `run.subscribe(listener)`).
        price: `usage -> cost` for the `cost` column (default: the model's `price(usage)`, when
            it has one; else `None`).
        model_factory: Ray only: a picklable function that makes the model in a worker (default:
            the model itself when it pickles; a provider model is rebuilt from its class, name,
            base URL and settings, its key read from the worker's environment).
        ray_workers: Ray only: concurrent Ray tasks (default: the cluster's CPUs).
        chunk_size: Ray only: rows per Ray task.
        backoff: the first retry's wait in seconds (doubling, with jitter).
        clock: the clock limits and backoffs read and wait on (tests pass a fake one).
    """
    options = BatchOptions(
        concurrency=concurrency,
        rpm=rpm,
        tpm=tpm,
        rate_window=rate_window,
        retries=retries,
        retry_on=retry_on,
        backoff=backoff,
        output_type=output_type,
        max_turns=max_turns,
        cache=cache,
        cache_salt=cache_salt,
        backend=backend,
        output=resolve_output(output),
        price=price,
        hook=approval_hook(approval, agent.hook, on_approval),
        on_event=on_event,
        clock=clock,
        model_factory=model_factory,
        ray_workers=ray_workers,
        chunk_size=chunk_size,
    )
    options.check()
    if options.backend == "ray" and on_approval is not None:
        raise UserError(
            "approval='ask' cannot reach Ray workers; decide per tool with 'auto' or 'deny'"
        )
    return BatchRun(agent, inputs_of(prompts, rows), options)
