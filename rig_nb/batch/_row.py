"""One row: run the agent on its prompt, retry what a retry can fix, return a `RowResult`.

Shared by the local backend and the Ray workers. A row never raises (but a cancellation): any
failure is its `RowResult.error`, typed and carrying the conversation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core import Agent, AnyMessage, FinalResponse, Usage
from ..errors import (
    PromptError,
    ProviderConnectionError,
    ProviderHTTPError,
    ProviderTimeoutError,
    RigError,
)
from ._limits import Clock, RateLimiter
from ._result import RowResult

__all__ = ["RETRY_STATUSES", "RowPlan", "is_retryable", "prompt_text", "run_row"]

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""HTTP statuses a row is retried on (with any other 5xx)."""

RetryOn = Callable[[BaseException], bool] | tuple[type[BaseException], ...] | None


def is_retryable(error: BaseException) -> bool:
    """The default rule: HTTP 408/409/429/5xx, a connection that failed, a timeout.

    Never a `UserError`, an `OutputValidationError`, a hook's or a model's own error: running
    them again gives the same failure (pass `retry_on=` to retry them anyway).
    """
    if isinstance(error, ProviderHTTPError):
        return error.status_code in RETRY_STATUSES or 500 <= error.status_code < 600
    return isinstance(error, ProviderConnectionError | ProviderTimeoutError)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def prompt_text(prompt: AnyMessage) -> str:
    """The prompt's text parts (its JSON when it has none)."""
    content: Any = getattr(prompt, "content", None)
    if isinstance(content, str):
        return content
    parts: list[Any] = list(content or [])
    texts: list[str] = [p.text for p in parts if isinstance(getattr(p, "text", None), str)]
    return "\n".join(texts) if texts else prompt.model_dump_json()


@dataclass(kw_only=True)
class RowPlan:
    """How every row of a batch runs (picklable: it goes to Ray workers too)."""

    max_turns: int = 0
    retries: int = 2
    retry_on: RetryOn = None
    backoff: float = 1.0
    """The first retry's wait in seconds (then doubled, with jitter), unless the server says."""
    max_backoff: float = 60.0
    max_retry_after: float = 600.0
    """The longest server `Retry-After` waited for; a longer one fails the row."""
    price: Callable[[Usage], float | None] | None = None
    hook: Any = None
    """The hook every row runs with (the agent's, or the batch's approval hook around it)."""
    output_type: Any = None
    extra: dict[str, Any] = field(default_factory=dict[str, Any])

    def should_retry(self, error: BaseException) -> bool:
        """Whether a failed attempt is tried again (the budget aside)."""
        rule = self.retry_on
        if rule is None:
            return is_retryable(error)
        if isinstance(rule, tuple):
            return is_retryable(error) or isinstance(error, rule)
        return bool(rule(error))

    def wait(self, attempt: int, error: BaseException) -> float | None:
        """Seconds before attempt `attempt + 1`; `None` when the server asks for too long."""
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > 0:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        base = self.backoff * 2 ** (attempt - 1)
        return min(self.max_backoff, base * (0.5 + random.random() / 2))


def _price(plan: RowPlan, agent: Agent, usage: Usage) -> float | None:
    pricer: Any = plan.price or getattr(agent.model, "price", None)
    if not callable(pricer):
        return None
    try:
        value: Any = pricer(usage)
    except Exception:  # a pricing table that does not know the model: no cost, not a failure
        return None
    return None if value is None else float(value)


def _answer_cost(plan: RowPlan, agent: Agent, final: FinalResponse) -> float | None:
    """`price=`, else the model's `price(usage)`, else the run's own cost (the agent's prices)."""
    if plan.price is not None or callable(getattr(agent.model, "price", None)):
        return _price(plan, agent, final.usage)
    try:
        return final.cost  # priced now, per call, from the agent's `prices` (or genai-prices)
    except Exception:  # no price table to be had: no cost, not a failure
        return None


async def run_row(
    agent: Agent,
    prompt: AnyMessage | BaseException,
    *,
    index: int,
    key: str,
    plan: RowPlan,
    limiter: RateLimiter,
    clock: Clock,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> RowResult:
    """Run one row to an answer or to its last failed attempt."""
    start = clock.now()
    if isinstance(prompt, BaseException):  # the template could not be filled
        return RowResult(row=index, index=index, key=key, status="failed", prompt="", error=prompt)
    text = prompt_text(prompt)
    retried: list[str] = []
    attempt = 0
    while True:
        attempt += 1
        await limiter.wait_pause()
        request = agent.stream_prompt(prompt).with_history([]).multi_turn(plan.max_turns)
        if plan.hook is not None:
            request = request.with_hook(plan.hook)
        spent = Usage()
        try:
            async with request.stream() as run:
                try:
                    final: FinalResponse = await run.final()
                finally:
                    spent = run.usage  # what the attempt cost, also when it failed
        except RigError as exc:
            error: BaseException = exc
        except Exception as exc:  # not ours: still this row's failure, never the batch's
            error = PromptError(f"the row failed: {_describe(exc)}", [prompt])
            error.__cause__ = exc
        else:
            return RowResult(
                row=index,
                index=index,
                key=key,
                status="ok",
                prompt=text,
                response=final.response,
                output=final.output,
                usage=final.usage,
                cost=_answer_cost(plan, agent, final),
                retried=retried,
                history=final.history,
                attempts=attempt,
                elapsed=clock.now() - start,
            )
        wait = plan.wait(attempt, error) if attempt <= plan.retries else None
        if wait is None or not plan.should_retry(error):
            history = getattr(error, "chat_history", None)
            return RowResult(
                row=index,
                index=index,
                key=key,
                status="failed",
                prompt=text,
                error=error,
                usage=spent,
                cost=_price(plan, agent, spent) if spent.total_tokens else None,
                retried=retried,
                history=history if history is not None else [prompt],
                attempts=attempt,
                elapsed=clock.now() - start,
            )
        retried.append(_describe(error.__dict__.get("error", error)))  # the public class
        if getattr(error, "retry_after", None):
            await limiter.pause(wait)  # the server is saturated: every row waits, not this one
        if on_retry is not None:
            on_retry(index, error, wait)
        await clock.sleep(wait)
