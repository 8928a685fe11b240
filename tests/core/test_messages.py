"""Spec 1: the data model and its exact JSON (T04, T16, T49, T54-T56)."""

import json

import pytest
from pydantic import ValidationError

from rig_nb import (
    AssistantMessage,
    Audio,
    Base64,
    Document,
    DocumentContent,
    FinalResponse,
    Image,
    Message,
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
    StreamUserItem,
    SystemMessage,
    Text,
    ToolCall,
    ToolCallArgsDelta,
    ToolCallNameDelta,
    ToolFunction,
    ToolResult,
    Url,
    Usage,
    UserMessage,
    history_from_json,
    history_to_json,
    item_from_wire,
)
from rig_nb.core import Raw, String, ToolChoiceSpecific, Unknown, Video, message_text, rag_text
from rig_nb.testing import ScriptedResponse


def dumps(model) -> str:
    return model.model_dump_json()


def test_usage_adds_field_by_field() -> None:
    a = Usage(
        input_tokens=1,
        output_tokens=2,
        total_tokens=3,
        cached_input_tokens=4,
        cache_creation_input_tokens=5,
    )
    b = Usage(
        input_tokens=10,
        output_tokens=20,
        total_tokens=30,
        cached_input_tokens=40,
        cache_creation_input_tokens=50,
    )
    assert a + b == Usage(
        input_tokens=11,
        output_tokens=22,
        total_tokens=33,
        cached_input_tokens=44,
        cache_creation_input_tokens=55,
    )
    assert Usage() + Usage() == Usage()
    assert json.loads(dumps(Usage())) == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
        "cached_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }


def test_t56_message_json() -> None:
    assert (
        dumps(Message.assistant("hi")) == '{"role":"assistant","id":null,"content":[{"text":"hi"}]}'
    )
    assert dumps(Message.user("p")) == '{"role":"user","content":[{"type":"text","text":"p"}]}'
    result = Message.tool_result("t1", "ok", call_id="c1")
    assert dumps(result) == (
        '{"role":"user","content":[{"type":"toolresult","id":"t1","call_id":"c1",'
        '"content":[{"type":"text","text":"ok"}]}]}'
    )
    image = UserMessage(content=[Image(data=Base64(value="AAA="), media_type="png")])
    assert dumps(image) == (
        '{"role":"user","content":[{"type":"image","data":{"type":"base64","value":"AAA="},"media_type":"png"}]}'
    )
    for message in (Message.assistant("hi"), Message.user("p"), result, image):
        assert Message.from_wire(json.loads(dumps(message))) == message


def test_t16_system_message_round_trips() -> None:
    message = Message.system("You are concise.")
    assert dumps(message) == '{"role":"system","content":"You are concise."}'
    assert Message.from_wire(json.loads(dumps(message))) == message
    assert isinstance(message, SystemMessage)


def test_every_user_content_variant_round_trips() -> None:
    message = UserMessage(
        content=[
            Text(text="t"),
            ToolResult(id="a", content=[Text(text="x"), Image(data=Url(value="https://x/y.png"))]),
            Image(data=Base64(value="b64"), media_type="jpeg", detail="high", extra_key="kept"),
            Audio(data=Raw(value=[1, 2, 3]), media_type="mp3"),
            Video(data=Url(value="https://v"), media_type="mp4"),
            DocumentContent(data=String(value="doc"), media_type="txt"),
            DocumentContent(data=Unknown()),
        ]
    )
    wire = json.loads(dumps(message))
    assert [c["type"] for c in wire["content"]] == [
        "text",
        "toolresult",
        "image",
        "audio",
        "video",
        "document",
        "document",
    ]
    assert wire["content"][1] == {
        "type": "toolresult",
        "id": "a",
        "content": [
            {"type": "text", "text": "x"},
            {"type": "image", "data": {"type": "url", "value": "https://x/y.png"}},
        ],
    }
    assert wire["content"][2]["extra_key"] == "kept"
    assert wire["content"][6] == {"type": "document", "data": {"type": "unknown"}}
    assert Message.from_wire(wire) == message


