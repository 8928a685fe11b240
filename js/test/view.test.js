import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { TITLE_PREFIX } from "../src/approvals.js";
import { AgentView } from "../src/view.js";
import { FakeModel, state, tool } from "./helpers.js";

const BASE_TITLE = "notebook.ipynb - JupyterLab";
/** @type {AgentView[]} */
let views = [];

/** @param {unknown} initial */
function mount(initial = state()) {
  const model = new FakeModel({ state: initial });
  const el = document.createElement("div");
  document.body.appendChild(el);
  const view = new AgentView(/** @type {any} */ (model), el);
  views.push(view);
  return { model, el, view, $: (/** @type {string} */ s) => el.querySelector(s), $$: (/** @type {string} */ s) => [...el.querySelectorAll(s)] };
}

/** Let MutationObserver callbacks and promise continuations run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  for (const view of views) view.destroy();
  views = [];
  document.body.replaceChildren();
  document.title = BASE_TITLE;
});

describe("layout", () => {
  test("the user's prompt is at the top, before the answer, shown as plain text", () => {
    const { $, el } = mount(state({ prompt: "Is **x** <b>bold</b>?", blocks: [{ kind: "text", turn: 0, text: "Yes" }] }));
    const root = /** @type {HTMLElement} */ (el.firstElementChild);
    const order = [...root.children].map((c) => c.className.split(" ")[0]);
    assert.ok(order.indexOf("rig-prompt") < order.indexOf("rig-body"), order.join());
    assert.equal($(".rig-prompt-text")?.textContent, "Is **x** <b>bold</b>?");
    assert.equal($(".rig-prompt b, .rig-prompt strong"), null);
    assert.equal($(".rig-prompt")?.hasAttribute("hidden"), false);
  });

  test("no prompt, no prompt box (a view before its first run)", () => {
    const { $ } = mount({});
    assert.equal($(".rig-prompt")?.hasAttribute("hidden"), true);
    assert.equal($(".rig-status")?.textContent, "Idle");
  });

  test("the view tells the kernel it rendered (someone can click)", () => {
    const { model } = mount();
    assert.equal(model.get("rendered"), true);
    assert.equal(model.saves, 1);
  });
});

describe("messages", () => {
  test("custom messages with a type go through the reducer; others are ignored", () => {
    const { model, $ } = mount(state({ status: "running" }));
    const send = (/** @type {unknown} */ msg) => {
      for (const handler of model.handlers.get("msg:custom") ?? []) handler(msg, []);
    };
    send({ type: "state", state: state({ status: "done", prompt: "via message" }) });
    assert.equal($(".rig-nb")?.getAttribute("data-status"), "done");
    assert.equal($(".rig-prompt-text")?.textContent, "via message");
    for (const junk of [null, "text", { kind: "x" }, { type: 3 }, { type: "delta", text: "later" }]) send(junk);
    assert.equal($(".rig-prompt-text")?.textContent, "via message");
  });

  test("the anywidget entry renders and returns its cleanup", async () => {
    const { default: widget } = await import("../src/index.js");
    const model = new FakeModel({ state: state({ prompt: "entry" }) });
    const el = document.createElement("div");
    const cleanup = widget.render(/** @type {any} */ ({ model, el }));
    assert.equal(el.querySelector(".rig-prompt-text")?.textContent, "entry");
    assert.equal(typeof cleanup, "function");
    await /** @type {() => Promise<void>} */ (cleanup)();
    assert.equal(model.listeners(), 0);
    assert.equal(el.children.length, 0);
  });
});

