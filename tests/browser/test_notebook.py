"""The notebook as a user sees it: JupyterLab in Chromium, clicks and all."""

from __future__ import annotations

import time
from typing import Any

from .conftest import SECRET_KEY, Lab, copy_example, screenshot

SAMPLER = """() => {
    window.__samples = [];
    window.__sampler = setInterval(() => {
        const body = document.querySelector('.rig-nb .rig-body');
        if (!body) return;
        const text = body.textContent;
        if (window.__samples[window.__samples.length - 1] !== text) window.__samples.push(text);
    }, 5);
}"""

KERNEL_STATUS = "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"

SETUP = """
%load_ext rig_nb
from rig_nb import tool
from rig_nb.testing import Delay, ScriptedModel, final, tool_call, words

deleted = []

@tool
def delete_file(path: str) -> str:
    \"\"\"Delete a file.\"\"\"
    deleted.append(path)
    return f"deleted {path}"

model = ScriptedModel([
    ["I will delete it. ", tool_call("delete_file", {"path": "a.txt"}), final(total_tokens=10)],
    [*words("All done here."), final(total_tokens=20)],
])
"""
CHECK = """
result = [m.content[0].content[0].text for m in agent_history if m.role == "user" and m.content[0].__class__.__name__ == "ToolResult"]
print("CHECK", deleted, "|", agent_result.response if "agent_result" in dir() else None, "|", len(agent_history), "|", result)
"""


def run_and_wait_for_approval(lab: Lab, page: Any, name: str, *cells: str) -> None:
    lab.open(page, lab.write(name, *cells))
    lab.command(page, "notebook:run-all-cells")
    page.wait_for_selector(".rig-approve", timeout=30_000)


def test_quickstart_streams_progressively_and_ends_complete(lab: Lab, page: Any) -> None:
    lab.open(page, copy_example(lab, "quickstart"))
    page.evaluate(SAMPLER)
    lab.command(page, "notebook:run-all-cells")
    text = lab.output(page, "messages;")
    assert "It is **21 °C** and clear in Paris, with a light breeze." in text
    assert "4 messages; 168 tokens" in text
    first = page.locator(".rig-nb").first
    page.wait_for_function("() => document.querySelector('.rig-nb').dataset.status === 'done'")
    body = first.locator(".rig-body").inner_text()
    assert "It is 21 °C and clear in Paris, with a light breeze." in body  # **21 °C** rendered bold
    assert first.locator(".rig-body strong").first.inner_text() == "21 °C"
    assert "get_weather" in first.locator(".rig-tool-name").inner_text()
    usage = first.locator(".rig-usage").inner_text()
    assert "total: 143 in · 25 out · 168 total" in usage
    samples: list[str] = page.evaluate("() => window.__samples")
    partial = [s for s in samples if "It is" in s and "breeze." not in s]
    assert len(partial) >= 3, samples  # several distinct renders before the end
    lab.output(page, "['user', 'assistant', 'user', 'assistant', 'user', 'assistant']")
    screenshot(page, "quickstart-light")
    lab.command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=15_000)
    page.wait_for_timeout(500)
    screenshot(page, "quickstart-dark")
    lab.command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=15_000)


def test_approve_runs_the_tool_and_the_next_cell_sees_the_result(lab: Lab, page: Any) -> None:
    run_and_wait_for_approval(
        lab,
        page,
        "approve",
        SETUP,
        "%%agent -m model -t delete_file --approve ask\nDelete a.txt",
        CHECK,
    )
    assert page.locator(".rig-nb").first.get_attribute("data-status") == "waiting"
    page.click(".rig-approve")
    text = lab.output(page, "CHECK")
    assert "CHECK ['a.txt'] | I will delete it. All done here." not in text  # final turn only
    assert "CHECK ['a.txt'] | All done here. | 4 | ['deleted a.txt']" in text
    assert page.locator(".rig-tool").first.get_attribute("class") == "rig-tool rig-tool-done"