def test_every_assistant_content_variant_round_trips() -> None:
    reasoning = Reasoning(
        id="rs",
        content=[
            ReasoningText(text="x", signature="sig"),
            ReasoningText(text="y"),
            ReasoningEncrypted(data="enc"),
            ReasoningRedacted(data="red"),
            ReasoningSummary(text="sum"),
        ],
    )
    call = ToolCall(
        id="t", call_id="c", function=ToolFunction(name="f", arguments={"a": 1}), signature="s"
    )
    message = AssistantMessage(
        id="msg_1", content=[Text(text="a"), reasoning, call, Image(data=Base64(value="i"))]
    )
    wire = json.loads(dumps(message))
    assert wire["content"][1] == {
        "id": "rs",
        "content": [
            {"type": "text", "content": {"text": "x", "signature": "sig"}},
            {"type": "text", "content": {"text": "y"}},
            {"type": "encrypted", "content": "enc"},
            {"type": "redacted", "content": {"data": "red"}},
            {"type": "summary", "content": "sum"},
        ],
    }
    assert wire["content"][2] == {
        "id": "t",
        "call_id": "c",
        "function": {"name": "f", "arguments": {"a": 1}},
        "signature": "s",
        "additional_params": None,
    }
    assert Message.from_wire(wire) == message


def test_t16_reasoning_helpers() -> None:
    assert Reasoning.multi(["a", "b"]).display_text() == "a\nb"
    redacted = Reasoning(content=[ReasoningRedacted(data="secret")])
    assert redacted.display_text() == "secret"
    assert redacted.first_text() is None
    encrypted = Reasoning(content=[ReasoningEncrypted(data="enc")])
    assert encrypted.display_text() == ""
    assert encrypted.encrypted_content() == "enc"
    summaries = Reasoning(content=[ReasoningSummary(text="s1"), ReasoningSummary(text="s2")])
    assert summaries.display_text() == "s1\ns2"
    signed = Reasoning(content=[ReasoningText(text="a"), ReasoningText(text="b", signature="sig")])
    assert signed.first_text() == "a"
    assert signed.first_signature() == "sig"
    for content in (
        ReasoningText(text="t", signature="s"),
        ReasoningEncrypted(data="e"),
        ReasoningRedacted(data="r"),
        ReasoningSummary(text="s"),
    ):
        block = Reasoning(id=None, content=[content])
        assert Reasoning.model_validate_json(dumps(block)) == block
    assert json.loads(dumps(Reasoning())) == {"id": None, "content": []}


def test_history_json_helpers_round_trip() -> None:
    history = [
        Message.system("s"),
        Message.user("u"),
        AssistantMessage(content=[ToolCall(id="t", function=ToolFunction(name="f"))]),
        Message.tool_result("t", '{"type":"image","data":"QUJD","mimeType":"image/gif"}'),
        Message.assistant("done", id="msg_9"),
    ]
    text = history_to_json(history)
    assert history_from_json(text) == history
    assert history_from_json(text.encode()) == history
    assert history_from_json(json.loads(text)) == history  # already parsed (a cache line's)
    assert json.loads(text)[3]["content"][0]["content"][0]["media_type"] == "gif"


def test_message_text_gives_every_part_a_line() -> None:
    call = ToolCall(id="t", function=ToolFunction(name="f", arguments={"x": 1}))
    assert message_text(Message.system("be brief")) == "be brief"
    assert message_text(Message.user("hi")) == "hi"
    assert message_text(AssistantMessage(content=[Text(text="let me look"), call])) == (
        "let me look\n[tool call] f({'x': 1})"
    )
    result = Message.tool_result("t", '{"type":"image","data":"QUJD","mimeType":"image/gif"}')
    assert message_text(result) == "[tool result] [image]"
    assert message_text(Message.tool_result("t", "42")) == "[tool result] 42"


def test_bad_message_json_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="unknown user content type 'bogus'"):
        Message.from_wire({"role": "user", "content": [{"type": "bogus"}]})
    with pytest.raises(ValidationError, match="role"):
        Message.from_wire({"role": "robot", "content": "x"})
    with pytest.raises(ValidationError):
        UserMessage(content=[])


