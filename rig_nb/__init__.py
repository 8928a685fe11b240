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

`import rig_nb` imports neither IPython, ipywidgets nor httpx.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from . import _streaming_errors as _streaming_errors  # registers the errors' streaming twins
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
    PromptHook,
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
    ToolChoice,
    ToolDefinition,
    ToolFunction,
    ToolResult,
    ToolSet,
    Url,
    Usage,
    UserMessage,
    Video,
    history_from_json,
    history_to_json,
    item_from_wire,
    load_history,
    save_history,
    tool,
)
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


def model(spec: str, **kwargs: object) -> CompletionModel:
    """A provider model from `"vendor:model"` (`rig_nb.providers.model`; imports httpx then)."""
    from .providers import model as _model

    return _model(spec, **kwargs)


_set_model_resolver(model)


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
    "AnyMessage",
    "AssistantMessage",
    "Audio",
    "Base64",
    "CompletionError",
    "CompletionModel",
    "CompletionRequest",
    "Document",
    "DocumentContent",
    "FinalResponse",
    "FunctionTool",
    "history_from_json",
    "history_to_json",
    "HookAction",
    "HookError",
    "HttpError",
    "Image",
    "item_from_wire",
    "JsonError",
    "load_history",
    "load_ipython_extension",
    "MaxTurnsError",
    "Message",
    "model",
    "ModelError",
    "MultiTurnStreamItem",
    "OutputValidationError",
    "PromptCancelled",
    "PromptError",
    "PromptHook",
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
    "ToolChoice",
    "ToolDefinition",
    "ToolError",
    "ToolFunction",
    "ToolNotFoundError",
    "ToolResult",
    "ToolServerError",
    "ToolSet",
    "ToolSetError",
    "unload_ipython_extension",
    "Url",
    "UrlError",
    "Usage",
    "UserError",
    "UserMessage",
    "Video",
]
