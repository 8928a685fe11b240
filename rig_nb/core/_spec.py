"""What a run needs of its agent and its request, as protocols the loop is typed against.

`Agent` and `StreamingPromptRequest` satisfy them. They sit below the loop, so the loop, the
request builder and the tracer never import the classes that start a run: imports go one way,
`_agent -> _request -> _loop -> _build, _tracing -> _spec`.
"""

from __future__ import annotations

from typing import Any, Protocol

from ._cost import PriceTable
from ._hooks import PromptHook
from ._limits import UsageLimits
from ._messages import AnyMessage, Document, ToolChoice
from ._model import CompletionModel, VectorIndex
from ._tools import ToolSet

__all__ = ["AgentSpec", "RunSpec"]


class AgentSpec(Protocol):
    """The agent, as a run reads it (`Agent`)."""

    @property
    def model(self) -> CompletionModel:
        """The model called each turn."""
        ...

    @property
    def label(self) -> str:
        """The agent's name for logs and spans."""
        ...

    @property
    def preamble(self) -> str | None:
        """The system prompt."""
        ...

    @property
    def static_context(self) -> list[Document]:
        """Documents sent with every request."""
        ...

    @property
    def dynamic_context(self) -> list[tuple[int, VectorIndex]]:
        """`(n, index)` pairs searched with each turn's prompt."""
        ...

    @property
    def tools(self) -> ToolSet:
        """The tools the model may call."""
        ...

    @property
    def temperature(self) -> float | None:
        """Sampling temperature."""
        ...

    @property
    def max_tokens(self) -> int | None:
        """Output token limit."""
        ...

    @property
    def additional_params(self) -> dict[str, Any] | None:
        """Merged into each request body."""
        ...

    @property
    def tool_choice(self) -> ToolChoice | None:
        """Whether and which tool the model must call."""
        ...

    @property
    def output_type(self) -> Any:
        """The type the final answer is validated into, or `None`."""
        ...

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The JSON schema of `output_type`, sent to providers that take one."""
        ...

    @property
    def default_max_turns(self) -> int | None:
        """The turn budget of a request that sets none."""
        ...

    @property
    def usage_limits(self) -> UsageLimits | None:
        """The limits of a request that sets none."""
        ...

    @property
    def prices(self) -> PriceTable | None:
        """Where the cost of each model call is looked up (`None`: genai-prices' table)."""
        ...


class RunSpec(Protocol):
    """One run's settings, as the loop reads them (`StreamingPromptRequest`)."""

    @property
    def agent(self) -> AgentSpec:
        """The agent that runs."""
        ...

    @property
    def prompt(self) -> AnyMessage:
        """The run's prompt."""
        ...

    @property
    def chat_history(self) -> list[AnyMessage] | None:
        """The history before the prompt; `None` when none was given."""
        ...

    @property
    def hook(self) -> PromptHook | None:
        """The hook called at each step."""
        ...

    @property
    def effective_max_turns(self) -> int:
        """The turn budget in force."""
        ...

    @property
    def effective_usage_limits(self) -> UsageLimits | None:
        """The usage limits in force."""
        ...

    @property
    def forward_tool_call_deltas(self) -> bool:
        """Whether `ToolCallDelta` items are yielded."""
        ...

    @property
    def compat_seed_history(self) -> bool:
        """Whether a final turn with reasoning is stored twice, as rig's seed did."""
        ...