def test_rag_text_and_coerce() -> None:
    assert (
        rag_text(
            UserMessage(content=[Image(data=Base64(value="x")), Text(text="a"), Text(text="b")])
        )
        == "a"
    )
    assert rag_text(Message.tool_result("t", "r")) is None
    assert rag_text(Message.assistant("x")) is None
    assert rag_text(Message.system("x")) is None
    assert Message.coerce("hi") == Message.user("hi")
    with pytest.raises(TypeError, match="expected a str or a Message"):
        Message.coerce(3)  # type: ignore[arg-type]


def test_t04_tool_result_preserves_multimodal_output() -> None:
    output = (
        '{"response":{"instruction":"Use the image part to answer."},'
        '"parts":[{"type":"image","data":"base64data==","mimeType":"image/png"}]}'
    )
    message = Message.tool_result("tool_call_1", output, call_id="call_1")
    assert message == UserMessage(
        content=[
            ToolResult(
                id="tool_call_1",
                call_id="call_1",
                content=[
                    Text(text='{"instruction":"Use the image part to answer."}'),
                    Image(data=Base64(value="base64data=="), media_type="png"),
                ],
            )
        ]
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("plain", [Text(text="plain")]),
        (
            '{"type":"image","data":"https://x/y.png","mimeType":"image/png"}',
            [Image(data=Url(value="https://x/y.png"), media_type="png")],
        ),
        ('{"response":"x"}', [Text(text='"x"')]),
        ('{"response":"é"}', [Text(text='"é"')]),
        (
            '{"parts":[{"type":"text","text":"t"}]}',
            [Text(text='{"parts":[{"type":"text","text":"t"}]}')],
        ),
        (
            '{"type":"image","data":"abc","mimeType":"image/bmp"}',
            [Image(data=Base64(value="abc"), media_type=None)],
        ),
        ("[1,2]", [Text(text="[1,2]")]),
        ("5", [Text(text="5")]),
        ('{"response":{"a": 1}, "parts": []}', [Text(text='{"a":1}')]),
        (
            '{"parts":[{"type":"image","data":"x"},{"type":"image","data":"http://h/i","mimeType":"image/webp"}]}',
            [Image(data=Url(value="http://h/i"), media_type="webp")],
        ),
    ],
)
def test_t49_from_tool_output(output: str, expected: list) -> None:
    assert ToolResult.from_tool_output(output) == expected


def test_image_media_type_from_mime() -> None:
    assert Image.media_type_from_mime("image/svg+xml") == "svg"
    assert Image.media_type_from_mime("image/jpeg") == "jpeg"
    assert Image.media_type_from_mime("text/plain") is None


def test_t54_final_response_json() -> None:
    final = FinalResponse(response="hi", aggregated_usage=Usage(total_tokens=3))
    assert dumps(final) == (
        '{"type":"finalResponse","response":"hi","aggregatedUsage":{"input_tokens":0,"output_tokens":0,'
        '"total_tokens":3,"cached_input_tokens":0,"cache_creation_input_tokens":0}}'
    )
    with_history = FinalResponse(
        response="hi", aggregated_usage=Usage(total_tokens=3), history=[Message.user("p")]
    )
    assert (
        dumps(with_history)
        == dumps(final)[:-1]
        + ',"history":[{"role":"user","content":[{"type":"text","text":"p"}]}]}'
    )
    assert item_from_wire(json.loads(dumps(with_history))) == with_history
    assert item_from_wire(json.loads(dumps(final))) == final
    assert FinalResponse.empty() == FinalResponse(
        response="", aggregated_usage=Usage(), history=None
    )
    assert with_history.usage is with_history.aggregated_usage
    assert with_history.text == "hi"


