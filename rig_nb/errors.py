"""Every exception rig_nb raises. `str()` texts are a contract (spec 1.7): users log and match them.

```
RigError                     every error has `chat_history` (None unless a run ended with it)
├── UserError                misuse: bad configuration, bad arguments, a missing API key
├── CompletionError          the model call failed           "<Kind>: message"
│   ├── HttpError            "HttpError: ..."
│   │   ├── ProviderHTTPError        an HTTP error status (status_code, retry_after...)
│   │   ├── ProviderConnectionError  the server could not be reached
│   │   └── ProviderTimeoutError     connect or read timeout (a stalled stream)
│   ├── JsonError            "JsonError: ..."
│   ├── UrlError             "UrlError: ..."
│   ├── RequestError         "RequestError: ..."  the request could not be built
│   ├── ResponseError        "ResponseError: ..."
│   ├── ProviderError        "ProviderError: ..."  the provider failed, or its stream broke
│   └── ModelError           "ModelError: <ExcType>: ..."  a model raised a non-rig_nb exception
├── PromptError              the agent loop ended without an answer
│   ├── MaxTurnsError        "MaxTurnError: (reached max turn limit: N)"
│   ├── OutputValidationError the final answer is not the structured output asked for
│   ├── PromptCancelled      "PromptCancelled: reason"
│   └── HookError            "HookError: <hook method> raised <ExcType>: ..."
├── ToolError                one tool failed                 "ToolCallError: ..." / "JsonError: ..."
├── ToolSetError             "ToolCallError: ..." / "JsonError: ..." / "Tool call interrupted"
│   └── ToolNotFoundError    "ToolNotFoundError: name"
├── ToolServerError          "Toolset error: ..." / "Failed to retrieve tool definitions: ..."
└── StreamingError           raised by an agent stream; it is *also* an instance of the error it
                             wraps, so `except PromptCancelled` works around `async for`:
                             "CompletionError: ..." / "PromptError: ..." / "ToolSetError: ..." /
                             "UserError: ..." (the wrapped error's family, then its own text)
```

The agent loop sets `chat_history` on the error that ends a run: the input history, this run's
messages and the partly streamed turn (a list of `rig_nb.Message`s), so nothing is lost. Every
error pickles with its message, fields and `chat_history` (multiprocessing, joblib and Ray move
errors between processes); the streaming twins are ordinary classes of
`rig_nb._streaming_errors`, so they pickle by name too.

This module imports nothing of rig_nb (everything imports it): `chat_history` is typed as a list
of messages without naming their classes, and the twins register themselves here.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

__all__ = [
    "CompletionError",
    "HookError",
    "HttpError",
    "JsonError",
    "MaxTurnsError",
    "ModelError",
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


def _restore(cls: type[RigError], args: tuple[Any, ...]) -> RigError:
    """Unpickle an error without calling its `__init__` (whose signature varies by class)."""
    return cls.__new__(cls, *args)


def describe(exc: BaseException) -> str:
    """`"<ExcType>: <message>"`, or the type's name alone when the message is empty."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class RigError(Exception):
    """Base of every rig_nb error; `chat_history` is the conversation when it ended a run."""

    chat_history: list[Any] | None = None
    """Also for a subclass of your own whose `__init__` does not call ours."""

    def __init__(self, *args: object, chat_history: list[Any] | None = None) -> None:
        super().__init__(*args)
        self.chat_history = chat_history

    def __reduce__(self) -> tuple[Any, ...]:
        # The class, the exception's args, then every attribute (fields, `chat_history`, the
        # wrapped `error` of a streaming twin): the texts and fields survive another process.
        return (_restore, (type(self), self.args), self.__dict__)


class UserError(RigError):
    """rig_nb was used wrongly: the message says what was wrong and what to do."""


class CompletionError(RigError):
    """A model call failed. `chat_history` is set when the agent loop raised it."""

    kind: ClassVar[str] = "CompletionError"

    def __init__(self, message: str, *, chat_history: list[Any] | None = None) -> None:
        super().__init__(message, chat_history=chat_history)
        self.message = message

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


class ModelError(CompletionError):
    """A model's `stream()` raised something that is not a rig_nb error; it is the `__cause__`.

    A bug in a custom model, or a failed check in a test double such as `ScriptedModel`: never
    reported as a `ProviderError`, since no provider said anything.
    """

    kind: ClassVar[str] = "ModelError"

    @classmethod
    def from_exception(cls, exc: BaseException) -> ModelError:
        """`ModelError: <ExcType>: <message>` (raise it `from exc`)."""
        return cls(describe(exc))


class PromptError(RigError):
    """The agent loop ended without a final answer; `chat_history` keeps the conversation."""

    def __init__(self, message: str, chat_history: list[Any] | None = None) -> None:
        super().__init__(message, chat_history=chat_history)


