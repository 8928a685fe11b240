"""Errors: every public error and its streaming twin pickle whole, across processes too; `str()`
names the right class (issue 9, point 12)."""

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from multiprocessing.reduction import ForkingPickler

import pytest

import rig_nb.errors as errors
from rig_nb import (
    Agent,
    AssistantMessage,
    Image,
    Message,
    Reasoning,
    ReasoningEncrypted,
    ReasoningRedacted,
    ReasoningSummary,
    ReasoningText,
    SystemMessage,
    Text,
    ToolCall,
    ToolFunction,
    ToolResult,
    UserMessage,
)
from rig_nb._streaming_errors import twin_of
from rig_nb.core import Audio, Base64, DocumentContent, Raw, String, Unknown, Url, Video
from rig_nb.errors import (
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
from rig_nb.testing import ScriptedModel

# A conversation holding every message and content kind.
HISTORY = [
    SystemMessage(content="be terse"),
    UserMessage(
        content=[
            Text(text="look"),
            Image(data=Base64(value="aGk="), media_type="png", detail="low"),
            Image(data=Url(value="https://x/y.png")),
            Audio(data=Base64(value="UklG"), media_type="wav"),
            Video(data=Url(value="https://x/v.mp4"), media_type="mp4"),
            DocumentContent(data=String(value="a doc"), media_type="txt"),
            DocumentContent(data=Raw(value=[1, 2, 3])),
            DocumentContent(data=Unknown()),
        ]
    ),
    AssistantMessage(
        id="msg_1",
        content=[
            Text(text="thinking"),
            Reasoning(
                id="rs_1",
                content=[
                    ReasoningText(text="step", signature="sig"),
                    ReasoningSummary(text="sum"),
                    ReasoningEncrypted(data="enc"),
                    ReasoningRedacted(data="red"),
                ],
            ),
            ToolCall(
                id="t1",
                call_id="c1",
                function=ToolFunction(name="f", arguments={"x": [1, {"y": "é"}]}),
                signature="s",
                additional_params={"k": 1},
            ),
            Image(data=Base64(value="aGk="), media_type="jpeg"),
        ],
    ),
    UserMessage(
        content=[
            ToolResult(
                id="t1",
                call_id="c1",
                content=[Text(text="ok"), Image(data=Base64(value="aGk="), media_type="png")],
            )
        ]
    ),
    Message.assistant("done"),
]


def every_error() -> list[RigError]:
    """One instance of every public error class, fields and `chat_history` set."""
    http = ProviderHTTPError(
        provider="openai",
        status_code=429,
        provider_message="slow down",
        request_id="req_1",
        body='{"error": "slow down"}',
        headers={"retry-after": "120"},
        hint="wait",
        retry_after=120.0,
    )
    tool_error = ToolError("bad args", kind="json")
    made: list[RigError] = [
        RigError("base"),
        UserError("set OPENAI_API_KEY"),
        CompletionError("c"),
        HttpError("h"),
        http,
        ProviderConnectionError("refused"),
        ProviderTimeoutError("stalled"),
        JsonError("j"),
        UrlError("u"),
        RequestError("lone surrogate"),
        ResponseError("not json"),
        ProviderError("cut off"),
        ModelError.from_exception(ValueError("bug")),
        PromptError("p", HISTORY),
        MaxTurnsError(3, HISTORY, Message.user("")),
        OutputValidationError("Weather", '{"a": 1}', "city: Field required", HISTORY),
        PromptCancelled(HISTORY, "user pressed stop"),
        HookError.raised("on_tool_call", KeyError("k"), HISTORY),
        tool_error,
        ToolSetError.from_tool_error(ToolError("boom")),
        ToolNotFoundError("missing_tool"),
        ToolServerError.toolset(ToolSetError.from_tool_error(tool_error)),
        StreamingError.wrap(ProviderError("wrapped")),
    ]
    for error in made:
        error.chat_history = HISTORY
    return made


def roundtrip(error: BaseException, protocol: int = pickle.HIGHEST_PROTOCOL) -> BaseException:
    return pickle.loads(pickle.dumps(error, protocol=protocol))


def assert_same(got: BaseException, error: BaseException) -> None:
    assert type(got) is type(error)
    assert str(got) == str(error)
    assert got.args == error.args
    assert isinstance(got, RigError) and isinstance(error, RigError)
    assert got.chat_history == error.chat_history
    fields = {k: v for k, v in vars(error).items() if k != "error"}
    assert {k: v for k, v in vars(got).items() if k != "error"} == fields
    if isinstance(error, StreamingError):
        assert_same(got.error, error.error)  # type: ignore[attr-defined]


def test_every_public_error_class_is_covered() -> None:
    assert all(e.chat_history == HISTORY for e in every_error())
    covered = {type(e) for e in every_error()} - {type(every_error()[-1])}
    assert covered == {getattr(errors, name) for name in errors.__all__} - {StreamingError}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("error", every_error(), ids=lambda e: type(e).__name__)
def test_every_error_and_its_twin_pickle_whole(error: RigError, protocol: int) -> None:
    assert_same(roundtrip(error, protocol), error)
    twin = StreamingError.wrap(error)
    twin.chat_history = HISTORY
    got = roundtrip(twin, protocol)
    assert_same(got, twin)
    assert isinstance(got, StreamingError) and isinstance(got, type(error))
    assert_same(copy.copy(error), error)
    assert_same(copy.deepcopy(twin), twin)


def test_fields_survive_pickling() -> None:
    http = roundtrip(every_error()[4])
    assert isinstance(http, ProviderHTTPError)
    assert (http.status_code, http.retry_after, http.request_id) == (429, 120.0, "req_1")
    assert http.headers == {"retry-after": "120"} and http.provider_message == "slow down"
    hook = roundtrip(HookError.raised("on_text_delta", ValueError("v"), HISTORY))
    assert isinstance(hook, HookError) and hook.hook == "on_text_delta"
    assert str(hook) == "HookError: on_text_delta raised ValueError: v"
    turns = roundtrip(MaxTurnsError(2, HISTORY, Message.user("q")))
    assert isinstance(turns, MaxTurnsError)
    assert (turns.max_turns, turns.prompt) == (2, Message.user("q"))
    # Rebuilt from args, these used to gain a second prefix.
    assert str(roundtrip(ToolNotFoundError("f"))) == "ToolNotFoundError: f"
    assert str(roundtrip(ToolError("x", kind="json"))) == "JsonError: x"
    assert str(roundtrip(ToolError("ToolCallError: x"))) == "ToolCallError: x"


def test_forking_pickler_moves_errors_as_multiprocessing_does() -> None:
    for error in every_error():
        for item in (error, StreamingError.wrap(error)):
            item.chat_history = HISTORY
            assert_same(pickle.loads(ForkingPickler.dumps(item)), item)


def _fail_in_another_process(kind: str) -> None:
    """Run an agent in a child process and let its error travel back to the parent."""
    import asyncio

    if kind == "provider":
        model = ScriptedModel([["partial ", "answer", ProviderError("connection reset")]])
        asyncio.run(Agent(model).stream_chat("q", [Message.user("u0")]).send())
    raise HookError.raised("on_tool_call", KeyError("k"), HISTORY)


def test_errors_cross_a_real_process_boundary() -> None:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        provider = pool.submit(_fail_in_another_process, "provider").exception(timeout=60)
        hook = pool.submit(_fail_in_another_process, "hook").exception(timeout=60)
    assert type(provider).__name__ == "StreamingProviderError"
    assert isinstance(provider, ProviderError) and isinstance(provider, StreamingError)
    assert str(provider) == "CompletionError: ProviderError: connection reset"
    assert provider.chat_history == [
        Message.user("u0"),
        Message.user("q"),
        Message.assistant("partial answer"),
    ]
    assert isinstance(provider.error, ProviderError)
    assert isinstance(hook, HookError) and hook.chat_history == HISTORY
    assert str(hook) == "HookError: on_tool_call raised KeyError: 'k'"


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (UserError("no key"), "UserError: no key"),
        (ProviderError("boom"), "CompletionError: ProviderError: boom"),
        (ModelError.from_exception(ValueError("v")), "CompletionError: ModelError: ValueError: v"),
        (PromptCancelled([], "stop"), "PromptError: PromptCancelled: stop"),
        (
            HookError.raised("on_text_delta", ValueError()),
            "PromptError: HookError: on_text_delta raised ValueError",
        ),
        (ToolNotFoundError("f"), "ToolSetError: ToolNotFoundError: f"),
        (ToolError("x"), "ToolError: ToolCallError: x"),
        (ToolServerError("Toolset error: y"), "ToolServerError: Toolset error: y"),
        (RigError("plain"), "RigError: plain"),
    ],
)
def test_a_stream_error_names_its_family(error: RigError, text: str) -> None:
    wrapped = StreamingError.wrap(error)
    assert str(wrapped) == text
    assert wrapped.error is error and isinstance(wrapped, type(error))
    assert StreamingError.wrap(wrapped) is wrapped


