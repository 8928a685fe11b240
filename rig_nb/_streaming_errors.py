# pyright: strict
"""The streaming twins of rig_nb's errors: what an agent stream raises (`StreamingError.wrap`).

Each twin subclasses `StreamingError` and one public error, so `except ProviderError` and
`except StreamingError` both catch what `async for item in agent.stream_prompt(...)` raises.
They are ordinary module-level classes (never made on the fly), so they pickle by name. They
register themselves with `rig_nb.errors` on import (`rig_nb` imports this module first thing).
"""

from __future__ import annotations

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
    register_streaming_twins,
    streaming_twin,
)

__all__ = [
    "StreamingCompletionError",
    "StreamingHookError",
    "StreamingHttpError",
    "StreamingJsonError",
    "StreamingMaxTurnsError",
    "StreamingModelError",
    "StreamingOutputValidationError",
    "StreamingPromptCancelled",
    "StreamingPromptError",
    "StreamingProviderConnectionError",
    "StreamingProviderError",
    "StreamingProviderHTTPError",
    "StreamingProviderTimeoutError",
    "StreamingRequestError",
    "StreamingResponseError",
    "StreamingToolError",
    "StreamingToolNotFoundError",
    "StreamingToolServerError",
    "StreamingToolSetError",
    "StreamingUrlError",
    "StreamingUserError",
    "twin_of",
]


class StreamingUserError(StreamingError, UserError):
    """`UserError`, as an agent stream raises it."""


class StreamingCompletionError(StreamingError, CompletionError):
    """`CompletionError`, as an agent stream raises it."""


class StreamingHttpError(StreamingError, HttpError):
    """`HttpError`, as an agent stream raises it."""


class StreamingProviderHTTPError(StreamingError, ProviderHTTPError):
    """`ProviderHTTPError`, as an agent stream raises it."""


class StreamingProviderConnectionError(StreamingError, ProviderConnectionError):
    """`ProviderConnectionError`, as an agent stream raises it."""


class StreamingProviderTimeoutError(StreamingError, ProviderTimeoutError):
    """`ProviderTimeoutError`, as an agent stream raises it."""


class StreamingJsonError(StreamingError, JsonError):
    """`JsonError`, as an agent stream raises it."""


class StreamingUrlError(StreamingError, UrlError):
    """`UrlError`, as an agent stream raises it."""


class StreamingRequestError(StreamingError, RequestError):
    """`RequestError`, as an agent stream raises it."""


class StreamingResponseError(StreamingError, ResponseError):
    """`ResponseError`, as an agent stream raises it."""


class StreamingProviderError(StreamingError, ProviderError):
    """`ProviderError`, as an agent stream raises it."""


class StreamingModelError(StreamingError, ModelError):
    """`ModelError`, as an agent stream raises it."""


class StreamingPromptError(StreamingError, PromptError):
    """`PromptError`, as an agent stream raises it."""


class StreamingMaxTurnsError(StreamingError, MaxTurnsError):
    """`MaxTurnsError`, as an agent stream raises it."""


class StreamingOutputValidationError(StreamingError, OutputValidationError):
    """`OutputValidationError`, as an agent stream raises it."""


class StreamingPromptCancelled(StreamingError, PromptCancelled):
    """`PromptCancelled`, as an agent stream raises it."""


class StreamingHookError(StreamingError, HookError):
    """`HookError`, as an agent stream raises it."""


class StreamingToolError(StreamingError, ToolError):
    """`ToolError`, as an agent stream raises it."""


class StreamingToolSetError(StreamingError, ToolSetError):
    """`ToolSetError`, as an agent stream raises it."""


class StreamingToolNotFoundError(StreamingError, ToolNotFoundError):
    """`ToolNotFoundError`, as an agent stream raises it."""


class StreamingToolServerError(StreamingError, ToolServerError):
    """`ToolServerError`, as an agent stream raises it."""


_TWINS: dict[type[RigError], type[StreamingError]] = {
    UserError: StreamingUserError,
    CompletionError: StreamingCompletionError,
    HttpError: StreamingHttpError,
    ProviderHTTPError: StreamingProviderHTTPError,
    ProviderConnectionError: StreamingProviderConnectionError,
    ProviderTimeoutError: StreamingProviderTimeoutError,
    JsonError: StreamingJsonError,
    UrlError: StreamingUrlError,
    RequestError: StreamingRequestError,
    ResponseError: StreamingResponseError,
    ProviderError: StreamingProviderError,
    ModelError: StreamingModelError,
    PromptError: StreamingPromptError,
    MaxTurnsError: StreamingMaxTurnsError,
    OutputValidationError: StreamingOutputValidationError,
    PromptCancelled: StreamingPromptCancelled,
    HookError: StreamingHookError,
    ToolError: StreamingToolError,
    ToolSetError: StreamingToolSetError,
    ToolNotFoundError: StreamingToolNotFoundError,
    ToolServerError: StreamingToolServerError,
}


register_streaming_twins(_TWINS)
twin_of = streaming_twin