def test_t55_item_json() -> None:
    call = StreamAssistantItem(
        content=StreamedToolCall(
            tool_call=ToolCall(id="t1", function=ToolFunction(name="f")), internal_call_id="i1"
        )
    )
    assert dumps(call) == (
        '{"type":"streamAssistantItem","tool_call":{"id":"t1","call_id":null,"function":{"name":"f","arguments":{}},'
        '"signature":null,"additional_params":null},"internal_call_id":"i1"}'
    )
    result = StreamUserItem(
        content=StreamedToolResult(
            tool_result=ToolResult(id="t1", content=[Text(text="ok")]), internal_call_id="i1"
        )
    )
    assert dumps(result) == (
        '{"type":"streamUserItem","tool_result":{"id":"t1","content":[{"type":"text","text":"ok"}]},"internal_call_id":"i1"}'
    )
    delta = StreamAssistantItem(content=StreamedReasoningDelta(id=None, reasoning="x"))
    assert dumps(delta) == '{"type":"streamAssistantItem","id":null,"reasoning":"x"}'
    reasoning = StreamAssistantItem(content=Reasoning(id="rs", content=[ReasoningText(text="x")]))
    assert (
        dumps(reasoning) == '{"type":"streamAssistantItem","id":"rs",'
        '"content":[{"type":"text","content":{"text":"x"}}]}'
    )
    text = StreamAssistantItem(content=StreamedText(text="Hel"))
    assert dumps(text) == '{"type":"streamAssistantItem","text":"Hel"}'
    name = StreamAssistantItem(
        content=StreamedToolCallDelta(
            id="toolu_1", internal_call_id="i", content=ToolCallNameDelta(name="get")
        )
    )
    assert (
        dumps(name) == '{"type":"streamAssistantItem","id":"toolu_1",'
        '"internal_call_id":"i","content":{"Name":"get"}}'
    )
    args = StreamAssistantItem(
        content=StreamedToolCallDelta(
            id="toolu_1", internal_call_id="i", content=ToolCallArgsDelta(delta='{"a"')
        )
    )
    assert json.loads(dumps(args))["content"] == {"Delta": '{"a"'}
    for item in (call, result, delta, reasoning, text, name, args):
        assert item_from_wire(json.loads(dumps(item))) == item


def test_final_item_json_is_the_provider_object() -> None:
    item = StreamAssistantItem(
        content=StreamedFinal(response=ScriptedResponse(usage=Usage(total_tokens=15)))
    )
    wire = json.loads(dumps(item))
    assert wire == {
        "type": "streamAssistantItem",
        "usage": {
            "input_tokens": 0,
            "output_tokens": 0,
            "total_tokens": 15,
            "cached_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        },
    }
    parsed = item_from_wire(wire)
    assert isinstance(parsed, StreamAssistantItem)
    assert isinstance(parsed.content, StreamedFinal)
    assert parsed.content.response == {"usage": wire["usage"]}


def test_item_from_wire_rejects_unknown_type() -> None:
    with pytest.raises(ValueError, match="not a stream item"):
        item_from_wire({"type": "nope"})


def test_document_rendering_and_json() -> None:
    plain = Document(id="static_doc_0", text="hello")
    assert plain.render() == "<file id: static_doc_0>\nhello\n</file>\n"
    with_props = Document(id="d", text="body", additional_props={"b": "2", "a": 'q"1'})
    assert with_props.render() == '<file id: d>\n<metadata a: "q\\"1" b: "2" />\nbody\n</file>\n'
    assert json.loads(dumps(with_props)) == {"id": "d", "text": "body", "b": "2", "a": 'q"1'}
    assert Document.model_validate(json.loads(dumps(with_props))) == with_props
    normalized = Document.normalize([plain, with_props])
    assert normalized == UserMessage(
        content=[
            DocumentContent(data=String(value=plain.render()), media_type="txt"),
            DocumentContent(data=String(value=with_props.render()), media_type="txt"),
        ]
    )
    assert Document.normalize([]) is None


def test_tool_choice_specific_json() -> None:
    choice = ToolChoiceSpecific(function_names=["a", "b"])
    assert dumps(choice) == '{"specific":{"function_names":["a","b"]}}'
    assert ToolChoiceSpecific.model_validate(json.loads(dumps(choice))) == choice