def test_skip_sends_the_reason_to_the_model(lab: Lab, page: Any) -> None:
    run_and_wait_for_approval(
        lab, page, "skip", SETUP, "%%agent -m model -t delete_file\nDelete a.txt", CHECK
    )
    page.fill(".rig-reason", "keep a.txt, it is needed")
    page.click(".rig-skip")
    text = lab.output(page, "CHECK")
    assert (
        "CHECK [] | All done here. | 4 | ['The user declined to run this tool: keep a.txt, it is needed']"
        in text
    )


def test_terminate_ends_the_run_with_a_clear_message(lab: Lab, page: Any) -> None:
    run_and_wait_for_approval(
        lab,
        page,
        "terminate",
        SETUP,
        "%%agent -m model -t delete_file\nDelete a.txt",
        'print("CHECK", deleted, "|", agent_error, "|", [(m.role, m.content[0].text) for m in agent_history])',
    )
    page.click(".rig-terminate")
    text = lab.output(page, "CHECK")
    # Terminate keeps what Stop keeps: the partial turn (issue 9, point 11), not the call it refused.
    assert (
        "CHECK [] | PromptError: PromptCancelled: terminated by the user | "
        "[('user', 'Delete a.txt'), ('assistant', 'I will delete it. ')]"
    ) in text
    banner = page.locator(".rig-banner").first.inner_text()
    assert banner == "Stopped: terminated by the user"


def test_stop_mid_stream_keeps_the_partial_history(lab: Lab, page: Any) -> None:
    lab.open(
        page,
        lab.write(
            "stop",
            SETUP,
            "slow = ScriptedModel([[*[s for w in words('one two three four five six seven eight nine ten') for s in (w, Delay(0.15))], final()]])",
            "%%agent -m slow\nCount to ten slowly.",
            'print("CHECK", agent_error.reason, "|", agent_history[-1].content[0].text)',
        ),
    )
    lab.command(page, "notebook:run-all-cells")
    page.wait_for_function(
        "() => { const b = document.querySelector('.rig-nb .rig-body'); return b && b.textContent.includes('three'); }",
        timeout=30_000,
    )
    page.click(".rig-stop")
    text = lab.output(page, "CHECK")
    assert "CHECK stopped by user | one two three" in text
    assert "ten" not in text
    assert page.locator(".rig-banner").first.inner_text() == "Stopped: stopped by user"


def test_the_kernel_interrupt_ends_an_approval_wait_within_a_second(lab: Lab, page: Any) -> None:
    run_and_wait_for_approval(
        lab,
        page,
        "interrupt",
        SETUP,
        "%%agent -m model -t delete_file\nDelete a.txt",
        'print("CHECK", deleted, "|", [m.role for m in agent_history])',
    )
    started = time.monotonic()
    lab.command(page, "notebook:interrupt-kernel")
    page.wait_for_function(
        "() => document.querySelector('.rig-nb').dataset.status === 'cancelled'", timeout=5_000
    )
    assert time.monotonic() - started < 1.0
    view = page.locator(".rig-nb").first
    assert view.locator(".rig-banner").inner_text() == (
        "Interrupted: the kernel interrupt stopped the run"
    )
    assert view.locator(".rig-stop").is_disabled()
    # Under the cell: one line, not a CancelledError traceback through rig_nb's internals.
    agent_cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    error = agent_cell.locator(".jp-OutputArea-output[data-mime-type*='stderr']")
    error.first.wait_for(timeout=5_000)
    assert error.count() == 1
    assert error.first.inner_text().strip() == (
        "Interrupted: the kernel interrupt stopped the run; agent_history keeps the "
        "conversation (2 messages)"
    )
    # JupyterLab drops the queued check cell with the interrupt; ask the kernel directly.
    statuses = []
    for _ in range(60):
        statuses.append(page.evaluate(KERNEL_STATUS))
        if statuses[-1] == "idle":
            break
        page.wait_for_timeout(250)
    assert statuses[-1] == "idle", statuses
    # ipykernel aborts what arrives until its stop-on-error marker has passed; then it runs again.
    check = 'print("CHECK", deleted, "|", [(m.role, m.content[0].text) for m in agent_history])'
    for _ in range(10):
        text = lab.kernel_print(page, check)
        if text != "[execute aborted]":
            break
        page.wait_for_timeout(300)
    # The interrupted turn keeps what was said; the call that never ran is not in the history.
    assert text == "CHECK [] | [('user', 'Delete a.txt'), ('assistant', 'I will delete it. ')]\n"


