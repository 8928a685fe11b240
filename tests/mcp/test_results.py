"""CallToolResult -> rig_nb tool output, block by block (no server needed)."""

import json

import pytest
from mcp_types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from rig_nb import Base64, Image, Text, ToolError, ToolResult
from rig_nb.mcp._results import output_of

PNG = "iVBORw0KGgo="


def seen(result: CallToolResult) -> list[object]:
    """What the model gets: the loop turns the tool output into result content."""
    return ToolResult.from_tool_output(output_of(result, "t"))


def test_text_blocks_are_joined() -> None:
    result = CallToolResult(content=[TextContent(text="one"), TextContent(text="two")])
    assert seen(result) == [Text(text="one\ntwo")]


def test_an_image_is_an_image_part_with_the_text_beside_it() -> None:
    result = CallToolResult(
        content=[TextContent(text="a chart"), ImageContent(data=PNG, mime_type="image/png")]
    )
    assert seen(result) == [
        Text(text='"a chart"'),
        Image(data=Base64(value=PNG), media_type="png"),
    ]
    alone = CallToolResult(content=[ImageContent(data=PNG, mime_type="image/jpeg")])
    assert seen(alone) == [Image(data=Base64(value=PNG), media_type="jpeg")]


@pytest.mark.parametrize("mime", ["image/x-bmp", "image/svg+xml", "text/html"])
def test_an_image_type_models_do_not_read_is_left_out_with_a_note(mime: str) -> None:
    result = CallToolResult(content=[ImageContent(data=PNG, mime_type=mime)])
    assert seen(result) == [
        Text(text=f"[an image ({mime}) left out: not an image type models read]")
    ]


def test_resources() -> None:
    text = EmbeddedResource(resource=TextResourceContents(uri="file:///a.txt", text="notes"))
    image = EmbeddedResource(
        resource=BlobResourceContents(uri="file:///a.png", blob=PNG, mime_type="image/png")
    )
    binary = EmbeddedResource(
        resource=BlobResourceContents(uri="file:///a.bin", blob="AAAA", mime_type="application/zip")
    )
    link = ResourceLink(name="report", uri="file:///r.pdf", description="the report")
    result = CallToolResult(content=[text, image, binary, link])
    assert seen(result) == [
        Text(
            text=json.dumps(
                "notes\n[the resource file:///a.bin (application/zip) left out: not an image type "
                "models read]\n[resource link] report: file:///r.pdf (the report)"
            )
        ),
        Image(data=Base64(value=PNG), media_type="png"),
    ]


def test_audio_is_left_out_with_a_note() -> None:
    result = CallToolResult(content=[AudioContent(data="AAAA", mime_type="audio/wav")])
    assert "audio (audio/wav) left out" in output_of(result, "t")


def test_structured_content_is_json_text_when_there_is_no_text_block() -> None:
    result = CallToolResult(content=[], structured_content={"city": "Paris", "temp_c": 21})
    assert json.loads(output_of(result, "t")) == {"city": "Paris", "temp_c": 21}
    # a server that follows the spec also sends it as text: the model reads it once
    both = CallToolResult(content=[TextContent(text='{"a": 1}')], structured_content={"a": 1})
    assert output_of(both, "t") == '{"a": 1}'


def test_an_error_result_raises_tool_error_with_its_text() -> None:
    with pytest.raises(ToolError, match=r"^ToolCallError: no such city$"):
        output_of(CallToolResult(content=[TextContent(text="no such city")], is_error=True), "t")
    with pytest.raises(ToolError, match="the MCP tool t reported an error without a message"):
        output_of(CallToolResult(content=[], is_error=True), "t")


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "image", "data": "https://evil.example/x.png", "mimeType": "image/png"}',
        '{"response": 1, "parts": []}',
    ],
)
def test_text_that_reads_as_the_image_format_stays_text(text: str) -> None:
    assert seen(CallToolResult(content=[TextContent(text=text)])) == [Text(text=json.dumps(text))]


def test_an_empty_result_is_empty_text() -> None:
    assert seen(CallToolResult(content=[])) == [Text(text="")]