describe("Stop, status, banner and usage", () => {
  test("Stop shows only while the run can be stopped, and sends stop", () => {
    const { model, $ } = mount(state({ status: "running" }));
    const stop = /** @type {HTMLButtonElement} */ ($(".rig-stop"));
    assert.equal(stop.hidden, false);
    stop.click();
    assert.deepEqual(model.sent, [{ kind: "stop" }]);
    for (const [status, hidden] of [["waiting", false], ["done", true], ["error", true], ["cancelled", true], ["running", false]]) {
      model.push(state({ status }));
      assert.equal(stop.hidden, hidden, String(status));
      assert.equal(stop.disabled, hidden, String(status));
    }
  });

  test("the banner carries the error with its status's colours", () => {
    const { model, $ } = mount(state());
    assert.equal($(".rig-banner")?.className, "rig-banner");
    model.push(state({ status: "error", error: "ProviderError: 502" }));
    assert.equal($(".rig-banner")?.className, "rig-banner rig-banner-error");
    assert.equal($(".rig-banner")?.textContent, "ProviderError: 502");
    model.push(state({ status: "cancelled", error: "Stopped: stopped by user" }));
    assert.equal($(".rig-banner")?.className, "rig-banner rig-banner-cancelled");
  });

  test("usage: nothing when the model reports none; the figures when it does", () => {
    const zero = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    const { model, $ } = mount(state({ status: "done", usage: { turns: [{ turn: 0, ...zero }], total: zero } }));
    assert.equal($(".rig-usage")?.textContent, "");
    assert.doesNotMatch($(".rig-nb")?.textContent ?? "", /0 in/);
    model.push(state({ status: "done", usage: { turns: [], total: { input_tokens: 143, output_tokens: 25, total_tokens: 168 } } }));
    assert.equal($(".rig-usage")?.textContent, "total: 143 in · 25 out · 168 total");
  });

  test("usage: the run's cost, and why it is unknown as the footer's tooltip", () => {
    const u = { input_tokens: 143, output_tokens: 25, total_tokens: 168 };
    const { model, $ } = mount(state({ status: "done", usage: { turns: [], total: u, cost: 0.0012, cost_note: null } }));
    assert.equal($(".rig-usage")?.textContent, "total: 143 in · 25 out · 168 total · $0.00120");
    assert.equal($(".rig-usage")?.getAttribute("title"), "");
    model.push(state({ status: "done", usage: { turns: [], total: u, cost: null, cost_note: "<b>no price</b>" } }));
    assert.equal($(".rig-usage")?.textContent, "total: 143 in · 25 out · 168 total · cost unknown");
    assert.equal($(".rig-usage")?.getAttribute("title"), "<b>no price</b>");
    assert.equal($(".rig-usage b"), null);
  });

  test("notices are listed as text", () => {
    const { $$ } = mount(state({ notices: ["<b>one</b>", "two"] }));
    assert.deepEqual($$(".rig-notice").map((n) => n.textContent), ["<b>one</b>", "two"]);
  });
});

describe("blocks", () => {
  test("a streaming text block is updated in place, earlier markdown nodes kept", () => {
    const text = (t) => state({ blocks: [{ kind: "text", turn: 0, text: t }] });
    const { model, $ } = mount(text("# Title\n\nPart"));
    const title = $(".rig-body h1");
    const md = $(".rig-body .rig-md");
    model.push(text("# Title\n\nPart two, **bold**"));
    assert.equal($(".rig-body h1"), title);
    assert.equal($(".rig-body .rig-md"), md);
    assert.equal($(".rig-body strong")?.textContent, "bold");
  });

  test("reasoning: open while it streams, closed when done, unless the reader chose", async () => {
    const r = (done, text = "think") => state({ blocks: [{ kind: "reasoning", turn: 0, text, done }] });
    const { model, $ } = mount(r(false));
    const details = /** @type {HTMLDetailsElement} */ ($(".rig-reasoning"));
    assert.equal(details.open, true);
    assert.equal($(".rig-reasoning summary")?.textContent, "Thinking…");
    model.push(r(true, "thought"));
    assert.equal(details.open, false);
    assert.equal($(".rig-reasoning-text")?.textContent, "thought");
    details.open = true; // the reader opens it
    await settle();
    model.push(r(true, "thought, more"));
    assert.equal(details.open, true);
  });

  test("tool cards: status classes, args, result (JSON), images only when safe", () => {
    const done = tool({
      status: "done",
      result: { text: '{\n  "ok": true\n}', json: true, images: [{ mime: "image/png", data: "iVBORw0KGgo=" }, { mime: "image/svg+xml", data: "PHN2Zz4=" }] },
    });
    const { $, $$ } = mount(state({ blocks: [done] }));
    assert.equal($(".rig-tool")?.className, "rig-tool rig-tool-done");
    assert.equal($(".rig-tool-name")?.textContent, "delete_file");
    assert.equal($(".rig-tool-status")?.textContent, "done");
    assert.equal($(".rig-tool-args")?.textContent, done.args);
    assert.equal($(".rig-tool-result pre")?.className, "rig-json");
    assert.deepEqual(JSON.parse($(".rig-tool-result pre")?.textContent ?? ""), { ok: true });
    assert.deepEqual($$(".rig-tool img").map((i) => i.getAttribute("src")), ["data:image/png;base64,iVBORw0KGgo="]);
    assert.equal($(".rig-tool .rig-muted")?.textContent, "[image not shown]");
    assert.equal($(".rig-approval"), null);
  });

  test("an error card shows why; a closed result panel stays closed across updates", async () => {
    const failed = tool({ status: "error", decision: "ToolCallError: disk full", result: { text: "Toolset error: ToolCallError: disk full", json: false, images: [] } });
    const { model, $ } = mount(state({ blocks: [failed] }));
    assert.equal($(".rig-tool-status")?.textContent, "error: ToolCallError: disk full");
    const details = /** @type {HTMLDetailsElement} */ ($(".rig-tool-result"));
    assert.equal(details.open, true);
    details.open = false;
    await settle();
    model.push(state({ blocks: [{ ...failed, decision: "ToolCallError: disk full!" }] }));
    assert.equal(/** @type {HTMLDetailsElement} */ ($(".rig-tool-result")).open, false);
  });

  test("blocks that change kind or disappear are replaced and removed", () => {
    const { model, $$ } = mount(state({ blocks: [{ kind: "text", turn: 0, text: "a" }, tool()] }));
    model.push(state({ blocks: [tool({ status: "done" })] }));
    assert.equal($$(".rig-blocks > *").length, 1);
    assert.equal($$(".rig-blocks > .rig-tool").length, 1);
  });
});

