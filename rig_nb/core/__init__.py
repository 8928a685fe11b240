"""The agent core: messages, streaming items, tools, hooks and the multi-turn loop.

No IPython, no ipywidgets, no httpx in here: providers and the notebook layer build on it.
"""

from ._accumulator import StreamingCompletionResponse
from ._loop import merge_reasoning_blocks, value_to_json_string
from .agent import Agent, CompletionModel, CompletionRequest, VectorIndex
from .content import *  # noqa: F403
from .content import __all__ as _content_all
from .hooks import HookAction, PromptHook, ToolCallHookAction
from .messages import *  # noqa: F403
from .messages import __all__ as _messages_all
from .request import PromptStream, StreamingPromptRequest
from .streaming import *  # noqa: F403
from .streaming import __all__ as _streaming_all
from .tools import FunctionTool, Tool, ToolDefinition, ToolSet, tool

__all__ = sorted(  # pyright: ignore[reportUnsupportedDunderAll]
    [
        *_content_all,
        *_messages_all,
        *_streaming_all,
        "Agent",
        "CompletionModel",
        "CompletionRequest",
        "FunctionTool",
        "HookAction",
        "PromptHook",
        "PromptStream",
        "StreamingCompletionResponse",
        "StreamingPromptRequest",
        "Tool",
        "ToolCallHookAction",
        "ToolDefinition",
        "ToolSet",
        "VectorIndex",
        "merge_reasoning_blocks",
        "tool",
        "value_to_json_string",
    ],
    key=str.casefold,
)
