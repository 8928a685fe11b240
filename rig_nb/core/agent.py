"""The agent: a model plus preamble, context, tools and defaults (spec 1.9).

```python
agent = Agent(model, preamble="You are terse.", tools=[get_weather], default_max_turns=3)
final = await agent.stream_prompt("Weather in Paris?")          # FinalResponse
async for item in agent.stream_chat("And in Rome?", history):   # MultiTurnStreamItem
    ...
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import UserError
from .hooks import PromptHook
from .messages import AnyMessage, Document, Message, ToolChoice, UserMessage
from .output import output_schema as output_schema_of
from .streaming import RawStreamingChoice
from .tools import Tool, ToolDefinition, ToolSet

if TYPE_CHECKING:
    from ..batch import BatchRun
    from .request import StreamingPromptRequest

__all__ = ["Agent", "CompletionModel", "CompletionRequest", "VectorIndex"]


@dataclass(kw_only=True)
class CompletionRequest:
    """One model call, as the agent loop builds it for each turn.

    The preamble is not in `preamble` but a leading `SystemMessage` of `chat_history`, whose last
    message is the turn's prompt. Providers put `normalized_documents()` first.
    """

    chat_history: list[AnyMessage]
    preamble: str | None = None
    model: str | None = None
    documents: list[Document] = field(default_factory=list[Document])
    tools: list[ToolDefinition] = field(default_factory=list[ToolDefinition])
    temperature: float | None = None
    max_tokens: int | None = None
    tool_choice: ToolChoice | None = None
    additional_params: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None

    @property
    def prompt(self) -> AnyMessage:
        """The last message: what the model answers."""
        return self.chat_history[-1]

    def normalized_documents(self) -> UserMessage | None:
        """All documents as one user message of text documents, or `None`."""
        return Document.normalize(self.documents)


@runtime_checkable
class CompletionModel(Protocol):
    """What the agent loop needs of a model: one streaming call per turn.

    `stream` returns an async iterator (an async generator, so it can be closed) of raw choices.
    Failures raise `CompletionError`s; anything else raised is reported as a `ProviderError`.
    """

    def stream(self, request: CompletionRequest) -> AsyncIterator[RawStreamingChoice]:
        """Start the call; iterate to read it."""
        ...


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


@runtime_checkable
class VectorIndex(Protocol):
    """A searchable store of documents for dynamic context (RAG)."""

    async def top_n(self, query: str, n: int) -> list[tuple[float, str, Any]]:
        """The `n` best `(score, id, document)` matches for `query`."""
        ...


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
    ) -> None:
        model = resolve_model(model)
        if not callable(getattr(model, "stream", None)):
            raise UserError(
                f"Agent needs a model with a stream(request) method, got {type(model).__name__}; "
                "use rig_nb.testing.ScriptedModel offline or a provider model"
            )
        if default_max_turns is not None and default_max_turns < 0:
            raise UserError(f"default_max_turns must be >= 0, got {default_max_turns}")
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

    @property
    def label(self) -> str:
        """The name, or `"Unnamed Agent"`."""
        return self.name or "Unnamed Agent"

    def __repr__(self) -> str:
        tools = ", ".join(self.tools.names)
        return f"<Agent {self.label!r} model={type(self.model).__name__} tools=[{tools}]>"

    def stream_prompt(self, prompt: str | Message) -> StreamingPromptRequest:
        """A streaming run of `prompt` with no history (`FinalResponse.history` stays `None`)."""
        from .request import StreamingPromptRequest

        return StreamingPromptRequest(self, Message.coerce(prompt), hook=self.hook)

    def stream_chat(
        self, prompt: str | Message, history: Iterable[AnyMessage]
    ) -> StreamingPromptRequest:
        """A streaming run of `prompt` after `history`; the final `history` has the new messages."""
        return self.stream_prompt(prompt).with_history(history)

    def map(self, prompts: Any, rows: Any = None, **options: Any) -> BatchRun:
        """Run this agent over many prompts: `await agent.map(...)` returns a table.

        `prompts` is a list of prompts, a pandas/polars column, or a template (`"Classify:
        {title}"`) filled from each of `rows` (a DataFrame or dicts). Options (`concurrency`,
        `rpm`, `tpm`, `retries`, `output_type`, `cache`, `backend`...): `rig_nb.batch.map_agent`.
        """
        from ..batch import map_agent

        return map_agent(self, prompts, rows, **options)
