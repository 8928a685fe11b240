"""Many runs on one loop: the default client queues calls for its connections (never a connect
timeout), a pool timeout says what happened, and no certificate is loaded for `http://`."""

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from rig_nb import Agent, ProviderTimeoutError
from rig_nb.providers import HttpSettings, OpenAIChatModel

pytestmark = pytest.mark.anyio


def sse_body(text: str) -> bytes:
    chunks = [
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]},
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


class Server:
    """An HTTP/1.1 keep-alive SSE server on this loop; counts connections, open and in all."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.open = self.peak = self.connections = self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests += 1
                if self.delay:
                    await asyncio.sleep(self.delay)
                body = sse_body(f"answer {self.requests}")
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client closed the connection, or the test is over
        finally:
            self.open -= 1
            writer.close()


@asynccontextmanager
async def serving(delay: float = 0.0) -> AsyncIterator[tuple[Server, str]]:
    state = Server(delay)
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield state, f"http://127.0.0.1:{port}/v1"


async def test_a_thousand_runs_started_at_once_all_answer_on_the_default_client() -> None:
    async with serving() as (server, url):
        model = OpenAIChatModel("m", api_key="k", base_url=url)
        agent = Agent(model)
        answers = await asyncio.gather(*(agent.stream_prompt("go").send() for _ in range(1000)))
        await model.aclose()
    assert len(answers) == 1000 and all(a.response.startswith("answer ") for a in answers)
    assert server.requests == 1000
    limit = HttpSettings().max_connections
    # Queued for a connection, not connecting all at once (the server sees a connection the
    # client closed go a moment later, so a replacement may overlap it briefly).
    assert server.peak <= limit + 5
    # Connections are reused: far fewer than one per run (some are closed when the 50 ms drain
    # after [DONE] runs out on a loop this busy).
    assert server.connections < 500


async def test_a_call_that_waits_too_long_for_a_connection_says_so() -> None:
    settings = HttpSettings(max_connections=1, pool_timeout=0.2, max_retries=0)
    async with serving(delay=1.0) as (server, url):
        model = OpenAIChatModel("m", api_key="k", base_url=url, settings=settings)
        agent = Agent(model)
        results = await asyncio.gather(
            agent.stream_prompt("first").send(),
            agent.stream_prompt("second").send(),
            return_exceptions=True,
        )
        await model.aclose()
    answered = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(answered) == 1 and len(errors) == 1
    error = errors[0]
    assert isinstance(error, ProviderTimeoutError)
    text = str(error)
    assert "for a free connection" in text and "max_connections" in text, text
    assert "Semaphore" in text and "pool_timeout is 0.2 s" in text, text
    assert server.requests == 1  # the waiting call never reached the server


async def test_a_given_clients_pool_timeout_says_so_too() -> None:
    settings = HttpSettings(pool_timeout=0.2, max_retries=0)
    async with serving(delay=1.0) as (_server, url):
        client = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
        model = OpenAIChatModel(
            "m", api_key="k", base_url=url, settings=settings, http_client=client
        )
        agent = Agent(model)
        results = await asyncio.gather(
            agent.stream_prompt("first").send(),
            agent.stream_prompt("second").send(),
            return_exceptions=True,
        )
        await client.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], ProviderTimeoutError)
    assert "free connection" in str(errors[0]) and "httpx.Limits" in str(errors[0])


@pytest.fixture
def certificate_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every load of certificates: `ssl.create_default_context` and the context's loaders."""
    loads: list[str] = []
    create = ssl.create_default_context

    def spy_create(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        loads.append("create_default_context")
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", spy_create)
    for name in ("load_verify_locations", "set_default_verify_paths", "load_default_certs"):
        original = getattr(ssl.SSLContext, name)

        def spy(self: ssl.SSLContext, *args: Any, _name: str = name, _o: Any = original) -> Any:
            loads.append(_name)
            return _o(self, *args)

        monkeypatch.setattr(ssl.SSLContext, name, spy)
    return loads


async def test_a_client_for_an_http_url_loads_no_certificates(certificate_loads: list[str]) -> None:
    async with serving() as (_server, url):
        model = OpenAIChatModel("m", api_key="k", base_url=url)
        final = await Agent(model).stream_prompt("go").send()
        await model.aclose()
    assert final.response == "answer 1"
    assert certificate_loads == []


async def test_a_client_for_an_https_url_still_verifies_with_certificates(
    certificate_loads: list[str],
) -> None:
    model = OpenAIChatModel("m", api_key="k", base_url="https://api.example.com/v1")
    client = model._http._client()  # built on first use; no request is sent
    await model.aclose()
    assert client.is_closed
    assert "create_default_context" in certificate_loads


async def test_a_tls_connection_through_an_http_models_client_is_never_unverified() -> None:
    from rig_nb.providers._pool import _verify

    context = _verify("http://127.0.0.1:8000/v1")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []  # no authority: any certificate fails to verify


async def test_the_readmes_recipe_for_many_runs_runs_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's code for hundreds of runs, run as written against a loopback server."""
    import ast
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()  # noqa: ASYNC240
    section = readme.split("[start:performance]")[1].split("[end:performance]")[0]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    async with serving() as (server, url):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        namespace: dict[str, Any] = {"questions": [f"question {i}" for i in range(300)]}
        compiled = compile(code.group(1), "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        await eval(compiled, namespace)  # the README's own code
    answers = namespace["answers"]
    assert len(answers) == 300 and all(a.startswith("answer ") for a in answers)
    assert server.requests == 300 and server.peak <= 50 + 5
    assert namespace["client"].is_closed
