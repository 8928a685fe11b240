"""What rig_nb.kernel produces, in each family's wire format: a prompt with an image, a PDF and a
text file (`user_message(..., attach=...)`), and a tool result with an image (a figure)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from PIL import Image as PILImage

from rig_nb import (
    AssistantMessage,
    RequestError,
    ToolCall,
    ToolFunction,
    ToolResult,
    UserMessage,
    user_message,
)
from rig_nb.core import CompletionRequest
from rig_nb.kernel import tool_output
from rig_nb.providers import (
    AnthropicModel,
    GeminiModel,
    OllamaModel,
    OpenAIChatModel,
    OpenAIResponsesModel,
)

PDF = b"%PDF-1.4\n%%EOF\n"
PDF_B64 = base64.b64encode(PDF).decode()


def png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    return buffer.getvalue()


PNG_B64 = base64.b64encode(png()).decode()


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    (tmp_path / "photo.png").write_bytes(png())
    (tmp_path / "report.pdf").write_bytes(PDF)
    (tmp_path / "notes.txt").write_text("line one\n")
    return [tmp_path / "photo.png", tmp_path / "report.pdf", tmp_path / "notes.txt"]


def history(files: list[Path], *, pdf: bool = True) -> tuple[list[Any], str]:
    """The prompt, a call of `chart`, and its result (a figure); the figure's PNG."""
    prompt = user_message("Look at these.", attach=files if pdf else [files[0], files[2]])
    figure = Figure(figsize=(1, 1), dpi=20)
    figure.add_subplot().plot([1, 2])
    out = tool_output(figure)
    assert out is not None
    result = ToolResult(id="c1", call_id="call_1", content=ToolResult.from_tool_output(out))
    assert [type(c).__name__ for c in result.content] == ["Text", "Image"]
    call = ToolCall(id="c1", call_id="call_1", function=ToolFunction(name="chart", arguments={}))
    messages = [prompt, AssistantMessage(content=[call]), UserMessage(content=[result])]
    return messages, out.images[0][1]


def body(model: Any, messages: list[Any]) -> dict[str, Any]:
    """The body as the provider gets it (encoded: some bodies splice pre-encoded messages)."""
    return json.loads(model._encode(model.build_body(CompletionRequest(chat_history=messages))))


def test_openai_chat(files: list[Path]) -> None:
    messages, image = history(files)
    sent = body(OpenAIChatModel("gpt-4o", api_key="sk-test"), messages)["messages"]
    parts = sent[0]["content"]
    assert parts[0]["type"] == "text" and parts[0]["text"].startswith(
        "Look at these.\n[attached: photo.png"
    )
    assert parts[1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG_B64}"},
    }
    assert parts[2] == {
        "type": "file",
        "file": {"filename": "document.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"},
    }
    assert parts[3] == {"type": "text", "text": "<file name: notes.txt>\nline one\n\n</file>"}
    assert sent[2]["role"] == "tool" and sent[2]["content"].startswith("matplotlib Figure")
    assert sent[3]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{image}"},
    }


def test_openai_responses(files: list[Path]) -> None:
    messages, image = history(files)
    sent = body(OpenAIResponsesModel("gpt-4o", api_key="sk-test"), messages)["input"]
    parts = sent[0]["content"]
    assert parts[1] == {
        "type": "input_image",
        "image_url": f"data:image/png;base64,{PNG_B64}",
        "detail": "auto",
    }
    assert parts[2] == {
        "type": "input_file",
        "filename": "document.pdf",
        "file_data": f"data:application/pdf;base64,{PDF_B64}",
    }
    assert parts[3]["type"] == "input_text" and "line one" in parts[3]["text"]
    output = sent[-1]
    assert output["type"] == "function_call_output" and output["call_id"] == "call_1"
    assert output["output"][0]["type"] == "input_text"
    assert output["output"][0]["text"].startswith("matplotlib Figure")
    assert output["output"][1] == {
        "type": "input_image",
        "image_url": f"data:image/png;base64,{image}",
        "detail": "auto",
    }
    text_only = UserMessage(
        content=[ToolResult(id="c1", call_id="call_1", content=ToolResult.from_tool_output("ok"))]
    )
    plain = body(OpenAIResponsesModel("gpt-4o", api_key="sk-test"), [*messages[:2], text_only])
    assert plain["input"][-1]["output"] == "ok"  # a text result stays a string


def test_anthropic(files: list[Path]) -> None:
    messages, image = history(files)
    sent = body(AnthropicModel("claude-sonnet-4-5", api_key="sk-test"), messages)["messages"]
    blocks = sent[0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
    }
    assert blocks[2] == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64},
    }
    assert blocks[3]["type"] == "text" and "line one" in blocks[3]["text"]
    result = sent[2]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "c1"
    assert result["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": image},
    }


def test_gemini(files: list[Path]) -> None:
    messages, image = history(files)
    sent = body(GeminiModel("gemini-2.5-flash", api_key="sk-test"), messages)["contents"]
    parts = sent[0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}
    assert parts[2] == {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}}
    assert "line one" in parts[3]["text"]
    response = sent[2]["parts"][0]["functionResponse"]
    assert response["name"] == "chart"
    assert response["response"]["result"].startswith("matplotlib Figure")
    assert response["parts"] == [{"inlineData": {"mimeType": "image/png", "data": image}}]


def test_ollama(files: list[Path]) -> None:
    messages, image = history(files, pdf=False)
    sent = body(OllamaModel("qwen2.5vl"), messages)["messages"]
    assert sent[0]["images"] == [PNG_B64] and "line one" in sent[0]["content"]
    assert sent[2]["role"] == "tool" and sent[2]["tool_name"] == "chart"
    assert sent[2]["content"].startswith("matplotlib Figure")
    # Images of a tool result follow it in a user message, as OpenAI chat sends them.
    assert sent[3] == {
        "role": "user",
        "content": "Images returned by the chart tool:",
        "images": [image],
    }
    with_pdf, _ = history(files)
    with pytest.raises(RequestError, match="ollama takes documents as text only"):
        body(OllamaModel("qwen2.5vl"), with_pdf)
