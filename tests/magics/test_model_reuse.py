"""`%%agent -m vendor:model` cells reuse their model and its connection; replaced and unloaded
models are closed (a real IPython shell, a real loopback OpenAI-format server)."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rig_nb.magics import session_for
from rig_nb.providers import OpenAIChatModel
from rig_nb.providers._http import ProviderClient

from ..providers.loopback import LoopbackServer, Scripted

pytestmark = pytest.mark.anyio


def answer(text: str) -> Scripted:
    chunks = [
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]},
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return Scripted.body(body.encode(), keep_alive=True)


@pytest.fixture
async def shell(shell: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    yield shell
    await session_for(shell).models.aclose()  # on the test's loop, where the connections live


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every client a model's HTTP layer handed out, once each, in order of first use."""
    seen: list[httpx.AsyncClient] = []
    original = ProviderClient._client

    def spy(self: ProviderClient) -> httpx.AsyncClient:
        client = original(self)
        if not any(c is client for c in seen):
            seen.append(client)
        return client

    monkeypatch.setattr(ProviderClient, "_client", spy)
    return seen


@pytest.fixture
def models(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The model object that streamed each call."""
    seen: list[Any] = []
    original = OpenAIChatModel.stream

    def spy(self: OpenAIChatModel, request: Any) -> Any:
        seen.append(self)
        return original(self, request)

    monkeypatch.setattr(OpenAIChatModel, "stream", spy)
    return seen


async def cell(ip: Any, source: str) -> Any:
    result = await ip.run_cell_async(source, transformed_cell=ip.transform_cell(source))
    assert result.success, result.error_in_exec
    return ip.user_ns["agent_result"]


async def test_the_same_spec_reuses_the_model_its_client_and_its_connection(
    shell: Any, monkeypatch: pytest.MonkeyPatch, clients: list[Any], models: list[Any]
) -> None:
    with LoopbackServer(answer("one"), answer("two"), answer("three")) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-one")
        for expected in ("one", "two", "three"):
            final = await cell(shell, "%%agent -m openai:gpt-test --no-widget\nHello")
            assert final.response == expected
    assert models[0] is models[1] is models[2]
    assert len(clients) == 1 and not clients[0].is_closed
    assert server.peers[0] == server.peers[1] == server.peers[2]  # one TCP connection


@pytest.mark.parametrize("change", ["key", "base URL"])
async def test_a_changed_key_or_base_url_is_another_spec_and_the_old_client_is_closed(
    change: str, shell: Any, monkeypatch: pytest.MonkeyPatch, clients: list[Any], models: list[Any]
) -> None:
    with (
        LoopbackServer(answer("one"), answer("two")) as first,
        LoopbackServer(answer("other")) as second,
    ):
        monkeypatch.setenv("OPENAI_BASE_URL", f"{first.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-one")
        assert (await cell(shell, "%%agent -m openai:gpt-test --no-widget\nHi")).response == "one"
        if change == "key":
            monkeypatch.setenv("OPENAI_API_KEY", "sk-test-two")
            expected, server = "two", first
        else:
            monkeypatch.setenv("OPENAI_BASE_URL", f"{second.url}/v1")
            expected, server = "other", second
        final = await cell(shell, "%%agent -m openai:gpt-test --no-widget\nHi")
        assert final.response == expected
    assert models[0] is not models[1]
    assert clients[0].is_closed and not clients[1].is_closed
    key = "sk-test-two" if change == "key" else "sk-test-one"
    assert server.requests[-1][1]["authorization"] == f"Bearer {key}"


async def test_two_specs_in_turn_keep_their_own_models(
    shell: Any, monkeypatch: pytest.MonkeyPatch, clients: list[Any], models: list[Any]
) -> None:
    with LoopbackServer(*(answer(t) for t in ("a", "b", "c", "d"))) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-one")
        for name in ("gpt-a", "gpt-b", "gpt-a", "gpt-b"):
            await cell(shell, f"%%agent -m openai:{name} --no-widget\nHi")
    assert models[0] is models[2] and models[1] is models[3] and models[0] is not models[1]
    assert not any(c.is_closed for c in clients)


async def test_unloading_the_extension_closes_every_model(
    shell: Any, monkeypatch: pytest.MonkeyPatch, clients: list[Any]
) -> None:
    with LoopbackServer(answer("one")) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-one")
        await cell(shell, "%%agent -m openai:gpt-test --no-widget\nHi")
        shell.run_line_magic("unload_ext", "rig_nb")  # sync code on the running loop
        for _ in range(50):
            if clients[0].is_closed:
                break
            await asyncio.sleep(0.01)
        assert clients[0].is_closed
        assert len(session_for(shell).models) == 0


def test_the_kernels_shutdown_closes_the_models_client(tmp_path: Any) -> None:
    from .kernel import Kernel

    marker = tmp_path / "closed.txt"
    with LoopbackServer(answer("one")) as server:
        kernel = Kernel()
        try:
            setup = f"""
import os, httpx
os.environ["OPENAI_BASE_URL"] = {server.url + "/v1"!r}
os.environ["OPENAI_API_KEY"] = "sk-test-one"
%load_ext rig_nb
"""
            assert not kernel.run(setup).errors
            ran = kernel.run("%%agent -m openai:gpt-test --no-widget\nHi")
            assert "one" in ran.stdout, ran.shown
            spy = f"""
_aclose = httpx.AsyncClient.aclose
async def _spy(self):
    await _aclose(self)
    with open({str(marker)!r}, "a") as f:
        f.write(f"closed={{self.is_closed}}\\n")
httpx.AsyncClient.aclose = _spy
"""
            assert not kernel.run(spy).errors
            assert not marker.exists()
        finally:
            kernel.manager.shutdown_kernel(now=False)  # a shutdown request, as a front end sends
            kernel.client.stop_channels()
    assert marker.read_text() == "closed=True\n"