def test_api_keys_never_reach_widget_state_or_the_saved_notebook(lab: Lab, page: Any) -> None:
    path = lab.write(
        "secrets",
        "%load_ext rig_nb",
        "import os\nfrom rig_nb.providers import OpenAIChatModel\n"
        "gpt = OpenAIChatModel('gpt-4o-mini', api_key=os.environ['RIG_NB_TEST_KEY'], base_url=os.environ['RIG_NB_TEST_URL'])\n"
        "gpt",
        "%%agent -m gpt --new\nSay hello.",
        "%%agent -m gpt\nAgain.",
        'print("CHECK", agent_result.response, "|", agent_error)',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    text = lab.output(page, "CHECK")
    assert "Hello there, Ünïcode ✓." in text
    assert "Incorrect API key provided: [redacted]" in text
    state = page.evaluate(
        """async () => {
            const out = [];
            for (const el of document.querySelectorAll('.rig-nb')) out.push(el.textContent);
            return out.join('\\n');
        }"""
    )
    assert "returned HTTP 401" in state
    lab.command(page, "docmanager:save")
    page.wait_for_timeout(1500)
    saved = (lab.root / path).read_text()
    assert "application/vnd.jupyter.widget-state+json" in saved  # widget state was saved...
    assert '"state"' in saved
    assert SECRET_KEY not in saved  # ...and it holds no key
    assert SECRET_KEY not in state


def test_failures_are_clear_and_keep_the_history(lab: Lab, page: Any) -> None:
    setup = """
%load_ext rig_nb
from rig_nb import ProviderError, tool
from rig_nb.testing import ScriptedModel, final, tool_call

@tool
def flaky() -> str:
    \"\"\"Fails.\"\"\"
    raise ValueError("disk full")

failing = ScriptedModel([["Partial answer", ProviderError("upstream 502 Bad Gateway")]])
raising = ScriptedModel([[tool_call("flaky"), final()], ["Recovered after the tool failed.", final()]])
dreaming = ScriptedModel([[tool_call("no_such_tool", {"q": 1}), final()], ["That tool does not exist.", final()]])
"""
    lab.open(
        page,
        lab.write(
            "failures",
            setup,
            "%%agent -m failing --new\nQuestion one",
            'print("CHECK1", [(m.role, m.content[0].text) for m in agent_history], "|", agent_error)',
            "%%agent -m raising -t flaky --approve auto --new\nQuestion two",
            'print("CHECK2", len(agent_history), "|", agent_history[2].content[0].content[0].text)',
            "%%agent -m dreaming --new\nQuestion three",
            'print("CHECK3", len(agent_history), "|", agent_history[2].content[0].content[0].text)',
        ),
    )
    lab.command(page, "notebook:run-all-cells")
    one = lab.output(page, "CHECK1")
    assert "[('user', 'Question one'), ('assistant', 'Partial answer')]" in one
    assert "CompletionError: ProviderError: upstream 502 Bad Gateway" in one
    two = lab.output(page, "CHECK2")
    assert "CHECK2 4 | Toolset error: ToolCallError: ToolCallError: disk full" in two
    three = lab.output(page, "CHECK3")
    assert "CHECK3 4 | Toolset error: ToolNotFoundError: no_such_tool" in three
    # The failed tool calls show on their cards only: nothing on the cells' stderr.
    for index in (3, 5):
        stderr = (
            page.locator(".jp-Notebook .jp-Cell")
            .nth(index)
            .locator(".jp-OutputArea-output[data-mime-type*='stderr']")
        )
        assert stderr.count() == 0, stderr.all_inner_texts()
    views = page.locator(".rig-nb")
    assert (
        views.nth(0).locator(".rig-banner").inner_text()
        == "CompletionError: ProviderError: upstream 502 Bad Gateway"
    )
    assert views.nth(0).get_attribute("data-status") == "error"
    assert (
        views.nth(1).locator(".rig-tool-status").inner_text()
        == "error: ToolCallError: disk full"  # rig's doubled prefix stays in the history only
    )
    assert "rig-tool-error" in (views.nth(1).locator(".rig-tool").get_attribute("class") or "")
    assert (
        views.nth(2).locator(".rig-tool-status").inner_text()
        == "error: ToolNotFoundError: no_such_tool"
    )
    assert "Recovered after the tool failed." in views.nth(1).inner_text()


def test_always_allow_runs_without_asking_and_a_deny_still_denies(lab: Lab, page: Any) -> None:
    again = "model = ScriptedModel([[tool_call('delete_file', {'path': 'b.txt'}), final()], ['Done.', final()]])"
    run_and_wait_for_approval(
        lab,
        page,
        "always",
        SETUP,
        "%%agent -m model -t delete_file --new\nDelete a.txt",
        again,
        "%%agent -m model -t delete_file\nDelete b.txt",
        again.replace("b.txt", "c.txt"),
        "%%agent -m model -t delete_file --approve-tool delete_file=deny\nDelete c.txt",
        "%agent allow",
        again.replace("b.txt", "d.txt"),
        "%%agent -m model -t delete_file --new\nDelete d.txt",
        'print("CHECK", deleted)',
    )
    page.click(".rig-always")
    # A new conversation asks again: approve it by hand.
    views = page.locator(".rig-nb")
    views.nth(3).locator(".rig-approve").click(timeout=30_000)
    text = lab.output(page, "CHECK")
    assert "CHECK ['a.txt', 'b.txt', 'd.txt']" in text  # c.txt was denied
    statuses = [views.nth(i).locator(".rig-tool-status").inner_text() for i in range(4)]
    assert statuses == [
        "done: always allowed",
        "done: always allowed",
        "skipped: denied by the approval policy (a deny beats Always allow)",
        "done",
    ]
    assert "always allowed in this conversation: delete_file" in lab.output(
        page, "always allowed in this conversation"
    )
    screenshot(page, "always-allow")


def test_a_bug_in_a_hook_ends_the_view_with_its_message(lab: Lab, page: Any) -> None:
    lab.open(
        page,
        lab.write(
            "bug",
            SETUP,
            "from rig_nb import Agent, PromptHook\n"
            "class Broken(PromptHook):\n"
            "    async def on_text_delta(self, text_delta, aggregated_text):\n"
            "        if 'four' in aggregated_text:\n"
            "            raise RuntimeError('disk on fire')\n"
            "buggy = Agent(ScriptedModel([[*[s for w in words('one two three four five') for s in (w, Delay(0.05))], final()]]), hook=Broken())",
            "%%agent -m buggy --new\nCount",
        ),
    )
    lab.command(page, "notebook:run-all-cells")
    view = page.locator(".rig-nb").first
    page.wait_for_function(
        "() => { const v = document.querySelector('.rig-nb'); return v && v.dataset.status === 'error'; }",
        timeout=30_000,
    )
    banner = view.locator(".rig-banner").inner_text()
    assert "RuntimeError" in banner and "disk on fire" in banner
    assert view.locator(".rig-stop").is_disabled()
    assert view.locator(".rig-status").inner_text() == "Error"
    screenshot(page, "hook-bug")
    check = 'print("CHECK", [(m.role, m.content[0].text) for m in agent_history], "|", agent_error)'
    for _ in range(20):
        text = lab.kernel_print(page, check)
        if text != "[execute aborted]":
            break
        page.wait_for_timeout(300)
    assert text.startswith("CHECK [('user', 'Count'), ('assistant', 'one two three")
    assert "disk on fire" in text
