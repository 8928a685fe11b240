"""Structured output: a pydantic model (or any type pydantic knows) for the final answer.

```python
class Weather(BaseModel):
    city: str
    temperature_c: float

agent = Agent(model, output_type=Weather)
final = await agent.stream_prompt("Weather in Paris, as JSON")
final.output            # Weather(city='Paris', temperature_c=21.0)
```

The JSON schema is sent to providers that take one (OpenAI, Responses, Gemini, Ollama; Anthropic
gets it as an instruction). An answer that does not validate raises `OutputValidationError`, which
keeps the raw text and the conversation.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter

__all__ = ["output_schema", "parse_output"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def output_schema(output_type: Any) -> dict[str, Any]:
    """The JSON schema of an output type."""
    return TypeAdapter(output_type).json_schema()


def parse_output(output_type: Any, text: str) -> Any:
    """Validate the final answer (JSON, possibly in a ```json fence) into `output_type`."""
    match = _FENCE.match(text)
    return TypeAdapter(output_type).validate_json(match.group(1) if match else text.strip())
