"""Usage limits, and the meter that keeps a run's usage, costs and limits.

```python
agent = Agent(model, usage_limits=UsageLimits(max_cost=0.50, max_tool_calls=10))
final = await agent.stream_prompt("...").with_usage_limits(UsageLimits(max_total_tokens=20_000))
```

When each limit is checked (the run then ends with `UsageLimitExceeded`, carrying the history):

* after each model call, once its stream has ended (its text is kept in the history) and before
  its tools run: a token total or the cost *above* its limit ends the run, also after the last
  answer. With `max_cost`, a call whose cost is unknown ends the run too: the limit could not be
  kept;
* before each model call: `max_requests` calls already made, or a token total or the cost that
  has *reached* its limit (the next call could only cross it) ends the run without calling. The
  size of the next call is not guessed;
* before each tool call, before any approval is asked: `max_tool_calls` tool calls already run.
  A call the hook or a person skipped does not count.

`max_cost` needs a price for the model: a model without one is a `UserError` before the first
call, so nothing is spent unmetered. Token limits are over the run's summed `Usage` fields, in
the provider's own counting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from ..errors import PromptError, StreamingError, UserError, register_streaming_twins
from ._cost import CallLedger, CallUsage, ModelRef, PriceTable, format_cost, total_cost
from ._messages import Usage
from ._raw import ProviderResponse

__all__ = ["Meter", "StreamingUsageLimitExceeded", "UsageLimitExceeded", "UsageLimits"]


class UsageLimitExceeded(PromptError):
    """A `UsageLimits` limit ended the run (`UsageLimits` says when each is checked).

    `limit` names it (`"max_cost"`, `"max_tool_calls"`...), `value` is its value and `used` what
    the run had used of it (`None` when a call's cost was unknown); `usage` (the summed `Usage`),
    `cost` (US dollars, `None` when unknown), `requests` (model calls) and `tool_calls` (tool
    calls run) are the run's totals. `chat_history` keeps the conversation, the model call that
    crossed the limit included. `str()`: `UsageLimitExceeded: max_cost of $0.50 exceeded: ...`.
    """

    def __init__(
        self,
        message: str,
        chat_history: list[Any] | None = None,
        *,
        limit: str,
        value: float,
        used: float | None,
        usage: Usage | None = None,
        cost: float | None = None,
        requests: int = 0,
        tool_calls: int = 0,
    ) -> None:
        super().__init__(f"UsageLimitExceeded: {message}", chat_history)
        self.limit = limit
        self.value = value
        self.used = used
        self.usage = usage if usage is not None else Usage()
        self.cost = cost
        self.requests = requests
        self.tool_calls = tool_calls


class StreamingUsageLimitExceeded(StreamingError, UsageLimitExceeded):
    """`UsageLimitExceeded`, as an agent stream raises it."""


register_streaming_twins({UsageLimitExceeded: StreamingUsageLimitExceeded})


@dataclass(frozen=True, kw_only=True)
class UsageLimits:
    """Limits on one run; `None` is no limit. A request's limits replace its agent's."""

    max_requests: int | None = None
    """Model calls."""
    max_input_tokens: int | None = None
    """Summed `Usage.input_tokens`."""
    max_output_tokens: int | None = None
    """Summed `Usage.output_tokens`."""
    max_total_tokens: int | None = None
    """Summed `Usage.total_tokens`."""
    max_cost: float | None = None
    """US dollars, from the agent's price table."""
    max_tool_calls: int | None = None
    """Tool calls that ran."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value: Any = getattr(self, item.name)
            if value is None:
                continue
            if item.name == "max_cost":
                ok = isinstance(value, int | float) and not isinstance(value, bool)
                if not ok or not math.isfinite(value) or value < 0:
                    raise UserError(f"max_cost is in US dollars, >= 0; got {value!r}")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UserError(f"{item.name} must be a whole number >= 0, got {value!r}")

    def __repr__(self) -> str:
        set_ = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if getattr(self, f.name) is not None
        ]
        return f"UsageLimits({', '.join(set_)})"


_TOKENS = (
    ("max_input_tokens", "input_tokens"),
    ("max_output_tokens", "output_tokens"),
    ("max_total_tokens", "total_tokens"),
)


class Meter:
    """One run's model calls (usage and cost), tool calls, and the checks of its limits.

    The loop calls `before_call`, `after_call` (with the call's provider final object),
    `before_tool_call` and `tool_ran`; each check raises `UsageLimitExceeded` (or a `UserError`
    for a `max_cost` that cannot be kept) and the loop adds the history.
    """

    def __init__(
        self, limits: UsageLimits | None, prices: PriceTable | None, model: object
    ) -> None:
        self.limits = limits
        self.ledger = CallLedger(prices if prices is not None else PriceTable(), ModelRef.of(model))
        """Every model call that ended, in order, priced when asked for."""
        self.requests = 0
        """Model calls started."""
        self.tool_calls = 0
        """Tool calls that ran."""

    @property
    def calls(self) -> list[CallUsage]:
        """Each model call that ended: its usage and cost (priced now if not yet)."""
        return self.ledger.calls()

    @property
    def usage(self) -> Usage:
        """The summed usage of the calls that ended."""
        return self.ledger.usage

    @property
    def cost(self) -> float | None:
        """The summed cost in US dollars, `None` when a call's cost is unknown."""
        return total_cost(self.ledger.calls())[0]

    def before_call(self) -> None:
        """A model call is about to start."""
        limits = self.limits
        if limits is not None:
            if limits.max_requests is not None and self.requests >= limits.max_requests:
                raise self._exceeded("max_requests", limits.max_requests, self.requests, True)
            usage = self.usage
            for limit, field in _TOKENS:
                value: int | None = getattr(limits, limit)
                used: int = getattr(usage, field)
                if value is not None and used >= value:
                    raise self._exceeded(limit, value, used, True)
            if limits.max_cost is not None:
                if self.requests == 0:
                    self._check_priced(limits.max_cost)
                cost = self.cost
                if cost is not None and cost >= limits.max_cost:
                    raise self._exceeded("max_cost", limits.max_cost, cost, True)
        self.requests += 1

    def after_call(self, response: ProviderResponse | None) -> None:
        """A model call's stream ended; `response` is its provider final object, if it sent one."""
        self.ledger.add(response.token_usage() if response is not None else None)
        limits = self.limits
        if limits is None:
            return
        total = self.usage
        for limit, field in _TOKENS:
            value: int | None = getattr(limits, limit)
            used: int = getattr(total, field)
            if value is not None and used > value:
                raise self._exceeded(limit, value, used, False)
        if limits.max_cost is not None:
            cost, note = total_cost(self.ledger.calls())
            if cost is None:
                raise self._exceeded("max_cost", limits.max_cost, None, False, note)
            if cost > limits.max_cost:
                raise self._exceeded("max_cost", limits.max_cost, cost, False)

    def before_tool_call(self) -> None:
        """A tool call is about to be decided (asked, approved) and run."""
        limits = self.limits
        if limits is not None and limits.max_tool_calls is not None:
            if self.tool_calls >= limits.max_tool_calls:
                raise self._exceeded("max_tool_calls", limits.max_tool_calls, self.tool_calls, True)

    def tool_ran(self) -> None:
        """A tool call was approved and runs."""
        self.tool_calls += 1

    def _check_priced(self, max_cost: float) -> None:
        why = self.ledger.table.unpriced(self.ledger.model)
        if why is not None:
            raise UserError(
                f"max_cost={format_cost(max_cost)} cannot be kept: {why}. Give the agent a "
                "price table (Agent(prices=PriceTable.from_prices(...))) or drop max_cost"
            )

    def _exceeded(
        self,
        limit: str,
        value: float,
        used: float | None,
        reached: bool,
        unknown: str | None = None,
    ) -> UsageLimitExceeded:
        usage = self.usage
        money = limit == "max_cost"
        shown = format_cost(value) if money else f"{value:,}"
        if used is None:
            head = f"{limit} of {shown} cannot be kept: the cost of {unknown}"
        else:
            amount = format_cost(used) if money else f"{used:,}"
            if reached:
                head = f"{limit} of {shown} reached ({amount} used) before the next " + (
                    "tool call" if limit == "max_tool_calls" else "model call"
                )
            else:
                head = f"{limit} of {shown} exceeded: {amount} used"
        cost = self.cost
        spent = f", {format_cost(cost)}" if cost is not None else ""
        tools = f", {self.tool_calls} tool call{'s' if self.tool_calls != 1 else ''}"
        message = (
            f"{head} (so far: {self.requests} model call{'s' if self.requests != 1 else ''}"
            f"{tools}, {usage.input_tokens:,} input and {usage.output_tokens:,} output tokens"
            f"{spent})"
        )
        return UsageLimitExceeded(
            message,
            limit=limit,
            value=value,
            used=used,
            usage=usage,
            cost=cost,
            requests=self.requests,
            tool_calls=self.tool_calls,
        )
