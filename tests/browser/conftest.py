"""Real-browser fixtures: JupyterLab on 127.0.0.1 with a token, Debian's Chromium driven by Playwright.

No `playwright install`: Chromium is `/usr/bin/chromium` (scripts/setup installs it). Flags and server
options follow shared/design/notebook-runtime.md. Screenshots go to `artifacts/screenshots/`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from ..providers.loopback import LoopbackServer, Scripted

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("RIG_NB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SECRET_KEY = "sk-rig-nb-BROWSER-SECRET-0123456789abcdef"
OPENAI_TEXT = (ROOT / "tests" / "providers" / "fixtures" / "openai_chat" / "text.sse").read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def provider_server() -> Iterator[LoopbackServer]:
    """A fake OpenAI endpoint the kernels reach through OPENAI_BASE_URL: one answer, then a 401
    whose body echoes the key (as some providers do)."""
    echo = json.dumps({"error": {"message": f"Incorrect API key provided: {SECRET_KEY}"}}).encode()
    with LoopbackServer(
        Scripted.body(OPENAI_TEXT),
        Scripted.body(echo, status=401, content_type="application/json"),
    ) as server:
        yield server


class Lab:
    """A running JupyterLab and helpers to drive notebooks in it."""

    def __init__(self, url: str, token: str, root: Path) -> None:
        self.url, self.token, self.root = url, token, root

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def write(self, name: str, *cells: str) -> str:
        notebook = new_notebook(cells=[new_code_cell(source.strip()) for source in cells])
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(notebook, self.root / f"{name}.ipynb")
        return f"{name}.ipynb"

    def open(self, page: Any, path: str) -> None:
        """Open a notebook and wait until its kernel is idle."""
        page.goto(f"{self.url}/lab/tree/{path}?reset&token={self.token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(
            """() => {
                const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                return k && k.status === 'idle';
            }""",
            timeout=60_000,
        )

    @staticmethod
    def command(page: Any, command: str, args: dict[str, Any] | None = None) -> None:
        """Fire a JupyterLab command without waiting for it (run-all resolves only at the end)."""
        page.evaluate(
            "([c, a]) => { window.jupyterapp.commands.execute(c, a || {}); }", [command, args]
        )

    @staticmethod
    def run_cell(page: Any, index: int) -> None:
        """Run one cell as a user does: click into it, Shift+Enter."""
        page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")

    @staticmethod
    def kernel_print(page: Any, code: str) -> str:
        """Run code on the notebook's kernel (as the next cell would) and return what it printed."""
        return page.evaluate(
            """async (code) => {
                const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                const future = kernel.requestExecute({ code, store_history: false });
                let text = '';
                future.onIOPub = (msg) => {
                    if (msg.header.msg_type === 'stream') text += msg.content.text;
                    if (msg.header.msg_type === 'error') text += msg.content.ename + ': ' + msg.content.evalue;
                };
                const reply = await future.done;
                if (reply.content.status !== 'ok') text += `[execute ${reply.content.status}]`;
                return text;
            }""",
            code,
        )

    @staticmethod
    def output(page: Any, marker: str, timeout: float = 30_000) -> str:
        """The text of the first output that contains `marker`."""
        page.wait_for_function(
            "(m) => [...document.querySelectorAll('.jp-OutputArea-output')].some(e => e.textContent.includes(m))",
            arg=marker,
            timeout=timeout,
        )
        return page.evaluate(
            "(m) => [...document.querySelectorAll('.jp-OutputArea-output')].find(e => e.textContent.includes(m)).textContent",
            marker,
        )

    def close_all(self) -> None:
        """Shut down every kernel (between tests; 2 cores)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, provider_server: LoopbackServer) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("notebooks")
    settings = tmp_path_factory.mktemp("settings")
    (settings / "@jupyter-widgets" / "jupyterlab-manager").mkdir(parents=True)
    (
        settings / "@jupyter-widgets" / "jupyterlab-manager" / "plugin.jupyterlab-settings"
    ).write_text('{"saveState": true}')
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    ).write_text('{"fetchNews": "false", "checkForUpdates": false}')
    token, port = secrets.token_hex(16), _free_port()
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("workspaces")),
        "RIG_NB_TEST_KEY": SECRET_KEY,  # read by the secrets notebook, never written in it
        "RIG_NB_TEST_URL": provider_server.url + "/v1",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"):
        env.pop(name, None)  # the examples must take their offline path
    env.pop("RIG_NB_APPROVAL", None)
    env.pop("RIG_NB_HEADLESS_APPROVAL", None)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
        "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.extension_manager=readonly", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = (root / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    running = Lab(f"http://127.0.0.1:{port}", token, root)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                running.api("GET", "/api/status")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start:\n{(root / 'server.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        yield running
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: run scripts/setup (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, lab: Lab) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    lab.close_all()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def copy_example(lab: Lab, name: str) -> str:
    shutil.copy(ROOT / "examples" / f"{name}.ipynb", lab.root / f"{name}.ipynb")
    return f"{name}.ipynb"
