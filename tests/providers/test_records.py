"""Each provider family decodes its chunks at one place, into its typed record (`_records`)."""

import ast
from pathlib import Path

import pytest

from rig_nb.providers import _records

PROVIDERS = Path(_records.__file__).parent
FAMILIES = {
    "_openai_chat.py": "ChatChunk",
    "_openai_responses.py": "ResponsesEvent",
    "_anthropic.py": "AnthropicEvent",
    "_gemini.py": "GeminiChunk",
    "_ollama.py": "OllamaLine",
}


@pytest.mark.parametrize(("module", "record"), FAMILIES.items())
def test_one_decode_per_family_into_its_record(module: str, record: str) -> None:
    decodes = [
        node
        for node in ast.walk(ast.parse((PROVIDERS / module).read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("json_object", "decode_ndjson_line")
    ]
    assert len(decodes) == 1, f"{module} decodes chunks at {len(decodes)} places"
    (call,) = decodes
    assert isinstance(call.args[-1], ast.Name) and call.args[-1].id == record
    assert record in _records.__all__


def test_no_other_module_decodes_stream_chunks() -> None:
    for path in PROVIDERS.glob("*.py"):
        if path.name in FAMILIES or path.name in ("_base.py", "_ndjson.py", "_records.py"):
            continue
        assert "json_object(" not in path.read_text(), path.name
