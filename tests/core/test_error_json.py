"""Errors through JSON (a batch cache, a cassette): the same class, text, fields and conversation."""

from __future__ import annotations

import json
from typing import Any

import pytest

import rig_nb.errors as errors
from rig_nb import Message, Usage, UsageLimitExceeded
from rig_nb.core import error_from_json, error_to_json
from rig_nb.errors import RigError, StreamingError

HISTORY = [Message.user("hi"), Message.assistant("hello")]


def samples() -> list[RigError]:
    return [
        errors.UserError("bad option"),
        errors.ProviderHTTPError(
            provider="openai",
            status_code=429,
            provider_message="slow down",
            request_id="r1",
            body='{"error": 1}',
            headers={"retry-after": "2"},
            hint="Rate limited",
            retry_after=2.0,
        ),
        errors.ProviderConnectionError("refused"),
        errors.ProviderTimeoutError("read timeout"),
        errors.ProviderError("cut off", chat_history=HISTORY),
        errors.ModelError("ModelError: ValueError: x"),
        errors.MaxTurnsError(3, HISTORY, Message.user("hi")),
        errors.OutputValidationError("Label", "raw", "bad field", HISTORY),
        errors.PromptCancelled(HISTORY, "stopped"),
        errors.HookError("on_tool_call", "raised ValueError: x", HISTORY),
        errors.ToolNotFoundError("search"),
        UsageLimitExceeded(
            "max_total_tokens of 5 exceeded: 12",
            HISTORY,
            limit="max_total_tokens",
            value=5,
            used=12,
            usage=Usage(input_tokens=10, output_tokens=2, total_tokens=12),
            cost=0.25,
            requests=1,
        ),
    ]


@pytest.mark.parametrize("error", samples(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
def test_every_error_comes_back_whole(error: RigError, streaming: bool) -> None:
    if streaming:
        error = StreamingError.wrap(error)
        error.chat_history = HISTORY
    text = json.dumps(error_to_json(error))
    back: Any = error_from_json(json.loads(text))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.chat_history == error.chat_history
    public = {k: v for k, v in vars(error).items() if k not in ("error", "chat_history")}
    assert {k: v for k, v in vars(back).items() if k in public} == public
    if streaming:
        assert type(back.error) is type(error.error)


def test_an_error_class_that_is_gone_comes_back_as_a_rig_error_with_its_text() -> None:
    back = error_from_json({"class": "nowhere.module:Gone", "args": ["it failed"], "attrs": {}})
    assert isinstance(back, RigError) and "nowhere.module:Gone: it failed" in str(back)
