"""The request of one model call (spec 2.2 T6)."""

from __future__ import annotations

import asyncio
import json

from ..errors import RequestError, ToolServerError
from ._messages import AnyMessage, Document, Message, rag_text
from ._model import CompletionRequest
from ._spec import AgentSpec

__all__ = ["build_request"]


async def build_request(
    agent: AgentSpec, prompt: AnyMessage, snapshot: list[AnyMessage]
) -> CompletionRequest:
    """System preamble, history and prompt; static and dynamic documents; tool definitions.

    The RAG text is the prompt's, or else (a tool-result turn) the latest user text in the
    history. A failing context search or tool definition is a `RequestError`.
    """
    rag = rag_text(prompt)
    if rag is None:
        rag = next((t for m in reversed(snapshot) if (t := rag_text(m)) is not None), None)
    documents = list(agent.static_context)
    if rag is not None and agent.dynamic_context:
        searches = [index.top_n(rag, n) for n, index in agent.dynamic_context]
        try:
            found = await asyncio.gather(*searches)
            for hits in found:
                for _score, doc_id, doc in hits:
                    text = json.dumps(doc, indent=2, ensure_ascii=False)
                    documents.append(Document(id=doc_id, text=text))
        except Exception as exc:
            raise RequestError(f"dynamic context search failed: {exc}") from exc
    try:
        tools = agent.tools.definitions(rag or "")
    except Exception as exc:
        error = ToolServerError.definitions(exc)
        raise RequestError(f"Failed to get tool definitions: {error}") from exc
    system: list[AnyMessage] = [Message.system(agent.preamble)] if agent.preamble else []
    return CompletionRequest(
        chat_history=[*system, *snapshot, prompt],
        documents=documents,
        tools=tools,
        temperature=agent.temperature,
        max_tokens=agent.max_tokens,
        tool_choice=agent.tool_choice,
        additional_params=agent.additional_params,
        output_schema=agent.output_schema,
    )
