"""The agent: a model plus preamble, context, tools and defaults (spec 1.9).

```python
agent = Agent(model, preamble="You are terse.", tools=[get_weather], default_max_turns=3)
final = await agent.stream_prompt("Weather in Paris?")          # FinalResponse
async for item in agent.stream_chat("And in Rome?", history):   # MultiTurnStreamItem
    ...
final = agent.run_sync("And in Oslo?", history=history)         # from synchronous code
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import UserError
from ._cost import PriceTable
from ._hooks import PromptHook
from ._limits import UsageLimits
from ._messages import AnyMessage, Document, Message, ToolChoice
from ._model import CompletionModel, VectorIndex
from ._output import output_schema as output_schema_of
from ._request import StreamingPromptRequest
from ._streaming import FinalResponse
from ._tools import Tool, ToolSet

__all__ = ["Agent", "resolve_model", "set_batch_mapper", "set_model_resolver"]


_resolver: Callable[[str], CompletionModel] | None = None


def set_model_resolver(resolver: Callable[[str], CompletionModel]) -> None:
    """How `Agent("vendor:model")` finds its model (rig_nb registers the providers' factory)."""
    global _resolver
    _resolver = resolver


def resolve_model(model: CompletionModel | str) -> CompletionModel:
    """A model object, from itself or from a `"vendor:model"` string."""
    if not isinstance(model, str):
        return model
    if _resolver is None:
        raise UserError(f"cannot resolve model {model!r}: no providers are registered")
    return _resolver(model)


_mapper: Callable[..., Any] | None = None


def set_batch_mapper(mapper: Callable[..., Any]) -> None:
    """What `Agent.map` calls: `mapper(agent, prompts, rows, **options)`.

    rig_nb registers `rig_nb.batch.map_agent` (imported on first use). The batch package sits
    above core, so core reaches it only through this hook, as it reaches the providers through
    `set_model_resolver`.
    """
    global _mapper
    _mapper = mapper


def _expect(name: str, value: object, cls: type) -> None:
    if value is not None and not isinstance(value, cls):
        raise UserError(f"{name} must be a {cls.__name__}, got {type(value).__name__}")


class Agent:
    """A model with its preamble, context documents, tools and request defaults."""

    def __init__(
        self,
        model: CompletionModel | str,
        *,
        name: str | None = None,
        preamble: str | None = None,
        context: Iterable[str | Document] = (),
        dynamic_context: Sequence[tuple[int, VectorIndex]] = (),
        tools: ToolSet | Iterable[Tool | Callable[..., Any]] = (),
        temperature: float | None = None,
        max_tokens: int | None = None,
        additional_params: dict[str, Any] | None = None,
        tool_choice: ToolChoice | None = None,
        default_max_turns: int | None = None,
        hook: PromptHook | None = None,
        output_type: Any = None,
        output_schema: dict[str, Any] | None = None,
        usage_limits: UsageLimits | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        model = resolve_model(model)
        if not callable(getattr(model, "stream", None)):
            raise UserError(
                f"Agent needs a model with a stream(request) method, got {type(model).__name__}; "
                "use rig_nb.testing.ScriptedModel offline or a provider model"
            )
        if default_max_turns is not None and default_max_turns < 0:
            raise UserError(f"default_max_turns must be >= 0, got {default_max_turns}")
        _expect("usage_limits", usage_limits, UsageLimits)
        _expect("prices", prices, PriceTable)
        self.model: CompletionModel = model
        self.name: str | None = name
        self.preamble: str | None = preamble
        self.static_context = [
            doc if isinstance(doc, Document) else Document(id=f"static_doc_{i}", text=doc)
            for i, doc in enumerate(context)
        ]
        self.dynamic_context = list(dynamic_context)
        self.tools = tools if isinstance(tools, ToolSet) else ToolSet(tools)
        self.temperature: float | None = temperature
        self.max_tokens: int | None = max_tokens
        self.additional_params: dict[str, Any] | None = additional_params
        self.tool_choice: ToolChoice | None = tool_choice
        self.default_max_turns: int | None = default_max_turns
        self.hook: PromptHook | None = hook
        self.output_type: Any = output_type
        """Validate the final answer into this type (`FinalResponse.output`)."""
        if output_type is not None and output_schema is None:
            output_schema = output_schema_of(output_type)
        self.output_schema: dict[str, Any] | None = output_schema
        self.usage_limits: UsageLimits | None = usage_limits
        """Limits of every run (a request's `with_usage_limits` replaces them)."""
        self.prices: PriceTable | None = prices
        """Where call costs are looked up; `None` is genai-prices' table."""

    @property
    def label(self) -> str:
        """The name, or `"Unnamed Agent"`."""
        return self.name or "Unnamed Agent"

    def __repr__(self) -> str:
        tools = ", ".join(self.tools.names)
        return f"<Agent {self.label!r} model={type(self.model).__name__} tools=[{tools}]>"

    def stream_prompt(self, prompt: str | Message) -> StreamingPromptRequest:
        """A streaming run of `prompt` with no history (`FinalResponse.history` stays `None`)."""
        return StreamingPromptRequest(self, Message.coerce(prompt), hook=self.hook)

    def stream_chat(
        self, prompt: str | Message, history: Iterable[AnyMessage]
    ) -> StreamingPromptRequest:
        """A streaming run of `prompt` after `history`; the final `history` has the new messages."""
        return self.stream_prompt(prompt).with_history(history)

    def map(self, prompts: Any, rows: Any = None, **options: Any) -> Any:
        """Run this agent over many prompts: `await agent.map(...)` returns a table.

        `prompts` is a list of prompts, a pandas/polars column, or a template (`"Classify:
        {title}"`) filled from each of `rows` (a DataFrame or dicts). Options (`concurrency`,
        `rpm`, `tpm`, `retries`, `output_type`, `cache`, `backend`...): `rig_nb.batch.map_agent`.

        Returns:
            A `rig_nb.batch.BatchRun`: `await` it for the table, `run.stop()` ends it.
        """
        if _mapper is None:
            raise UserError("Agent.map needs rig_nb.batch: `import rig_nb` registers it")
        return _mapper(self, prompts, rows, **options)

    def run_sync(
        self, prompt: str | Message, history: Iterable[AnyMessage] | None = None
    ) -> FinalResponse:
        """Run `prompt` (after `history`, if given) to its end from synchronous code.

        Works in a script and inside Jupyter's running event loop: the run goes to rig_nb's
        worker thread (see `StreamingPromptRequest.run_sync`). For a turn budget, limits or a
        hook use the request: `agent.stream_prompt(p).multi_turn(3).run_sync()`.
        """
        request = self.stream_prompt(prompt)
        return (request if history is None else request.with_history(history)).run_sync()
