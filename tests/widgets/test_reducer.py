"""The view's reducer: every item kind folds into plain JSON state."""

import json

from rig_nb import (
    Base64,
    FinalResponse,
    Image,
    Reasoning,
    ReasoningEncrypted,
    ReasoningSummary,
    ReasoningText,
    StreamAssistantItem,
    StreamedFinal,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
    StreamedToolResult,
    StreamUserItem,
    Text,
    ToolCall,
    ToolCallArgsDelta,
    ToolCallNameDelta,
    ToolFunction,
    ToolResult,
    Url,
    Usage,
)
from rig_nb.testing import ScriptedResponse
from rig_nb.widgets._reducer import ViewState
from rig_nb.widgets._transcript import transcript_html, transcript_text


def a(content) -> StreamAssistantItem:
    return StreamAssistantItem(content=content)


def test_text_reasoning_tools_results_usage_and_final() -> None:
    view = ViewState("Weather?")
    items = [
        a(StreamedReasoningDelta(id=None, reasoning="Think")),
        a(StreamedReasoningDelta(id=None, reasoning="ing.")),
        a(Reasoning(id=None, content=[ReasoningText(text="Thinking.", signature="s")])),
        a(StreamedText(text="Let me ")),
        a(StreamedText(text="check.")),
        a(
            StreamedToolCallDelta(
                id="t1", internal_call_id="i1", content=ToolCallNameDelta(name="get_weather")
            )
        ),
        a(
            StreamedToolCallDelta(
                id="t1", internal_call_id="i1", content=ToolCallArgsDelta(delta='{"city":')
            )
        ),
        a(
            StreamedToolCallDelta(
                id="t1", internal_call_id="i1", content=ToolCallArgsDelta(delta='"Paris"}')
            )
        ),
        a(
            StreamedToolCall(
                tool_call=ToolCall(
                    id="t1", function=ToolFunction(name="get_weather", arguments={"city": "Paris"})
                ),
                internal_call_id="i1",
            )
        ),
        a(
            StreamedFinal(
                response=ScriptedResponse(
                    usage=Usage(input_tokens=5, output_tokens=3, total_tokens=8)
                )
            )
        ),
        StreamUserItem(
            content=StreamedToolResult(
                tool_result=ToolResult(
                    id="t1",
                    content=[
                        Text(text='{"temp": 21}'),
                        Image(data=Base64(value="AAAA"), media_type="png"),
                        Image(data=Url(value="https://x/y.jpg")),
                    ],
                ),
                internal_call_id="i1",
            )
        ),
        a(StreamedText(text="It is 21.")),
        FinalResponse(response="It is 21.", aggregated_usage=Usage(total_tokens=20)),
    ]
    for item in items:
        view.apply(item)
    state = view.snapshot()
    assert state["status"] == "done"
    assert state["final"] == "It is 21."
    assert [b["kind"] for b in state["blocks"]] == ["reasoning", "text", "tool", "text"]
    reasoning, text, tool, answer = state["blocks"]
    # The deltas and their finished block are shown once, not twice.
    assert reasoning == {"kind": "reasoning", "turn": 0, "text": "Thinking.", "done": True}
    assert text == {"kind": "text", "turn": 0, "text": "Let me check."}
    assert tool["name"] == "get_weather" and tool["status"] == "done" and tool["call_id"] == "t1"
    assert json.loads(tool["args"]) == {"city": "Paris"}
    assert tool["result"] == {
        "text": '{\n  "temp": 21\n}',
        "json": True,
        "images": [{"mime": "image/png", "data": "AAAA"}, {"url": "https://x/y.jpg"}],
        "rich": None,  # a plain result has no rich view
    }
    assert tool["code"] is None  # get_weather shows no argument as code
    assert answer["turn"] == 1
    assert state["usage"]["turns"] == [
        {
            "turn": 0,
            "input_tokens": 5,
            "output_tokens": 3,
            "total_tokens": 8,
            "cached_input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cost": None,  # issue 12.5: a call's cost, known once the run ended
        }
    ]
    assert state["usage"]["total"]["total_tokens"] == 20
    json.dumps(state)  # plain JSON all the way down
    assert view.text() == "Let me check.It is 21."


def test_summaries_and_encrypted_parts_of_one_block() -> None:
    view = ViewState()
    view.apply(a(Reasoning(id="rs", content=[ReasoningSummary(text="Summary.")])))
    view.apply(a(Reasoning(id="rs", content=[ReasoningEncrypted(data="xyz")])))
    assert [b["text"] for b in view.state["blocks"]] == ["Summary."]


def test_approvals_notices_and_failure() -> None:
    view = ViewState()
    view.apply(
        a(
            StreamedToolCall(
                tool_call=ToolCall(id="t", function=ToolFunction(name="rm")), internal_call_id="i"
            )
        )
    )
    view.tool_status("i", "waiting")
    assert view.state["status"] == "waiting"
    assert view.tool_name("i") == "rm"
    view.tool_status("i", "skipped", "too risky")
    assert view.state["status"] == "running"
    view.notice("headless: skipped")
    view.apply(
        a(
            StreamedToolCall(
                tool_call=ToolCall(id="u", function=ToolFunction(name="ls")), internal_call_id="j"
            )
        )
    )
    view.fail("Stopped: user pressed stop", cancelled=True)
    state = view.snapshot()
    assert state["status"] == "cancelled" and state["error"] == "Stopped: user pressed stop"
    assert [b["status"] for b in state["blocks"]] == ["skipped", "skipped"]
    assert state["blocks"][1]["decision"] == "not run: the run ended"
    assert state["notices"] == ["headless: skipped"]


def test_transcripts_escape_everything() -> None:
    view = ViewState()
    view.apply(a(StreamedText(text="<script>window.__pwned=1</script> & <b>bold</b>")))
    view.fail("<img src=x onerror=alert(1)>")
    html = transcript_html(view.snapshot())
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    text = transcript_text(view.snapshot())
    assert text.splitlines() == [
        "<script>window.__pwned=1</script> & <b>bold</b>",
        "[error] <img src=x onerror=alert(1)>",
    ]


def test_failed_tool_calls_show_as_errors_on_their_card() -> None:
    view = ViewState()
    view.apply(
        a(
            StreamedToolCall(
                tool_call=ToolCall(id="t", function=ToolFunction(name="ghost")),
                internal_call_id="i",
            )
        )
    )
    failure = "Toolset error: ToolNotFoundError: ghost"
    view.apply(
        StreamUserItem(
            content=StreamedToolResult(
                tool_result=ToolResult(id="t", content=[Text(text=failure)]),
                internal_call_id="i",
                error="ToolNotFoundError: ghost",
            )
        )
    )
    block = view.state["blocks"][0]
    assert (block["status"], block["decision"]) == ("error", "ToolNotFoundError: ghost")
