"""`ScriptedModel`: a model that replays scripted turns and records every request."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import (
    CompletionRequest,
    RawFinal,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    Usage,
    rag_text,
)
from ..core._wire import Frozen

__all__ = [
    "Delay",
    "final",
    "ScriptedModel",
    "ScriptedResponse",
    "Step",
    "tool_call",
    "UnconsumedModelSteps",
    "UnexpectedModelCall",
    "words",
]


class UnexpectedModelCall(AssertionError):
    """The agent called the model more often than the script has turns.

    The run ends with a `ModelError` whose `__cause__` this is.
    """


class UnconsumedModelSteps(AssertionError):
    """`assert_consumed()` found scripted turns the agent never asked for."""


class ScriptedResponse(Frozen):
    """The provider-final object of a scripted turn; JSON `{"usage": {...}}`."""

    usage: Usage = Usage()

    def token_usage(self) -> Usage | None:
        """The scripted usage."""
        return self.usage


@dataclass(frozen=True, slots=True)
class Delay:
    """Wait this many seconds before the next step (to watch streaming, or to test cancels)."""

    seconds: float


Step = RawStreamingChoice | str | BaseException | Delay
"""A scripted step: a raw choice, a text chunk (`str`), an exception to raise, or a `Delay`."""


def words(text: str) -> list[str]:
    """`text` in word-sized chunks, as a model streams it; joined, they give `text` back."""
    return re.findall(r"\s*\S+\s*?(?=\s|$)|\s+$", text) or [text]


def final(usage: Usage | None = None, **tokens: int) -> RawFinal:
    """The provider's final object: `final(total_tokens=3)` or `final(Usage(...))`."""
    return RawFinal(ScriptedResponse(usage=usage if usage is not None else Usage(**tokens)))


def tool_call(
    name: str,
    arguments: Any = None,
    *,
    id: str | None = None,  # noqa: A002
    call_id: str | None = None,
) -> RawToolCall:
    """A complete tool call; `id` defaults to `call_<name>`."""
    return RawToolCall(
        id=id or f"call_{name}",
        name=name,
        arguments={} if arguments is None else arguments,
        call_id=call_id,
    )


class ScriptedModel:
    """A `CompletionModel` that replays scripted turns, one per model call.

    ```python
    model = ScriptedModel([
        [tool_call("get_weather", {"city": "Paris"}), final(total_tokens=12)],
        ["It is ", "21 °C in Paris.", final(total_tokens=20)],
    ])
    agent = Agent(model, tools=[get_weather])
    answer = await agent.stream_prompt("Weather in Paris?").multi_turn(2)
    assert model.requests[1].chat_history[-1]  # the tool result the model got
    model.assert_consumed()
    ```

    `validate(request, index)` is called on each request before its turn plays. A call past the
    last turn raises `UnexpectedModelCall`. Like anything a model raises that is not a rig_nb
    error (a failed `assert` in `validate` too), the agent loop reports it as a `ModelError` whose
    text names it (`ModelError: UnexpectedModelCall: ScriptedModel has 1 scripted turn(s)...`) and
    whose `__cause__` it is. A scripted rig_nb error (`ProviderError(...)`) is raised as itself.
    `chunk_delay` waits between steps (for notebooks).
    """

    provider_name = "scripted"
    model_name = "scripted"

    def __init__(
        self,
        turns: Iterable[Sequence[Step]] = (),
        *,
        validate: Callable[[CompletionRequest, int], None] | None = None,
        chunk_delay: float = 0.0,
    ) -> None:
        self.turns: list[list[Step]] = [list(turn) for turn in turns]
        self.validate = validate
        self.chunk_delay = chunk_delay
        self.requests: list[CompletionRequest] = []
        """Every request received, in order."""

    def __repr__(self) -> str:
        return f"<ScriptedModel turns={len(self.turns)} calls={len(self.requests)}>"

    @property
    def calls(self) -> int:
        """How many model calls were made."""
        return len(self.requests)

    def add_turn(self, *steps: Step) -> ScriptedModel:
        """Script one more turn."""
        self.turns.append(list(steps))
        return self

    def stream(self, request: CompletionRequest) -> AsyncIterator[RawStreamingChoice]:
        """Record the request and replay the next turn."""
        index = len(self.requests)
        self.requests.append(request)
        if index >= len(self.turns):
            prompt = rag_text(request.prompt)
            raise UnexpectedModelCall(
                f"ScriptedModel has {len(self.turns)} scripted turn(s) but got model call "
                f"#{index + 1} (prompt: {prompt!r}, last message: {request.prompt.role}); "
                "script another turn or lower the agent's turn budget"
            )
        if self.validate is not None:
            self.validate(request, index)
        return self._play(self.turns[index])

    async def _play(self, turn: list[Step]) -> AsyncIterator[RawStreamingChoice]:
        for step in turn:
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            if isinstance(step, Delay):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, BaseException):
                raise step
            elif isinstance(step, str):
                yield RawText(step)
            else:
                yield step

    def assert_consumed(self) -> None:
        """Fail if scripted turns were left unplayed."""
        left = len(self.turns) - len(self.requests)
        if left > 0:
            raise UnconsumedModelSteps(
                f"ScriptedModel played {len(self.requests)} of {len(self.turns)} turns; "
                f"{left} never ran"
            )
