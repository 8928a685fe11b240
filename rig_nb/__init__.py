"""rig_nb: multi-turn streaming LLM agents, in Python and in Jupyter.

```python
from rig_nb import Agent, tool
from rig_nb.testing import ScriptedModel, final, tool_call

@tool
def add(a: int, b: int) -> int:
    \"\"\"Add two numbers.\"\"\"
    return a + b

model = ScriptedModel([[tool_call("add", {"a": 2, "b": 3}), final()], ["5", final()]])
answer = await Agent(model, tools=[add]).stream_prompt("2 + 3?").multi_turn(1)
```

This is the front door: what code using rig_nb writes. Building blocks for custom models and
tools are in `rig_nb.core`, the providers in `rig_nb.providers`, the view in `rig_nb.widgets`,
batch runs (`agent.map`) in `rig_nb.batch`, test doubles in `rig_nb.testing`.

`import rig_nb` imports neither IPython, ipywidgets nor httpx: the providers' classes and
`AgentView` are loaded on first use (`rig_nb.OpenAIChatModel` imports httpx then).
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from . import _streaming_errors as _streaming_errors  # registers the errors' streaming twins
from ._exports import publish as _publish
from .core import (
    Agent,
    AnyMessage,
    AssistantMessage,
    Audio,
    Base64,
    CompletionModel,
    CompletionRequest,
    Document,
    DocumentContent,
    FinalResponse,
    FunctionTool,
    HookAction,
    Image,
    Message,
    MultiTurnStreamItem,
    PriceTable,
    PromptHook,
    PromptInterrupted,
    PromptStream,
    Reasoning,
    ReasoningEncrypted,
    ReasoningRedacted,
    ReasoningSummary,
    ReasoningText,
    StreamAssistantItem,
    StreamedFinal,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
    StreamedToolResult,
    StreamingPromptRequest,
    StreamUserItem,
    SystemMessage,
    Text,
    Tool,
    ToolCall,
    ToolCallArgsDelta,
    ToolCallHookAction,
    ToolCallNameDelta,
    ToolDefinition,
    ToolFunction,
    ToolOutput,
    ToolResult,
    ToolSet,
    Url,
    Usage,
    UsageLimitExceeded,
    UsageLimits,
    UserMessage,
    Video,
    history_from_json,
    history_to_json,
    item_from_wire,
    load_history,
    save_history,
    tool,
)
from .core._agent import set_batch_mapper as _set_batch_mapper
from .core._agent import set_model_resolver as _set_model_resolver
from .errors import (
    CompletionError,
    HookError,
    HttpError,
    JsonError,
    MaxTurnsError,
    ModelError,
    OutputValidationError,
    PromptCancelled,
    PromptError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderTimeoutError,
    RequestError,
    ResponseError,
    RigError,
    StreamingError,
    ToolError,
    ToolNotFoundError,
    ToolServerError,
    ToolSetError,
    UrlError,
    UserError,
)
from .kernel import Budget, kernel_tools, user_message

if _TYPE_CHECKING:  # loaded on first use (module __getattr__ below): they import httpx / ipywidgets
    from .providers import (
        AnthropicModel,
        GeminiModel,
        HttpSettings,
        OllamaModel,
        OpenAIChatModel,
        OpenAIResponsesModel,
    )
    from .widgets import AgentView

_PROVIDERS = {
    "AnthropicModel",
    "GeminiModel",
    "HttpSettings",
    "OllamaModel",
    "OpenAIChatModel",
    "OpenAIResponsesModel",
}
_LAZY = {*_PROVIDERS, "AgentView"}


def __getattr__(name: str) -> object:
    if name in _PROVIDERS:
        from . import providers

        return getattr(providers, name)
    if name == "AgentView":
        from .widgets import AgentView

        return AgentView
    raise AttributeError(f"module 'rig_nb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def model(spec: str, **kwargs: object) -> CompletionModel:
    """A provider model from a `"vendor:model"` string (see `rig_nb.providers.model`).

    Args:
        spec: `"openai:gpt-4o-mini"`, `"anthropic:claude-sonnet-4-5"`, `"ollama:qwen2.5"`...
        **kwargs: Passed to the model's class (`api_key=`, `base_url=`, `settings=`...).
    """
    from .providers import model as _model

    return _model(spec, **kwargs)


_set_model_resolver(model)


def _map_agent(agent: Agent, prompts: _Any, rows: _Any = None, **options: _Any) -> _Any:
    """`Agent.map`: `rig_nb.batch.map_agent`, imported on the first batch (core cannot)."""
    from .batch import map_agent

    return map_agent(agent, prompts, rows, **options)


_set_batch_mapper(_map_agent)


def load_ipython_extension(shell: object) -> None:
    """`%load_ext rig_nb`: registers `%%agent` and `%agent` (imports IPython only now)."""
    from .magics import load_ipython_extension as _load

    _load(shell)


def unload_ipython_extension(shell: object) -> None:
    """`%unload_ext rig_nb`."""
    from .magics import unload_ipython_extension as _unload

    _unload(shell)


try:
    __version__ = _version("rig_nb")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "Agent",
    "AgentView",
    "AnthropicModel",
    "AnyMessage",
    "AssistantMessage",
    "Audio",
    "Base64",
    "Budget",
    "CompletionError",
    "CompletionModel",
    "CompletionRequest",
    "Document",
    "DocumentContent",
    "FinalResponse",
    "FunctionTool",
    "GeminiModel",
    "history_from_json",
    "history_to_json",
    "HookAction",
    "HookError",
    "HttpError",
    "HttpSettings",
    "Image",
    "item_from_wire",
    "JsonError",
    "kernel_tools",
    "load_history",
    "load_ipython_extension",
    "MaxTurnsError",
    "Message",
    "model",
    "ModelError",
    "MultiTurnStreamItem",
    "OllamaModel",
    "OpenAIChatModel",
    "OpenAIResponsesModel",
    "OutputValidationError",
    "PriceTable",
    "PromptCancelled",
    "PromptError",
    "PromptHook",
    "PromptInterrupted",
    "PromptStream",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderTimeoutError",
    "Reasoning",
    "ReasoningEncrypted",
    "ReasoningRedacted",
    "ReasoningSummary",
    "ReasoningText",
    "RequestError",
    "ResponseError",
    "RigError",
    "save_history",
    "StreamAssistantItem",
    "StreamedFinal",
    "StreamedReasoningDelta",
    "StreamedText",
    "StreamedToolCall",
    "StreamedToolCallDelta",
    "StreamedToolResult",
    "StreamingError",
    "StreamingPromptRequest",
    "StreamUserItem",
    "SystemMessage",
    "Text",
    "Tool",
    "tool",
    "ToolCall",
    "ToolCallArgsDelta",
    "ToolCallHookAction",
    "ToolCallNameDelta",
    "ToolDefinition",
    "ToolError",
    "ToolFunction",
    "ToolNotFoundError",
    "ToolOutput",
    "ToolResult",
    "ToolServerError",
    "ToolSet",
    "ToolSetError",
    "unload_ipython_extension",
    "Url",
    "UrlError",
    "Usage",
    "UsageLimitExceeded",
    "UsageLimits",
    "user_message",
    "UserError",
    "UserMessage",
    "Video",
]

_publish(
    globals(), [name for name in __all__ if name not in _LAZY and name != "__version__"], __name__
)