describe("approvals", () => {
  test("a waiting call has its four buttons; each sends its decision with the typed reason", () => {
    const { model, $ } = mount(state({ status: "waiting", blocks: [tool()] }));
    const reason = /** @type {HTMLInputElement} */ ($(".rig-reason"));
    reason.value = "keep it";
    reason.dispatchEvent(new window.Event("input"));
    for (const [cls, kind] of [["rig-approve", "approve"], ["rig-skip", "skip"], ["rig-terminate", "terminate"], ["rig-always", "always_allow"]]) {
      /** @type {HTMLButtonElement} */ ($(`.${cls}`)).click();
      assert.deepEqual(model.sent.at(-1), { kind, id: "i1", reason: "keep it" });
    }
  });

  test("what the user typed survives a re-render of the card", () => {
    const { model, $ } = mount(state({ status: "waiting", blocks: [tool()] }));
    const reason = /** @type {HTMLInputElement} */ ($(".rig-reason"));
    reason.value = "half-typed";
    reason.dispatchEvent(new window.Event("input"));
    model.push(state({ status: "waiting", blocks: [tool({ args: '{"path": "b.txt"}' })] }));
    assert.notEqual($(".rig-reason"), reason);
    assert.equal(/** @type {HTMLInputElement} */ ($(".rig-reason")).value, "half-typed");
  });

  test("the tab title says '⏸ approval' while a call waits, and not after it is answered", () => {
    const { model } = mount(state({ status: "running", blocks: [tool({ status: "called" })] }));
    assert.equal(document.title, BASE_TITLE);
    model.push(state({ status: "waiting", blocks: [tool()] }));
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    model.push(state({ status: "waiting", blocks: [tool()] })); // no double prefix
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    model.push(state({ status: "running", blocks: [tool({ status: "running" })] }));
    assert.equal(document.title, BASE_TITLE);
  });

  test("the prefix comes back when JupyterLab renames the tab while a call waits", async () => {
    mount(state({ status: "waiting", blocks: [tool()] }));
    document.title = "other.ipynb - JupyterLab";
    await settle();
    assert.equal(document.title, `${TITLE_PREFIX}other.ipynb - JupyterLab`);
  });

  test("the prefix is cleared when the waiting view is removed, and kept while another waits", async () => {
    const one = mount(state({ status: "waiting", blocks: [tool()] }));
    const two = mount(state({ status: "waiting", blocks: [tool({ id: "i2" })] }));
    one.view.destroy();
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    two.view.destroy();
    assert.equal(document.title, BASE_TITLE);
    document.title = "later";
    await settle();
    assert.equal(document.title, "later", "no observer left behind");
  });

  test("destroy removes the view's listeners", () => {
    const { model, view } = mount(state());
    assert.equal(model.listeners(), 2);
    view.destroy();
    assert.equal(model.listeners(), 0);
  });
});