class MaxTurnsError(PromptError):
    """The model still asked for tools when the turn budget ran out."""

    def __init__(self, max_turns: int, chat_history: list[Any], prompt: Any) -> None:
        super().__init__(f"MaxTurnError: (reached max turn limit: {max_turns})", chat_history)
        self.max_turns = max_turns
        self.prompt = prompt


class OutputValidationError(PromptError):
    """The final answer did not validate into the agent's `output_type`; `raw_text` keeps it."""

    def __init__(
        self, output_type: str, raw_text: str, errors: str, chat_history: list[Any]
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

    def __init__(self, chat_history: list[Any], reason: str) -> None:
        super().__init__(f"PromptCancelled: {reason}", chat_history)
        self.reason = reason


class HookError(PromptError):
    """A hook raised a non-rig_nb exception (its `__cause__`) or returned something not an action.

    `hook` names the method. A rig_nb error raised in a hook (a `UserError`, say) ends the run
    as itself instead.
    """

    def __init__(self, hook: str, detail: str, chat_history: list[Any] | None = None) -> None:
        super().__init__(f"HookError: {hook} {detail}", chat_history)
        self.hook = hook

    @classmethod
    def raised(
        cls, hook: str, exc: BaseException, chat_history: list[Any] | None = None
    ) -> HookError:
        """`HookError: <hook> raised <ExcType>: <message>` (raise it `from exc`)."""
        return cls(hook, f"raised {describe(exc)}", chat_history)


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

    summary: str | None = None
    """The failing tool's own error text (`ToolCallError: boom`), set by `from_tool_error`."""

    @classmethod
    def from_tool_error(cls, error: ToolError) -> ToolSetError:
        """`ToolCallError: {error}`: a tool raising "boom" is `ToolCallError: ToolCallError: boom`.

        That doubled prefix is rig's own text (spec T47); the model sees it as the tool's result.
        """
        made = cls(f"ToolCallError: {error}")
        made.summary = str(error)
        return made

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

    summary: str | None = None
    """What failed, with one prefix (`ToolCallError: boom`, `ToolNotFoundError: f`), for people;
    `str()` is rig's text (`Toolset error: ToolCallError: ToolCallError: boom`). Set by
    `toolset`."""

    @classmethod
    def toolset(cls, error: ToolSetError) -> ToolServerError:
        """`Toolset error: {error}`."""
        made = cls(f"Toolset error: {error}")
        made.summary = error.summary or str(error)
        return made

    @classmethod
    def definitions(cls, error: Exception) -> ToolServerError:
        """`Failed to retrieve tool definitions: {error}`."""
        return cls(f"Failed to retrieve tool definitions: {error}")


_FAMILIES: tuple[type[RigError], ...] = (
    CompletionError,
    PromptError,
    ToolSetError,
    UserError,
    ToolError,
    ToolServerError,
)


class StreamingError(RigError):
    """Raised by an agent stream; also an instance of `error`, the error it wraps.

    `wrap(error)` returns an instance of the error's twin (`StreamingProviderError` for a
    `ProviderError`...), which subclasses both `StreamingError` and the error's class, carries
    its attributes and keeps it as `error`. A subclass of your own gets the twin of its nearest
    rig_nb class; `error` is still your instance.
    """

    error: RigError

    @staticmethod
    def wrap(error: RigError) -> StreamingError:
        """The streaming form of `error`: same attributes, `str()` prefixed with its family."""
        if isinstance(error, StreamingError) and "error" in error.__dict__:
            return error
        cls = streaming_twin(type(error))
        wrapped = cls.__new__(cls, *error.args)
        wrapped.__dict__.update(error.__dict__)
        wrapped.error = error
        return wrapped

    def __str__(self) -> str:
        inner: RigError | None = self.__dict__.get("error")
        if inner is None:
            return super().__str__()
        family = next((f for f in _FAMILIES if isinstance(self, f)), RigError)
        return f"{family.__name__}: {inner}"


_TWINS: dict[type[RigError], type[StreamingError]] = {}


def register_streaming_twins(twins: dict[type[RigError], type[StreamingError]]) -> None:
    """Record the errors' streaming twins (`rig_nb._streaming_errors` calls it on import).

    The twins subclass this module's errors, so they live above it; `import rig_nb` imports them.
    """
    _TWINS.update(twins)


def streaming_twin(cls: type[RigError]) -> type[StreamingError]:
    """The twin of `cls`, or of its nearest rig_nb ancestor (`StreamingError` for `RigError`)."""
    for base in cls.__mro__:
        twin = _TWINS.get(base)
        if twin is not None:
            return twin
    return StreamingError
