"""Every exception rig_nb raises. `str()` texts are a contract (spec 1.7): users log and match them.

```
RigError
├── UserError                misuse: bad configuration, bad arguments, a missing API key
├── CompletionError          the model call failed           "<Kind>: message"
│   ├── HttpError            "HttpError: ..."
│   │   ├── ProviderHTTPError        an HTTP error status: status_code, request_id, body
│   │   ├── ProviderConnectionError  the server could not be reached
│   │   └── ProviderTimeoutError     connect or read timeout (a stalled stream)
│   ├── JsonError            "JsonError: ..."
│   ├── UrlError             "UrlError: ..."
│   ├── RequestError         "RequestError: ..."
│   ├── ResponseError        "ResponseError: ..."
│   └── ProviderError        "ProviderError: ..."
├── PromptError              the agent loop ended without an answer
│   ├── MaxTurnsError        "MaxTurnError: (reached max turn limit: N)"
│   ├── OutputValidationError the final answer is not the structured output asked for
│   └── PromptCancelled      "PromptCancelled: reason"
├── ToolError                one tool failed                 "ToolCallError: ..." / "JsonError: ..."
├── ToolSetError             "ToolCallError: ..." / "JsonError: ..." / "Tool call interrupted"
│   └── ToolNotFoundError    "ToolNotFoundError: name"
├── ToolServerError          "Toolset error: ..." / "Failed to retrieve tool definitions: ..."
└── StreamingError           raised by an agent stream; it is *also* an instance of the error it
                             wraps, so `except PromptCancelled` works around `async for`:
                             "CompletionError: ..." / "PromptError: ..." / "ToolSetError: ..."
```

`PromptError`s always carry `chat_history`; a `CompletionError` raised by the agent loop carries the
history up to the failure too, the partly streamed turn included, so nothing is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from .core.messages import AnyMessage

__all__ = [
    "CompletionError",
    "HttpError",
    "JsonError",
    "MaxTurnsError",
    "OutputValidationError",
    "PromptCancelled",
    "PromptError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderTimeoutError",
    "RequestError",
    "ResponseError",
    "RigError",
    "StreamingError",
    "ToolError",
    "ToolNotFoundError",
    "ToolServerError",
    "ToolSetError",
    "UrlError",
    "UserError",
]


class RigError(Exception):
    """Base of every rig_nb error."""


class UserError(RigError):
    """rig_nb was used wrongly: the message says what was wrong and what to do."""


class CompletionError(RigError):
    """A model call failed. `chat_history` is set when the agent loop raised it."""

    kind: ClassVar[str] = "CompletionError"

    def __init__(self, message: str, *, chat_history: list[AnyMessage] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.chat_history = chat_history

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class HttpError(CompletionError):
    """The HTTP exchange failed."""

    kind: ClassVar[str] = "HttpError"


class ProviderHTTPError(HttpError):
    """The provider answered with an HTTP error status (or a body that is not a stream).

    `status_code`, the provider's own `provider_message`, its `request_id` and the raw `body` are
    kept; headers are lowercased; `retry_after` is the wait in seconds the server asked for.
    API keys never appear in any of them.
    """

    def __init__(
        self,
        *,
        provider: str,
        status_code: int,
        provider_message: str,
        request_id: str | None = None,
        body: str = "",
        headers: dict[str, str] | None = None,
        hint: str = "",
        retry_after: float | None = None,
    ) -> None:
        text = f"{provider} returned HTTP {status_code}: {provider_message}"
        if request_id:
            text += f" (request id {request_id})"
        if hint:
            text += f". {hint}"
        super().__init__(text)
        self.provider = provider
        self.status_code = status_code
        self.provider_message = provider_message
        self.request_id = request_id
        self.body = body
        self.headers = headers or {}
        self.retry_after = retry_after


class ProviderConnectionError(HttpError):
    """The provider's server could not be reached."""


class ProviderTimeoutError(HttpError):
    """Connecting, or waiting for the next bytes of a stream, took longer than the timeout."""


class JsonError(CompletionError):
    """A body was not the JSON expected."""

    kind: ClassVar[str] = "JsonError"


class UrlError(CompletionError):
    """A URL was malformed."""

    kind: ClassVar[str] = "UrlError"


class RequestError(CompletionError):
    """The request could not be built (context search, tool definitions, conversion)."""

    kind: ClassVar[str] = "RequestError"


