"""Quickstart: an agent with a tool, streamed to the terminal.

Runs offline on rig_nb's scripted model; the stream looks exactly like a real provider's.

    python examples/quickstart.py
"""

import asyncio

from rig_nb import (
    Agent,
    FinalResponse,
    StreamAssistantItem,
    StreamedText,
    StreamedToolCall,
    StreamUserItem,
    history_to_json,
    tool,
)
from rig_nb.testing import ScriptedModel, final, tool_call


@tool
def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: The city's name, e.g. "Paris".
    """
    return {"city": city, "temperature_c": 21, "sky": "clear"}


def scripted_model() -> ScriptedModel:
    """What a model would answer: a tool call, then a sentence using its result."""
    return ScriptedModel(
        [
            [
                "Let me check. ",
                tool_call("get_weather", {"city": "Paris"}),
                final(input_tokens=40, output_tokens=12, total_tokens=52),
            ],
            [
                "It is 21 °C ",
                "and clear in Paris.",
                final(input_tokens=75, output_tokens=9, total_tokens=84),
            ],
        ],
        chunk_delay=0.02,
    )


async def main() -> None:
    agent = Agent(scripted_model(), preamble="You are a terse assistant.", tools=[get_weather])
    history: list = []
    async for item in agent.stream_chat("What's the weather in Paris?", history).multi_turn(2):
        match item:
            case StreamAssistantItem(content=StreamedText(text=text)):
                print(text, end="", flush=True)
            case StreamAssistantItem(content=StreamedToolCall(tool_call=call)):
                print(f"\n[tool call] {call.function.name}({call.function.arguments})")
            case StreamUserItem(content=result):
                print(f"[tool result] {result.tool_result.content[0]}")
            case FinalResponse():
                print(f"\n[usage] {item.usage}")
                history += item.history or []
    print(f"[history] {len(history)} messages:")
    print(history_to_json(history, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
