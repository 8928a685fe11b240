"""Model providers over httpx, addressed by `"vendor:model"` strings.

```python
from rig_nb.providers import model

gpt = model("openai:gpt-4o-mini")                        # key from OPENAI_API_KEY
claude = model("anthropic:claude-sonnet-4-5")            # ANTHROPIC_API_KEY
local = model("openai:qwen2.5", base_url="http://localhost:8000/v1")  # vLLM, llama.cpp...
```

| prefix | class | key | base URL |
|---|---|---|---|
| `openai` | `OpenAIChatModel` | `OPENAI_API_KEY` | `OPENAI_BASE_URL` |
| `openai-responses` | `OpenAIResponsesModel` | `OPENAI_API_KEY` | `OPENAI_BASE_URL` |
| `anthropic` | `AnthropicModel` | `ANTHROPIC_API_KEY` | `ANTHROPIC_BASE_URL` |
| `gemini` | `GeminiModel` | `GEMINI_API_KEY` / `GOOGLE_API_KEY` | `GEMINI_BASE_URL` |
| `ollama` | `OllamaModel` | none | `OLLAMA_HOST` |
| `openrouter` | `OpenAIChatModel` | `OPENROUTER_API_KEY` | openrouter.ai/api/v1 |
| `vllm`, `lmstudio`, `llamacpp` | `OpenAIChatModel` | none | their local default ports |
"""

from __future__ import annotations

import os
from typing import Any

from .._exports import publish as _publish
from ..errors import UserError
from ._anthropic import AnthropicModel, AnthropicResponse
from ._base import HttpModel
from ._gemini import GeminiModel, GeminiResponse
from ._ollama import OllamaModel, OllamaResponse
from ._openai_chat import OpenAIChatModel, OpenAIChatResponse
from ._openai_responses import OpenAIResponsesModel, OpenAIResponsesResponse
from ._settings import HttpSettings

__all__ = [
    "AnthropicModel",
    "AnthropicResponse",
    "GeminiModel",
    "GeminiResponse",
    "HttpModel",
    "HttpSettings",
    "model",
    "OllamaModel",
    "OllamaResponse",
    "OpenAIChatModel",
    "OpenAIChatResponse",
    "OpenAIResponsesModel",
    "OpenAIResponsesResponse",
]
_COMPATIBLE = {
    # prefix: (provider name, default base URL, key variable)
    "openrouter": ("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "vllm": ("vllm", "http://localhost:8000/v1", "VLLM_API_KEY"),
    "lmstudio": ("lmstudio", "http://localhost:1234/v1", "LMSTUDIO_API_KEY"),
    "llamacpp": ("llamacpp", "http://localhost:8080/v1", "LLAMACPP_API_KEY"),
}
_NATIVE: dict[str, type[HttpModel]] = {
    "openai": OpenAIChatModel,
    "openai-responses": OpenAIResponsesModel,
    "anthropic": AnthropicModel,
    "gemini": GeminiModel,
    "ollama": OllamaModel,
}


def model(spec: str, **kwargs: Any) -> HttpModel:
    """A model from a `"vendor:model"` string; `kwargs` go to the class (api_key, base_url...)."""
    vendor, sep, name = spec.partition(":")
    if not sep or not name:
        raise UserError(
            f"model {spec!r} is not 'vendor:model'; e.g. 'openai:gpt-4o-mini' "
            f"(vendors: {', '.join([*_NATIVE, *_COMPATIBLE])})"
        )
    vendor = vendor.strip().lower()
    if vendor in _NATIVE:
        return _NATIVE[vendor](name, **kwargs)
    if vendor in _COMPATIBLE:
        provider, base_url, key_env = _COMPATIBLE[vendor]
        kwargs.setdefault("base_url", base_url)
        kwargs.setdefault("api_key", os.environ.get(key_env))
        if vendor == "openrouter" and not kwargs["api_key"]:
            raise UserError(f"openrouter needs an API key: set {key_env} or pass api_key=...")
        return OpenAIChatModel(name, provider_name=provider, **kwargs)
    raise UserError(
        f"unknown model vendor {vendor!r} in {spec!r}; use one of "
        f"{', '.join([*_NATIVE, *_COMPATIBLE])}, or OpenAIChatModel(name, base_url=...) for any "
        "OpenAI-compatible server"
    )


_publish(globals(), __all__, __name__)
