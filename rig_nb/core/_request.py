"""A streaming prompt request and the run it starts.

```python
request = agent.stream_prompt("Plan my trip").multi_turn(5).with_history(history).with_hook(hook)

final = await request                      # run to the end -> FinalResponse

async for item in request:                 # or stream the items
    ...

async with request.stream() as run:        # or hold the run: cancel it, read its history
    async for item in run:
        if too_long:
            run.cancel("enough")           # raises PromptCancelled carrying the history so far

final = request.run_sync()                 # or from synchronous code, also in a Jupyter cell
```

Errors end a run and are raised by the iteration as `StreamingError`s (each also an instance of
the error it wraps: `PromptCancelled`, `MaxTurnsError`, `ProviderError`, `HookError`...), all
carrying the conversation so far in `chat_history`. A task cancellation (kernel interrupt,
`asyncio.timeout`), a `KeyboardInterrupt` or a `SystemExit` propagates as itself, as asyncio
requires; the run then keeps a `PromptCancelled` with the history in `run.cancelled`.

How a run ended, on its `PromptStream`:

| ending | `final_response` | `error` | `cancelled` | `done` |
|---|---|---|---|---|
| an answer | the `FinalResponse` | `None` | `None` | True |
| an error (provider, model, hook, tool set, output) | `None` | the error | `None` | True |
| a hook's Terminate, or `run.cancel()` | `None` | the `PromptCancelled` | the same | True |
| a task cancellation, an interrupt | `None` | `None` | a `PromptCancelled` | True |
| `aclose()` (leaving `async with`) before the end | `None` | `None` | a `PromptCancelled` | True |
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import cast

from ..errors import PromptCancelled, RigError, StreamingError, UserError
from ._cost import CallUsage
from ._hooks import PromptHook
from ._limits import UsageLimits
from ._loop import RunLoop
from ._messages import AnyMessage, Usage
from ._spec import AgentSpec
from ._streaming import FinalResponse, MultiTurnStreamItem
from ._sync import run_in_worker

__all__ = ["PromptInterrupted", "PromptStream", "StreamingPromptRequest"]


def _restore(cls: type[BaseException], args: tuple[object, ...]) -> BaseException:
    return cls.__new__(cls, *args)


class PromptInterrupted(KeyboardInterrupt):
    """A `KeyboardInterrupt` (Ctrl-C, the kernel's interrupt button) stopped a `run_sync` run.

    The run was cancelled; `chat_history` keeps the conversation up to the interrupt (the input
    history, this run's messages, the partly streamed turn) and `cancelled` is the run's
    `PromptCancelled`. Still a `KeyboardInterrupt`, so a script stops as on any Ctrl-C.
    """

    def __init__(self, chat_history: list[AnyMessage], cancelled: PromptCancelled | None = None):
        count = len(chat_history)
        super().__init__(
            "Interrupted: a KeyboardInterrupt stopped the run; chat_history keeps the "
            f"conversation ({count} message{'s' if count != 1 else ''})"
        )
        self.chat_history = chat_history
        self.cancelled = cancelled

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (type(self), self.args), self.__dict__)

    def _render_traceback_(self) -> list[str]:
        """IPython shows this line in place of a traceback through rig_nb's worker."""
        return [str(self)]


@dataclass(frozen=True)
class StreamingPromptRequest:
    """What to run: agent, prompt, history, turn budget, hook. Builder methods return copies."""

    agent: AgentSpec
    """The agent that runs (an `Agent`)."""
    prompt: AnyMessage
    chat_history: list[AnyMessage] | None = None
    """`None` (no history given: `FinalResponse.history` stays `None`) differs from `[]`."""
    max_turns: int | None = None
    """`None` means the agent's `default_max_turns`, or 0."""
    hook: PromptHook | None = None
    usage_limits: UsageLimits | None = None
    """`None` means the agent's `usage_limits`."""
    forward_tool_call_deltas: bool = True
    """Yield `ToolCallDelta` items (rig's seed only passed them to the hook)."""
    compat_seed_history: bool = False
    """Store a final turn with reasoning twice, as rig's seed did (for parity tests only)."""

    @staticmethod
    def new(agent: AgentSpec, prompt: AnyMessage) -> StreamingPromptRequest:
        """A request that ignores the agent's default hook."""
        return StreamingPromptRequest(agent, prompt)

    @property
    def effective_max_turns(self) -> int:
        """The turn budget in force: at most `effective_max_turns + 2` model calls."""
        if self.max_turns is not None:
            return self.max_turns
        return self.agent.default_max_turns or 0

    @property
    def effective_usage_limits(self) -> UsageLimits | None:
        """The usage limits in force: the request's, else the agent's."""
        if self.usage_limits is not None:
            return self.usage_limits
        return self.agent.usage_limits

    def with_usage_limits(self, limits: UsageLimits | None) -> StreamingPromptRequest:
        """Run under these limits instead of the agent's (`UsageLimits()`: none at all)."""
        given = cast(object, limits)
        if given is not None and not isinstance(given, UsageLimits):
            raise UserError(f"with_usage_limits takes a UsageLimits, got {type(given).__name__}")
        return dataclasses.replace(self, usage_limits=limits)

    def multi_turn(self, max_turns: int) -> StreamingPromptRequest:
        """Allow tool round trips: at most `max_turns + 2` model calls (rig's arithmetic)."""
        if max_turns < 0:
            raise UserError(f"multi_turn needs a number >= 0, got {max_turns}")
        return dataclasses.replace(self, max_turns=max_turns)

    def with_history(self, history: Iterable[AnyMessage]) -> StreamingPromptRequest:
        """Run after these messages; `FinalResponse.history` then holds the new messages."""
        return dataclasses.replace(self, chat_history=list(history))

    def with_hook(self, hook: PromptHook | None) -> StreamingPromptRequest:
        """Use this hook instead of the agent's."""
        return dataclasses.replace(self, hook=hook)

    def stream(self) -> PromptStream:
        """Start a run (lazily: nothing happens until it is iterated)."""
        return PromptStream(self)

    def __aiter__(self) -> PromptStream:
        return PromptStream(self)

    def __await__(self) -> Generator[object, None, FinalResponse]:
        return self.send().__await__()

    async def send(self) -> FinalResponse:
        """Run to the end and return the `FinalResponse`."""
        async with self.stream() as run:
            return await run.final()

    def run_sync(self) -> FinalResponse:
        """Run to the end from synchronous code, and return the `FinalResponse`.

        Works in a script and inside Jupyter's running event loop: the run goes to rig_nb's
        worker thread, with an event loop of its own (no `nest_asyncio`), and this thread waits.
        The model, tools and async hooks run on that loop. An error that ends the run is raised
        here, carrying the history as always; a `KeyboardInterrupt` (Ctrl-C, the kernel's
        interrupt button) cancels the run and raises `PromptInterrupted` with the history.
        """
        if _view_hook(self.hook) and _loop_running():
            raise UserError(
                "run_sync cannot drive an AgentView: its buttons are answered on the kernel's "
                "event loop, which run_sync blocks; use `await view.run(...)` (or %%agent)"
            )
        runs: list[PromptStream] = []

        async def main() -> FinalResponse:
            async with self.stream() as run:
                runs.append(run)
                return await run.final()

        def interrupted(_: KeyboardInterrupt) -> PromptInterrupted:
            if not runs:
                return PromptInterrupted([*(self.chat_history or []), self.prompt])
            run = runs[0]
            cancelled = run.cancelled
            history = cancelled.chat_history if cancelled is not None else None
            return PromptInterrupted(history if history is not None else run.history, cancelled)

        return run_in_worker(main, interrupted)


class PromptStream:
    """A run in progress: an async iterator of `MultiTurnStreamItem`, and its state."""

    def __init__(self, request: StreamingPromptRequest) -> None:
        self.request = request
        self._loop = RunLoop(request)
        self._items = self._loop.items()
        self._task: asyncio.Task[object] | None = None
        self._cancel_reason: str | None = None
        self._closed = False
        self.final_response: FinalResponse | None = None
        """Set when the run succeeded."""
        self.error: StreamingError | None = None
        """Set when an error ended the run."""
        self.cancelled: PromptCancelled | None = None
        """Set when the run was cancelled or closed before its end, with the history so far."""

    @property
    def history(self) -> list[AnyMessage]:
        """The conversation so far: input history, this run's messages, the turn in progress."""
        return self._loop.partial_history()

    @property
    def usage(self) -> Usage:
        """The usage summed over the model calls so far."""
        return self._loop.usage

    @property
    def calls(self) -> list[CallUsage]:
        """Each model call that ended so far: its model, usage and dollar cost."""
        return list(self._loop.meter.calls)

    @property
    def cost(self) -> float | None:
        """The cost so far in US dollars; `None` when a call's price is unknown."""
        return self._loop.meter.cost

    @property
    def done(self) -> bool:
        """Whether the run has ended (answer, error, cancel or close)."""
        return self._closed

    def __aiter__(self) -> PromptStream:
        return self

    async def __anext__(self) -> MultiTurnStreamItem:
        if self._closed:
            raise StopAsyncIteration
        if self._cancel_reason is not None:
            await self._items.aclose()
            raise self._fail(PromptCancelled(self.history, self._cancel_reason))
        self._task = asyncio.current_task()
        try:
            item = await anext(self._items)
        except StopAsyncIteration:
            self._closed = True
            raise
        except asyncio.CancelledError:
            task = self._task
            if self._cancel_reason is not None and task is not None and task.uncancel() == 0:
                raise self._fail(PromptCancelled(self.history, self._cancel_reason)) from None
            self._interrupted("the task running the agent was cancelled")
            raise
        except RigError as exc:
            raise self._fail(exc) from exc
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: not the run's own error
            self._interrupted(f"interrupted by {type(exc).__name__}")
            raise
        finally:
            self._task = None
        if isinstance(item, FinalResponse):
            self.final_response = item
        return item

    def _fail(self, exc: RigError) -> StreamingError:
        self._closed = True
        # A fresh twin carrying this run's conversation, even when a hook or a tool set let
        # another run's stream error through: that run's error (`error.error`) keeps its own.
        inner: RigError = exc.__dict__.get("error", exc) if isinstance(exc, StreamingError) else exc
        self.error = error = StreamingError.wrap(inner)
        error.chat_history = self.history
        if isinstance(error, PromptCancelled):
            self.cancelled = error
        return error

    def _interrupted(self, reason: str) -> None:
        self._closed = True
        self.cancelled = PromptCancelled(self.history, reason)

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop the run: the step in progress (or the next) raises `PromptCancelled(reason)`.

        Call it from the event loop's thread (a widget's handler, another task); from another
        thread use `loop.call_soon_threadsafe(run.cancel, reason)`.
        """
        if self._closed or self._cancel_reason is not None:
            return
        self._cancel_reason = reason
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel(f"rig_nb: {reason}")

    async def final(self) -> FinalResponse:
        """Consume the rest of the run and return its `FinalResponse`."""
        async for _ in self:
            pass
        if self.final_response is None:
            raise UserError("this run was closed before its end; it has no final response")
        return self.final_response

    async def aclose(self) -> None:
        """End the run now, closing the provider's response; `cancelled` keeps the history."""
        if self._closed:
            return
        self._closed = True
        await self._items.aclose()
        if self.final_response is None and self.error is None:
            self.cancelled = PromptCancelled(self.history, "the stream was closed")

    async def __aenter__(self) -> PromptStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _view_hook(hook: object) -> bool:
    """Whether `hook` is an `AgentView`'s (whose approvals need the kernel's loop)."""
    return type(hook).__module__.startswith("rig_nb.widgets")
