import assert from "node:assert/strict";
import { afterEach, describe, mock, test } from "node:test";
import { TITLE_PREFIX } from "../src/approvals.js";
import { FEEDBACK_MS, copyText } from "../src/copy.js";
import { BOTTOM_SLACK, TailBox } from "../src/scroll.js";
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

describe("copy buttons", () => {
  /** @param {(text: string) => Promise<void>} writeText */
  function clipboard(writeText) {
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
  }
  afterEach(() => {
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    mock.timers.reset();
  });

  const full = () =>
    state({
      status: "done",
      final: "Final **answer**\n\n```python\nprint('hi')\n```",
      blocks: [
        { kind: "text", turn: 0, text: "Calling.\n" },
        tool({ status: "done", args: '{"q": 1}', result: { text: "[1, 2]", json: true, images: [] } }),
        { kind: "text", turn: 1, text: "Final **answer**\n\n```python\nprint('hi')\n```" },
      ],
    });

  test("answer, code block, tool arguments and tool result each copy their own text", async () => {
    const copied = [];
    clipboard(async (text) => {
      copied.push(text);
    });
    const { $ } = mount(full());
    for (const cls of ["rig-copy-answer", "rig-copy-code", "rig-copy-args", "rig-copy-result"]) {
      /** @type {HTMLButtonElement} */ ($(`.${cls}`)).click();
      await settle();
    }
    assert.deepEqual(copied, ["Final **answer**\n\n```python\nprint('hi')\n```", "print('hi')", '{"q": 1}', "[1, 2]"]);
  });

  test("the button confirms 'Copied ✓', then returns to its label", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    clipboard(async () => {});
    const { $ } = mount(full());
    const button = /** @type {HTMLButtonElement} */ ($(".rig-copy-code"));
    button.click();
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(button.textContent, "Copied ✓");
    assert.equal(button.dataset.copied, "yes");
    mock.timers.tick(FEEDBACK_MS);
    assert.equal(button.textContent, "Copy");
    assert.equal(button.dataset.copied, undefined);
  });

  test("without the Clipboard API (or when it refuses), the execCommand fallback copies", async () => {
    const seen = [];
    const original = document.execCommand;
    document.execCommand = (command) => {
      seen.push([command, /** @type {HTMLTextAreaElement} */ (document.activeElement)?.value ?? document.querySelector("textarea")?.value]);
      return true;
    };
    try {
      assert.equal(await copyText("plain"), "fallback");
      clipboard(async () => {
        throw new Error("NotAllowedError");
      });
      assert.equal(await copyText("denied"), "fallback");
      assert.deepEqual(seen.map((s) => s[0]), ["copy", "copy"]);
      assert.deepEqual(seen.map((s) => s[1]), ["plain", "denied"]);
      assert.equal(document.querySelector("textarea"), null, "the helper textarea is removed");
    } finally {
      document.execCommand = original;
    }
  });

  test("when nothing can copy, the button says so", async () => {
    const original = document.execCommand;
    document.execCommand = () => false;
    try {
      const { $ } = mount(full());
      const button = /** @type {HTMLButtonElement} */ ($(".rig-copy-answer"));
      button.click();
      await settle();
      assert.equal(button.textContent, "Copy failed");
    } finally {
      document.execCommand = original;
    }
  });

  test("'Copy answer' is hidden while there is no answer text", () => {
    const { model, $ } = mount(state({ blocks: [tool({ status: "running" })] }));
    assert.equal(/** @type {HTMLButtonElement} */ ($(".rig-copy-answer")).hidden, true);
    model.push(state({ blocks: [{ kind: "text", turn: 0, text: "x" }] }));
    assert.equal(/** @type {HTMLButtonElement} */ ($(".rig-copy-answer")).hidden, false);
  });
});

