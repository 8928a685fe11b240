"""Configuring each provider family. Runs a real model for every key that is set; offline it
replays a recorded OpenAI stream through the same code path.

    python examples/providers.py            # offline
    OPENAI_API_KEY=sk-... python examples/providers.py
"""

import asyncio
import os

from rig_nb import Agent, model, tool
from rig_nb.providers import (
    AnthropicModel,
    GeminiModel,
    HttpSettings,
    OllamaModel,
    OpenAIChatModel,
)


@tool
def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: The city's name.
    """
    return {"city": city, "temperature_c": 21}


# Each family, configured explicitly (keys and base URLs also come from the environment).
FAMILIES = {
    "OPENAI_API_KEY": lambda: OpenAIChatModel("gpt-4o-mini"),
    "ANTHROPIC_API_KEY": lambda: AnthropicModel("claude-sonnet-4-5"),
    "GEMINI_API_KEY": lambda: GeminiModel("gemini-2.5-flash"),
    "OPENROUTER_API_KEY": lambda: model("openrouter:openai/gpt-4o-mini"),
}
# Reasoning models on the Responses API send their encrypted reasoning back each turn:
#   Agent(OpenAIResponsesModel("o4-mini"), additional_params={"reasoning": {"effort": "low"}})
# Local servers need no key: Ollama natively, or anything OpenAI-compatible by base URL.
LOCAL = {
    "ollama": lambda: OllamaModel("qwen2.5"),  # OLLAMA_HOST, default http://localhost:11434
    "vllm": lambda: OpenAIChatModel(
        "Qwen/Qwen2.5-7B-Instruct", base_url="http://localhost:8000/v1"
    ),
    "llama.cpp": lambda: model("llamacpp:default"),
    "lm studio": lambda: model("lmstudio:qwen2.5-7b-instruct"),
}
PATIENT = HttpSettings(read_timeout=300, max_retries=4)  # for slow local models


async def ask(agent: Agent, label: str) -> None:
    answer = await agent.stream_chat("What's the weather in Paris? One sentence.", []).multi_turn(2)
    print(f"{label}: {answer.response!r}  [{answer.usage.total_tokens} tokens]")


async def offline() -> None:
    """The OpenAI family against a recorded stream: the code path of a real call, no network."""
    from pathlib import Path

    from rig_nb.testing.http import ReplayTransport, Reply

    fixtures = Path(__file__).parent.parent / "tests" / "providers" / "fixtures" / "openai_chat"
    transport = ReplayTransport(Reply.file(fixtures / "text.sse"))
    recorded = OpenAIChatModel("gpt-4o-mini", api_key="offline", http_client=transport.client())
    await ask(Agent(recorded, tools=[get_weather]), "openai (recorded)")
    print("request body sent:", transport.bodies()[0]["messages"])


async def main() -> None:
    ran = False
    for variable, make in FAMILIES.items():
        if os.environ.get(variable):
            await ask(Agent(make(), tools=[get_weather], max_tokens=200), variable)
            ran = True
    if not ran:
        print("No provider key set; replaying a recorded stream instead.")
        await offline()
    for name, make in LOCAL.items():
        print(f"{name}: {make()!r}")


if __name__ == "__main__":
    asyncio.run(main())