def test_twins_are_fixed_module_classes_and_subclasses_get_their_ancestors() -> None:
    class MyKeyMissing(UserError):
        pass

    mine = MyKeyMissing("set MY_KEY")
    wrapped = StreamingError.wrap(mine)
    assert type(wrapped) is twin_of(UserError)
    assert type(wrapped) is type(StreamingError.wrap(UserError("other")))  # no class per call
    assert wrapped.error is mine and str(wrapped) == "UserError: set MY_KEY"
    assert twin_of(RigError) is StreamingError
    import rig_nb._streaming_errors as module

    for name in errors.__all__:
        cls = getattr(errors, name)
        if cls in (StreamingError, RigError):
            continue
        twin = twin_of(cls)
        assert getattr(module, twin.__qualname__) is twin
        assert twin.__module__ == module.__name__ and twin.__qualname__ == f"Streaming{name}"
        assert issubclass(twin, cls) and issubclass(twin, StreamingError)


def test_tool_error_texts_have_one_prefix_each_but_rigs_tool_result_text_stays() -> None:
    assert str(ToolError("boom")) == "ToolCallError: boom"
    assert str(ToolError("ToolCallError: boom")) == "ToolCallError: boom"
    assert str(ToolError("bad", kind="json")) == "JsonError: bad"
    # Spec 1.7 / T47: the tool set adds its own variant name, so the doubled prefix is rig's.
    nested = ToolServerError.toolset(ToolSetError.from_tool_error(ToolError("boom")))
    assert str(nested) == "Toolset error: ToolCallError: ToolCallError: boom"
