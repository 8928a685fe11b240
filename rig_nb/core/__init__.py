"""The agent core, and the building blocks for custom models and tools.

`rig_nb` re-exports what most code needs (`Agent`, `tool`, the messages, the stream items); this
package adds what a custom model, tool set or provider is written against: the raw choices a
model yields (`RawText`, `RawToolCall`, ..., `RawFinal`), `ProviderResponse`, the content unions,
`rag_text`, `message_text` and `new_internal_call_id`; and what a cache or a recording keeps:
`error_to_json` / `error_from_json` (an error with its conversation) and `model_identity` (a
model, without its key).

```python
from rig_nb.core import CompletionRequest, RawFinal, RawStreamingChoice, RawText, rag_text
```

No IPython, no ipywidgets, no httpx in here: providers and the notebook layer build on it.
"""

from .._exports import publish as _publish
from ._agent import Agent
from ._content import (
    Audio,
    Base64,
    DocumentContent,
    DocumentSourceKind,
    Image,
    ImageMediaType,
    Raw,
    String,
    Text,
    ToolCall,
    ToolFunction,
    ToolResult,
    ToolResultContent,
    Unknown,
    Url,
    Video,
)
from ._cost import CallUsage, PriceTable
from ._error_json import error_from_json, error_to_json
from ._hooks import HookAction, PromptHook, ToolCallHookAction
from ._limits import UsageLimitExceeded, UsageLimits
from ._messages import (
    AnyMessage,
    AssistantContent,
    AssistantMessage,
    Document,
    Message,
    SystemMessage,
    ToolChoice,
    ToolChoiceSpecific,
    Usage,
    UserContent,
    UserMessage,
    history_from_json,
    history_to_json,
    load_history,
    message_text,
    rag_text,
    save_history,
)
from ._model import CompletionModel, CompletionRequest, VectorIndex, model_identity
from ._raw import (
    ProviderResponse,
    RawFinal,
    RawMessageId,
    RawReasoning,
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    RawToolCallDelta,
    ToolCallArgsDelta,
    ToolCallDeltaContent,
    ToolCallNameDelta,
    new_internal_call_id,
)
from ._reasoning import (
    Reasoning,
    ReasoningContent,
    ReasoningEncrypted,
    ReasoningRedacted,
    ReasoningSummary,
    ReasoningText,
)
from ._request import PromptInterrupted, PromptStream, StreamingPromptRequest
from ._streaming import (
    FinalResponse,
    MultiTurnStreamItem,
    StreamAssistantItem,
    StreamedAssistantContent,
    StreamedFinal,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
    StreamedToolResult,
    StreamUserItem,
    item_from_wire,
)
from ._tool_output import (
    ToolDisplay,
    ToolOutput,
    ToolOutputConverter,
    register_tool_output,
)
from ._tools import FunctionTool, Tool, ToolDefinition, ToolSet, tool

__all__ = [
    "Agent",
    "AnyMessage",
    "AssistantContent",
    "AssistantMessage",
    "Audio",
    "Base64",
    "CallUsage",
    "CompletionModel",
    "CompletionRequest",
    "Document",
    "DocumentContent",
    "DocumentSourceKind",
    "error_from_json",
    "error_to_json",
    "FinalResponse",
    "FunctionTool",
    "history_from_json",
    "history_to_json",
    "HookAction",
    "Image",
    "ImageMediaType",
    "item_from_wire",
    "load_history",
    "Message",
    "message_text",
    "model_identity",
    "MultiTurnStreamItem",
    "new_internal_call_id",
    "PriceTable",
    "PromptHook",
    "PromptInterrupted",
    "PromptStream",
    "ProviderResponse",
    "rag_text",
    "Raw",
    "RawFinal",
    "RawMessageId",
    "RawReasoning",
    "RawReasoningDelta",
    "RawStreamingChoice",
    "RawText",
    "RawToolCall",
    "RawToolCallDelta",
    "Reasoning",
    "ReasoningContent",
    "ReasoningEncrypted",
    "ReasoningRedacted",
    "ReasoningSummary",
    "ReasoningText",
    "register_tool_output",
    "save_history",
    "StreamAssistantItem",
    "StreamedAssistantContent",
    "StreamedFinal",
    "StreamedReasoningDelta",
    "StreamedText",
    "StreamedToolCall",
    "StreamedToolCallDelta",
    "StreamedToolResult",
    "StreamingPromptRequest",
    "StreamUserItem",
    "String",
    "SystemMessage",
    "Text",
    "tool",
    "Tool",
    "ToolCall",
    "ToolCallArgsDelta",
    "ToolCallDeltaContent",
    "ToolCallHookAction",
    "ToolCallNameDelta",
    "ToolChoice",
    "ToolChoiceSpecific",
    "ToolDefinition",
    "ToolDisplay",
    "ToolFunction",
    "ToolOutput",
    "ToolOutputConverter",
    "ToolResult",
    "ToolResultContent",
    "ToolSet",
    "Unknown",
    "Url",
    "Usage",
    "UsageLimitExceeded",
    "UsageLimits",
    "UserContent",
    "UserMessage",
    "VectorIndex",
    "Video",
]

_publish(globals(), __all__, __name__)

# Internals that earlier versions of rig_nb.core exported: still importable, not the API.
_MOVED = {
    "StreamingCompletionResponse": "rig_nb.core._accumulator",
    "merge_reasoning_blocks": "rig_nb.core._turn",
    "value_to_json_string": "rig_nb.core._turn",
}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
