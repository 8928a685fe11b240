"""`ToolCallHookAction.cont(arguments=...)`: a hook runs a tool with other arguments (issue 10 point 9).

The history keeps the call as the model asked for it (its wire JSON stays valid for every provider)
and records what ran: the result's first part says so, for the model and for anyone reading it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    PromptHook,
    Text,
    ToolCall,
    ToolCallHookAction,
    ToolResult,
    UserError,
    UserMessage,
    history_from_json,
    history_to_json,
    tool,
)
from rig_nb.core import CompletionRequest
from rig_nb.core._hooks import edited_note
from rig_nb.providers import (
    AnthropicModel,
    GeminiModel,
    OllamaModel,
    OpenAIChatModel,
    OpenAIResponsesModel,
)
from rig_nb.testing import ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio

RAN: list[dict[str, Any]] = []


@tool
def move(path: str, to: str = "trash") -> dict[str, str]:
    """Move a file."""
    RAN.append({"path": path, "to": to})
    return {"moved": path, "to": to}


class Edit(PromptHook):
    def __init__(self, arguments: Any) -> None:
        self.arguments = arguments
        self.results: list[tuple[str, str]] = []

    async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
        return ToolCallHookAction.cont(arguments=self.arguments)

    async def on_tool_result(self, tool_name, tool_call_id, internal_call_id, args, result):
        self.results.append((args, result))


def model() -> ScriptedModel:
    return ScriptedModel(
        [[tool_call("move", {"path": "a.txt"}, id="c1"), final()], ["Moved.", final()]]
    )


@pytest.mark.parametrize(
    "edit", [{"path": "b.txt", "to": "archive"}, '{"path": "b.txt", "to": "archive"}']
)
async def test_the_tool_runs_with_the_edit_and_the_history_says_both(edit: Any) -> None:
    RAN.clear()
    hook = Edit(edit)
    scripted = model()
    answer = await Agent(scripted, tools=[move], hook=hook).stream_chat("tidy", [])
    assert RAN == [{"path": "b.txt", "to": "archive"}]
    ran = '{"path":"b.txt","to":"archive"}'
    assert hook.results == [(ran, '{"moved":"b.txt","to":"archive"}')]
    history = answer.history or []
    call = next(p for m in history if isinstance(m, AssistantMessage) for p in m.content)
    assert isinstance(call, ToolCall)
    assert call.function.arguments == {"path": "a.txt"}  # what the model asked, unchanged
    result = history[2]
    assert isinstance(result, UserMessage)
    part = result.content[0]
    assert isinstance(part, ToolResult) and part.id == "c1"
    assert part.content == [
        Text(text=edited_note(ran)),
        Text(text='{"moved":"b.txt","to":"archive"}'),
    ]
    # The model's next request carries the same: the note, then the result.
    assert scripted.requests[1].prompt == result
    assert history_from_json(history_to_json(history)) == history


def test_the_edited_history_makes_a_valid_request_for_every_provider() -> None:
    ran = '{"path":"b.txt"}'
    history = [
        UserMessage(content=[Text(text="tidy")]),
        AssistantMessage(
            content=[
                ToolCall.model_validate(
                    {
                        "id": "c1",
                        "call_id": "call_1",
                        "function": {"name": "move", "arguments": {"path": "a.txt"}},
                    }
                )
            ]
        ),
        UserMessage(
            content=[
                ToolResult(
                    id="c1",
                    call_id="call_1",
                    content=[Text(text=edited_note(ran)), Text(text="done")],
                )
            ]
        ),
    ]
    request = CompletionRequest(chat_history=history)
    for provider in (
        OpenAIChatModel("gpt-4o-mini", api_key="k"),
        OpenAIResponsesModel("o4-mini", api_key="k"),
        AnthropicModel("claude-sonnet-4-5", api_key="k"),
        GeminiModel("gemini-2.5-flash", api_key="k"),
        OllamaModel("qwen2.5"),
    ):
        # (encoded as sent: some bodies splice pre-encoded history messages since issue 11)
        body = json.dumps(json.loads(provider._encode(provider.build_body(request))))
        assert '\\"path\\": \\"a.txt\\"' in body or '"path": "a.txt"' in body, type(provider)
        assert "It ran with" in body and "b.txt" in body, type(provider)


async def test_an_edit_equal_to_the_call_adds_no_note() -> None:
    RAN.clear()
    answer = await Agent(model(), tools=[move], hook=Edit({"path": "a.txt"})).stream_chat("x", [])
    result = (answer.history or [])[2]
    assert isinstance(result, UserMessage)
    part = result.content[0]
    assert isinstance(part, ToolResult)
    assert [c.text for c in part.content if isinstance(c, Text)] == [
        '{"moved":"a.txt","to":"trash"}'
    ]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"x"', "must be a JSON object"),
    ],
)
def test_edited_arguments_that_are_not_a_json_object_are_a_clear_error(
    arguments: str, problem: str
) -> None:
    with pytest.raises(UserError, match=problem):
        ToolCallHookAction.cont(arguments=arguments)
    assert ToolCallHookAction.cont() is ToolCallHookAction.cont()
    assert ToolCallHookAction.cont(arguments={}).arguments == "{}"