class ResponseError(CompletionError):
    """The response could not be understood."""

    kind: ClassVar[str] = "ResponseError"


class ProviderError(CompletionError):
    """The provider reported an error, or its stream failed."""

    kind: ClassVar[str] = "ProviderError"


class PromptError(RigError):
    """The agent loop ended without a final answer; `chat_history` keeps the conversation."""

    def __init__(self, message: str, chat_history: list[AnyMessage]) -> None:
        super().__init__(message)
        self.chat_history = chat_history


class MaxTurnsError(PromptError):
    """The model still asked for tools when the turn budget ran out."""

    def __init__(self, max_turns: int, chat_history: list[AnyMessage], prompt: AnyMessage) -> None:
        super().__init__(f"MaxTurnError: (reached max turn limit: {max_turns})", chat_history)
        self.max_turns = max_turns
        self.prompt = prompt


class OutputValidationError(PromptError):
    """The final answer did not validate into the agent's `output_type`; `raw_text` keeps it."""

    def __init__(
        self, output_type: str, raw_text: str, errors: str, chat_history: list[AnyMessage]
    ) -> None:
        preview = raw_text if len(raw_text) <= 300 else raw_text[:300] + "..."
        super().__init__(
            f"OutputValidationError: the final answer is not a valid {output_type}: {errors}; "
            f"raw text: {preview!r}",
            chat_history,
        )
        self.output_type = output_type
        self.raw_text = raw_text
        self.errors = errors


class PromptCancelled(PromptError):
    """A hook, a Stop or a cancellation ended the run; `reason` says which."""

    def __init__(self, chat_history: list[AnyMessage], reason: str) -> None:
        super().__init__(f"PromptCancelled: {reason}", chat_history)
        self.reason = reason


class ToolError(RigError):
    """One tool failed: it raised, or its arguments did not match its parameters."""

    def __init__(self, message: str, *, kind: Literal["call", "json"] = "call") -> None:
        if kind == "json":
            text = f"JsonError: {message}"
        elif message.startswith("ToolCallError: "):
            text = message
        else:
            text = f"ToolCallError: {message}"
        super().__init__(text)
        self.kind = kind


class ToolSetError(RigError):
    """A tool set could not run a call."""

    @classmethod
    def from_tool_error(cls, error: ToolError) -> ToolSetError:
        """`ToolCallError: {error}`."""
        return cls(f"ToolCallError: {error}")

    @classmethod
    def interrupted(cls) -> ToolSetError:
        """The call was interrupted."""
        return cls("Tool call interrupted")


class ToolNotFoundError(ToolSetError):
    """No tool has that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"ToolNotFoundError: {name}")
        self.name = name


class ToolServerError(RigError):
    """The tool server failed; its text is what the model gets back as the tool result."""

    @classmethod
    def toolset(cls, error: ToolSetError) -> ToolServerError:
        """`Toolset error: {error}`."""
        return cls(f"Toolset error: {error}")

    @classmethod
    def definitions(cls, error: Exception) -> ToolServerError:
        """`Failed to retrieve tool definitions: {error}`."""
        return cls(f"Failed to retrieve tool definitions: {error}")


class StreamingError(RigError):
    """Raised by an agent stream; also an instance of `error`, the error it wraps."""

    error: RigError

    @staticmethod
    def wrap(error: RigError) -> StreamingError:
        """The streaming form of `error`: same class and attributes, spec's prefixed `str()`."""
        if isinstance(error, StreamingError):
            return error
        cls = _streaming_class(type(error))
        wrapped = cls.__new__(cls)
        wrapped.__dict__.update(error.__dict__)
        wrapped.args = error.args
        wrapped.error = error
        wrapped.__cause__ = error.__cause__
        return wrapped

    def __str__(self) -> str:
        inner = self.error
        if isinstance(inner, CompletionError):
            return f"CompletionError: {inner}"
        if isinstance(inner, PromptError):
            return f"PromptError: {inner}"
        return f"ToolSetError: {inner}"


_STREAMING_CLASSES: dict[type[RigError], type[StreamingError]] = {}


def _streaming_class(base: type[RigError]) -> type[StreamingError]:
    cls = _STREAMING_CLASSES.get(base)
    if cls is None:
        namespace: dict[str, Any] = {"__module__": __name__, "__doc__": StreamingError.__doc__}
        cls = type(f"Streaming{base.__name__}", (StreamingError, base), namespace)
        _STREAMING_CLASSES[base] = cls
    return cls