describe("follow the tail, height cap", () => {
  /** A box with scripted layout metrics (jsdom has no layout). */
  function box() {
    const el = document.createElement("div");
    const metrics = { scrollHeight: 300, clientHeight: 300, scrollTop: 0 };
    for (const key of /** @type {const} */ (["scrollHeight", "clientHeight", "scrollTop"])) {
      Object.defineProperty(el, key, {
        get: () => metrics[key],
        set: (v) => {
          metrics[key] = Math.max(0, Math.min(v, metrics.scrollHeight - metrics.clientHeight));
        },
      });
    }
    return { el, metrics, tail: new TailBox(el) };
  }

  test("while streaming, new content scrolls into view", () => {
    const { metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 600);
    metrics.scrollHeight = 1200;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 900);
  });

  test("scrolling up stops following; scrolling back to the bottom resumes it", () => {
    const { el, metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true);
    el.dispatchEvent(new window.WheelEvent("wheel", { deltaY: -100 }));
    metrics.scrollTop = 500;
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollHeight = 1500;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 500, "the reader's position is kept");
    metrics.scrollTop = 1200 - BOTTOM_SLACK + 1;
    el.dispatchEvent(new window.Event("scroll"));
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 1200, "following again");
  });

  test("dragging the scrollbar up (only a scroll event) stops following", () => {
    const { el, metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true);
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollTop = 200;
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollHeight = 1000;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 200);
  });

  test("text that arrives between reaching the bottom and its scroll event does not stop following", () => {
    const { el, metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true); // following: at 600
    el.dispatchEvent(new window.WheelEvent("wheel", { deltaY: -100 }));
    metrics.scrollTop = 300;
    el.dispatchEvent(new window.Event("scroll")); // the reader went up
    metrics.scrollTop = 600; // ... and back down to the bottom; before the event fires,
    metrics.scrollHeight = 960; // a chunk of text arrives and is drawn
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 600, "not following yet");
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollHeight = 1000;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 700, "following again");
    // The same growth does not excuse a scroll up.
    el.dispatchEvent(new window.WheelEvent("wheel", { deltaY: -10 }));
    metrics.scrollTop = 690;
    metrics.scrollHeight = 1100;
    tail.refresh(true);
    el.dispatchEvent(new window.Event("scroll"));
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 690);
  });

  test("an upward key or wheel stops following at once, before any scroll event", () => {
    for (const event of [new window.KeyboardEvent("keydown", { key: "PageUp" }), new window.WheelEvent("wheel", { deltaY: -3 })]) {
      const { el, metrics, tail } = box();
      metrics.scrollHeight = 900;
      tail.refresh(true);
      el.dispatchEvent(event);
      metrics.scrollHeight = 1000;
      tail.refresh(true);
      assert.equal(metrics.scrollTop, 600, event.type);
    }
  });

  test("a size change (first attached, an image loaded, a panel opened) refreshes the box", () => {
    /** @type {any[]} */
    const observers = [];
    globalThis.ResizeObserver = /** @type {any} */ (class {
      /** @param {Function} callback */
      constructor(callback) {
        this.callback = callback;
        this.targets = [];
        this.connected = true;
        observers.push(this);
      }
      /** @param {Element} target */
      observe(target) {
        this.targets.push(target);
      }
      disconnect() {
        this.connected = false;
      }
    });
    try {
      const content = document.createElement("div");
      const { el, metrics } = box();
      const tail = new TailBox(el, content);
      assert.deepEqual(observers.at(-1).targets, [el, content]);
      tail.refresh(true); // drawn while detached: nothing overflows yet
      assert.equal(tail.toggle.hidden, true);
      metrics.scrollHeight = 900; // attached and laid out
      observers.at(-1).callback();
      assert.equal(tail.toggle.hidden, false);
      assert.equal(metrics.scrollTop, 600, "still following the tail");
      tail.disconnect();
      assert.equal(observers.at(-1).connected, false);
    } finally {
      delete (/** @type {any} */ (globalThis)).ResizeObserver;
    }
  });

  test("not streaming: no scrolling; 'Show all' appears only when the cap hides something", () => {
    const { el, metrics, tail } = box();
    tail.refresh(false);
    assert.equal(tail.toggle.hidden, true);
    metrics.scrollHeight = 900;
    tail.refresh(false);
    assert.equal(metrics.scrollTop, 0);
    assert.equal(tail.toggle.hidden, false);
    tail.toggle.click();
    assert.ok(el.classList.contains("rig-expanded"));
    assert.equal(tail.toggle.textContent, "Show less");
    assert.equal(tail.toggle.getAttribute("aria-expanded"), "true");
    tail.toggle.click();
    assert.equal(el.classList.contains("rig-expanded"), false);
    assert.equal(tail.toggle.textContent, "Show all");
  });
});
