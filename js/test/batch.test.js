// The batch view (`%%agent --over df --out results`): js/src/batch. Protocol: the `_state` the
// kernel's BatchView syncs, and {"kind": "stop" | "approve" | "deny"} messages back.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, describe, test } from "node:test";
import { duration, money, rate, thousands } from "../src/batch/format.js";
import { normalize } from "../src/batch/state.js";
import { TITLE_PREFIX } from "../src/batch/title.js";
import { BatchView, statsLine } from "../src/batch/view.js";
import { AgentView } from "../src/view.js";
import { FakeModel, PAYLOADS, state, tool } from "./helpers.js";

const BASE_TITLE = "notebook.ipynb - JupyterLab";
/** @type {BatchView[]} */
let views = [];

/** A state as the kernel sends it (all keys present). @param {Record<string, unknown>} overrides */
function batch(overrides = {}) {
  return {
    title: "Classify: {title}", out: "results", status: "running", total: 1000,
    done: 412, failed: 3, running: 8, cached: 20, input_tokens: 12345, output_tokens: 6789,
    cost: 0.0123, elapsed: 98, rows_per_second: 4.2, eta: 140,
    failures: [], failures_more: 0, approvals: [], decisions: [], notices: [], banner: null,
    ...overrides,
  };
}

/** @param {Record<string, unknown>} failure */
function failure(failure = {}) {
  return {
    index: 7, row: "7", error: "ValueError", message: "bad label\nsecond line", attempts: 3,
    prompt: "Classify: the title", history: [{ role: "user", text: "Classify: the title" }, { role: "assistant", text: "maybe" }],
    ...failure,
  };
}

/** @param {unknown[]} args  the initial state (absent: a running batch; `undefined` is a state too) */
function mount(...args) {
  const initial = args.length ? args[0] : batch();
  const model = new FakeModel({ _state: initial });
  const el = document.createElement("div");
  document.body.appendChild(el);
  const view = new BatchView(/** @type {any} */ (model), el);
  views.push(view);
  const $ = (/** @type {string} */ s) => /** @type {HTMLElement | null} */ (el.querySelector(s));
  const $$ = (/** @type {string} */ s) => /** @type {HTMLElement[]} */ ([...el.querySelectorAll(s)]);
  return { model, el, view, $, $$ };
}

/** Whether an element is shown (it and its ancestors lack `hidden`). @param {Element | null} node */
function shown(node) {
  for (let n = node; n; n = n.parentElement) if (n.hasAttribute("hidden")) return false;
  return node !== null;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  for (const view of views) view.destroy();
  views = [];
  document.body.replaceChildren();
  document.title = BASE_TITLE;
});

describe("formatting", () => {
  test("thousands separators, whatever the locale", () => {
    assert.deepEqual([0, 7, 999, 1000, 12345, 1234567, 1e9].map(thousands), ["0", "7", "999", "1,000", "12,345", "1,234,567", "1,000,000,000"]);
    assert.equal(thousands(-4321), "-4,321");
  });

  test("durations: 45s, 2m 20s, 1h 02m, rounding across the units", () => {
    const cases = [[0, "0s"], [45, "45s"], [44.6, "45s"], [59.6, "1m 00s"], [98, "1m 38s"], [140, "2m 20s"], [125, "2m 05s"],
      [3599.6, "1h 00m"], [3720, "1h 02m"], [3725, "1h 02m"], [90061, "25h 01m"], [360000, "100h 00m"], [-3, "0s"]];
    for (const [seconds, text] of cases) assert.equal(duration(/** @type {number} */ (seconds)), text, String(seconds));
  });

  test("dollars: four decimals under a dollar, cents above, thousands", () => {
    const cases = [[0, "$0.00"], [0.00004, "< $0.0001"], [0.0001, "$0.0001"], [0.0123, "$0.0123"], [0.5, "$0.5000"],
      [0.99999, "$1.00"], [1, "$1.00"], [12.345, "$12.35"], [1234.5, "$1,234.50"]];
    for (const [dollars, text] of cases) assert.equal(money(/** @type {number} */ (dollars)), text, String(dollars));
  });

  test("rows per second", () => {
    const cases = [[0, "0.0"], [4.2, "4.2"], [4.25, "4.3"], [0.05, "0.05"], [0.012345, "0.012"], [99.97, "100"], [1234.4, "1,234"]];
    for (const [value, text] of cases) assert.equal(rate(/** @type {number} */ (value)), text, String(value));
  });

  test("the stats line, in the order the issue gives", () => {
    assert.equal(
      statsLine(normalize(batch())),
      "412 / 1,000 rows · 3 failed · 8 running · 20 cached · 12,345 in · 6,789 out tokens · $0.0123 · 4.2 rows/s · ETA 2m 20s · 1m 38s elapsed",
    );
  });

  test("no cost when not priced, no ETA when unknown or ended, no cached when 0", () => {
    const line = statsLine(normalize(batch({ cost: null, eta: null, cached: 0 })));
    assert.equal(line, "412 / 1,000 rows · 3 failed · 8 running · 12,345 in · 6,789 out tokens · 4.2 rows/s · 1m 38s elapsed");
    assert.doesNotMatch(statsLine(normalize(batch({ status: "done", eta: 0 }))), /ETA/);
    assert.match(statsLine(normalize(batch({ cost: 0 }))), / · \$0\.00 · /);
  });
});

describe("rendering", () => {
  test("the view tells the kernel it rendered", () => {
    const { model } = mount();
    assert.equal(model.get("rendered"), true);
    assert.equal(model.saves, 1);
  });

  test("layout, top to bottom: header, bar, stats, approvals, decisions, notices, failures, banner", () => {
    const { el } = mount();
    const root = /** @type {HTMLElement} */ (el.firstElementChild);
    assert.equal(root.className, "rig-batch");
    assert.deepEqual([...root.children].map((c) => c.className.split(" ")[0]), [
      "rig-batch-header", "rig-batch-bar", "rig-batch-stats", "rig-batch-approvals", "rig-batch-decisions",
      "rig-batch-notices", "rig-batch-failures", "rig-batch-banner",
    ]);
  });

  test("each status: its word, the Stop button, the banner", () => {
    const cases = [
      ["running", "Running", "Stop", false, false],
      ["stopping", "Stopping", "Stopping…", true, false],
      ["done", "Done", null, null, true],
      ["stopped", "Stopped", null, null, true],
      ["failed", "Failed", null, null, true],
    ];
    for (const [status, word, stopText, stopDisabled, bannerShown] of cases) {
      const { $, el } = mount(batch({ status, banner: `how it ended: ${status}` }));
      assert.equal(el.querySelector(".rig-batch")?.getAttribute("data-status"), status);
      assert.equal($(".rig-batch-status")?.textContent, word);
      assert.equal($(".rig-batch-title")?.textContent, "Classify: {title}");
      const stop = /** @type {HTMLButtonElement} */ ($(".rig-batch-stop"));
      if (stopText === null) {
        assert.equal(shown(stop), false, `${status}: Stop hidden`);
      } else {
        assert.equal(shown(stop), true);
        assert.equal(stop.textContent, stopText);
        assert.equal(stop.disabled, stopDisabled);
      }
      const banner = $(".rig-batch-banner");
      assert.equal(shown(banner), bannerShown, `${status}: banner`);
      if (bannerShown) {
        assert.equal(banner?.textContent, `how it ended: ${status}`);
        assert.ok(banner?.classList.contains(`rig-batch-banner-${status}`));
      }
    }
  });

  test("a failed batch's banner has the error styling, a done one does not", () => {
    const { $, model } = mount(batch({ status: "failed", banner: "The batch failed: KeyError 'title'" }));
    assert.ok($(".rig-batch-banner")?.classList.contains("rig-batch-banner-failed"));
    model.push(batch({ status: "done", banner: "Done: 1,000 rows, kept in results" }));
    assert.ok(!$(".rig-batch-banner")?.classList.contains("rig-batch-banner-failed"));
    assert.equal($(".rig-batch-banner")?.textContent, "Done: 1,000 rows, kept in results");
  });

  test("no banner while running, even when the state has one; none when ended without one", () => {
    const { $, model } = mount(batch({ banner: "early" }));
    assert.equal(shown($(".rig-batch-banner")), false);
    model.push(batch({ status: "done", banner: null }));
    assert.equal(shown($(".rig-batch-banner")), false);
  });

  test("the progress bar: segments for done, failed, running, and aria values", () => {
    const { $, model } = mount(batch({ total: 200, done: 100, failed: 20, running: 10 }));
    const bar = /** @type {HTMLElement} */ ($(".rig-batch-bar"));
    assert.equal(shown(bar), true);
    assert.equal(bar.getAttribute("role"), "progressbar");
    assert.equal(bar.getAttribute("aria-valuemin"), "0");
    assert.equal(bar.getAttribute("aria-valuemax"), "200");
    assert.equal(bar.getAttribute("aria-valuenow"), "120");
    assert.equal(bar.getAttribute("aria-valuetext"), "100 done, 20 failed, 10 running of 200 rows");
    const width = (/** @type {string} */ name) => parseFloat(/** @type {HTMLElement} */ ($(`.rig-batch-seg-${name}`)).style.width);
    assert.equal(width("done"), 50);
    assert.equal(width("failed"), 10);
    assert.equal(width("running"), 5);
    // counts that overrun the total never draw past the end
    model.push(batch({ total: 10, done: 9, failed: 3, running: 4 }));
    assert.equal(width("done") + width("failed") + width("running"), 100);
    assert.equal(bar.getAttribute("aria-valuenow"), "10");
  });

  test("unknown total: no bar, just counts", () => {
    const { $, model } = mount(batch({ total: null, eta: null }));
    const bar = /** @type {HTMLElement} */ ($(".rig-batch-bar"));
    assert.equal(shown(bar), false);
    assert.equal(bar.hasAttribute("aria-valuemax"), false);
    assert.equal(bar.hasAttribute("aria-valuenow"), false);
    assert.match(/** @type {string} */ ($(".rig-batch-stats")?.textContent), /^412 rows · 3 failed · 8 running · /);
    // the length becomes known
    model.push(batch({ total: 1000 }));
    assert.equal(shown(bar), true);
    assert.match(/** @type {string} */ ($(".rig-batch-stats")?.textContent), /^412 \/ 1,000 rows/);
  });

  test("the stats line updates with each state", () => {
    const { $, model } = mount(batch({ done: 0, failed: 0, running: 0, cached: 0, input_tokens: 0, output_tokens: 0, elapsed: 0, rows_per_second: 0, eta: null, cost: null }));
    assert.equal($(".rig-batch-stats")?.textContent, "0 / 1,000 rows · 0 failed · 0 running · 0 in · 0 out tokens · 0.0 rows/s · 0s elapsed");
    model.push(batch());
    assert.equal($(".rig-batch-stats")?.textContent, statsLine(normalize(batch())));
  });

  test("a missing, empty or ill-typed state renders with defaults", () => {
    for (const raw of [undefined, null, {}, "text", [], { status: "exploded", total: "many", done: -5, cost: NaN, failures: "x", approvals: [null, { args: 3 }], notices: [1, "kept"], decisions: [{}] }]) {
      const { $ } = mount(raw);
      assert.equal($(".rig-batch")?.getAttribute("data-status"), "running");
      assert.equal(shown($(".rig-batch-bar")), false);
      assert.match(/** @type {string} */ ($(".rig-batch-stats")?.textContent), /^0 rows · 0 failed/);
    }
    const { $$ } = mount({ notices: [1, "kept"], approvals: [null, { args: 3 }] });
    assert.deepEqual($$(".rig-batch-notice").map((n) => n.textContent), ["kept"]);
    assert.equal($$(".rig-batch-approval").length, 0);
  });
});

describe("Stop", () => {
  test("sends {kind: stop} once, then says Stopping… until the batch ends", () => {
    const { $, model } = mount();
    const stop = /** @type {HTMLButtonElement} */ ($(".rig-batch-stop"));
    stop.click();
    assert.deepEqual(model.sent, [{ kind: "stop" }]);
    assert.equal(stop.disabled, true);
    assert.equal(stop.textContent, "Stopping…");
    stop.click();
    assert.equal(model.sent.length, 1);
    model.push(batch()); // a state from before the kernel saw it
    assert.equal(stop.disabled, true);
    model.push(batch({ status: "stopping" }));
    assert.equal(stop.textContent, "Stopping…");
    model.push(batch({ status: "stopped", banner: "Stopped by you: 412 of 1,000 rows finished, kept in results" }));
    assert.equal(shown(stop), false);
    assert.equal($(".rig-batch-banner")?.textContent, "Stopped by you: 412 of 1,000 rows finished, kept in results");
  });

  test("hidden once the batch is done", () => {
    const { $, model } = mount();
    assert.equal(shown($(".rig-batch-stop")), true);
    model.push(batch({ status: "done", done: 997, running: 0 }));
    assert.equal(shown($(".rig-batch-stop")), false);
  });
});

describe("approvals for every row", () => {
  const approvals = [{ tool: "search", args: '{\n  "query": "the title"\n}' }, { tool: "delete_file", args: '{"path": "a.txt"}' }];

  test("one card per tool: who wants to run, its arguments, two buttons", () => {
    const { $$ } = mount(batch({ approvals }));
    const cards = $$(".rig-batch-approval");
    assert.equal(cards.length, 2);
    assert.equal(cards[0].querySelector(".rig-batch-approval-line")?.textContent, "search wants to run — for every row of this batch");
    assert.equal(cards[0].querySelector("code")?.textContent, "search");
    assert.equal(cards[0].querySelector("pre.rig-batch-args")?.textContent, approvals[0].args);
    assert.deepEqual([...cards[1].querySelectorAll("button")].map((b) => b.textContent), ["Approve for all rows", "Deny for all rows"]);
  });

  test("Approve / Deny send the tool's decision and disable that card's buttons", () => {
    const { $$, model } = mount(batch({ approvals }));
    const [search, remove] = $$(".rig-batch-approval");
    /** @type {HTMLButtonElement} */ (search.querySelector(".rig-batch-approve")).click();
    assert.deepEqual(model.sent, [{ kind: "approve", tool: "search" }]);
    assert.deepEqual([...search.querySelectorAll("button")].map((b) => b.disabled), [true, true]);
    assert.deepEqual([...remove.querySelectorAll("button")].map((b) => b.disabled), [false, false]);
    /** @type {HTMLButtonElement} */ (search.querySelector(".rig-batch-deny")).click(); // disabled: no second message
    assert.equal(model.sent.length, 1);
    /** @type {HTMLButtonElement} */ (remove.querySelector(".rig-batch-deny")).click();
    assert.deepEqual(model.sent, [{ kind: "approve", tool: "search" }, { kind: "deny", tool: "delete_file" }]);
    // a state from before the kernel saw the clicks keeps the buttons disabled
    model.push(batch({ approvals }));
    assert.ok($$(".rig-batch-approval button").every((b) => /** @type {HTMLButtonElement} */ (b).disabled));
  });

  test("the tab title says ⏸ approval while a card waits, and not once answered", async () => {
    const { $$, model } = mount(batch());
    assert.equal(document.title, BASE_TITLE);
    model.push(batch({ approvals }));
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    assert.equal($$(".rig-batch-status")[0].textContent, "Waiting for approval");
    // JupyterLab rewrites the title when the current document changes: the prefix comes back
    document.title = "other.ipynb - JupyterLab";
    await settle();
    assert.equal(document.title, TITLE_PREFIX + "other.ipynb - JupyterLab");
    /** @type {HTMLButtonElement} */ ($$(".rig-batch-approve")[0]).click();
    assert.equal(document.title, TITLE_PREFIX + "other.ipynb - JupyterLab", "one card still waits");
    /** @type {HTMLButtonElement} */ ($$(".rig-batch-deny")[1]).click();
    assert.equal(document.title, "other.ipynb - JupyterLab");
    assert.equal($$(".rig-batch-status")[0].textContent, "Running");
  });

  test("the prefix goes when the kernel drops the approvals, when the batch ends, when the view is removed", () => {
    const first = mount(batch({ approvals }));
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    first.model.push(batch({ approvals: [], decisions: [{ tool: "search", decision: "denied", by: "timeout" }] }));
    assert.equal(document.title, BASE_TITLE);
    assert.equal(first.$$(".rig-batch-approval").length, 0);
    assert.equal(shown(first.$(".rig-batch-approvals")), false);

    first.model.push(batch({ approvals }));
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    first.model.push(batch({ approvals, status: "stopped", banner: "Stopped" }));
    assert.equal(document.title, BASE_TITLE);
    assert.equal(first.$$(".rig-batch-approval").length, 0, "nobody can answer an ended batch");

    const second = mount(batch({ approvals }));
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    second.view.destroy();
    assert.equal(document.title, BASE_TITLE);
    assert.equal(second.model.listeners(), 0);
  });

  test("an AgentView and a batch view that both wait share the one prefix, never dropped between", async () => {
    const agentModel = new FakeModel({ _state: state({ status: "waiting", blocks: [tool()] }) });
    const agentEl = document.createElement("div");
    document.body.appendChild(agentEl);
    const agent = new AgentView(/** @type {any} */ (agentModel), agentEl);
    try {
      const waiting = mount(batch({ approvals }));
      assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
      waiting.model.push(batch({ approvals: [] })); // the batch's question answered
      // at once, not only after an observer put it back: the AgentView still waits
      assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
      await settle();
      assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
      agentModel.push(state({ status: "running", blocks: [tool({ status: "running" })] }));
      assert.equal(document.title, BASE_TITLE);
    } finally {
      agent.destroy();
    }
  });

  test("a view that does not wait leaves another view's prefix alone", () => {
    const waiting = mount(batch({ approvals }));
    const idle = mount(batch());
    idle.model.push(batch({ done: 500 }));
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    idle.view.destroy();
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    waiting.model.push(batch({ approvals: [] }));
    assert.equal(document.title, BASE_TITLE);
  });

  test("a card is kept across states (focus and scroll stay) and redrawn when its arguments change", () => {
    const { $$, model } = mount(batch({ approvals }));
    const before = $$(".rig-batch-approval")[0];
    model.push(batch({ approvals, done: 413 }));
    assert.equal($$(".rig-batch-approval")[0], before);
    model.push(batch({ approvals: [{ tool: "search", args: "{}" }] }));
    assert.notEqual($$(".rig-batch-approval")[0], before);
    assert.equal($$(".rig-batch-args")[0].textContent, "{}");
  });

  test("the decisions as small lines", () => {
    const decisions = [
      { tool: "search", decision: "approved", by: "you" },
      { tool: "search", decision: "denied", by: "you" },
      { tool: "fetch", decision: "denied", by: "policy" },
      { tool: "fetch", decision: "approved", by: "policy" },
      { tool: "shell", decision: "denied", by: "headless" },
      { tool: "mail", decision: "denied", by: "timeout" },
    ];
    const { $$ } = mount(batch({ decisions }));
    assert.deepEqual($$(".rig-batch-decision").map((d) => d.textContent), [
      "search: approved for all rows by you",
      "search: denied for all rows by you",
      "fetch: denied by policy",
      "fetch: approved by policy",
      "shell: denied: nobody to ask (headless)",
      "mail: denied: no answer in time",
    ]);
  });

  test("notices, one line each", () => {
    const notices = ["no front end: tool calls were denied (RIG_NB_HEADLESS_APPROVAL)", "second"];
    const { $$ } = mount(batch({ notices }));
    assert.deepEqual($$(".rig-batch-notice").map((n) => n.textContent), notices);
  });
});

describe("failures", () => {
  test("a titled sample of <details>, with the prompt, attempts and history inside", () => {
    const { $, $$ } = mount(batch({ failed: 3, failures: [failure(), failure({ index: 9, row: "row-nine", error: "TimeoutError", message: "", attempts: 1, history: [] })] }));
    assert.equal(shown($(".rig-batch-failures")), true);
    assert.equal($(".rig-batch-failures-title")?.textContent, "Failures (3)");
    const details = /** @type {HTMLDetailsElement[]} */ ($$("details.rig-batch-failure"));
    assert.equal(details.length, 2);
    assert.equal(details[0].open, false);
    assert.equal(details[0].querySelector("summary")?.textContent, "row 7 · ValueError: bad label");
    assert.equal(details[1].querySelector("summary")?.textContent, "row row-nine · TimeoutError");
    details[0].open = true;
    assert.equal(details[0].querySelector("pre.rig-batch-prompt")?.textContent, "Classify: the title");
    assert.equal(details[0].querySelector(".rig-batch-attempts")?.textContent, "3 attempts");
    assert.equal(details[0].querySelector("pre.rig-batch-history")?.textContent, "user: Classify: the title\nassistant: maybe");
    assert.equal(details[1].querySelector(".rig-batch-attempts")?.textContent, "1 attempt");
    assert.equal(shown($(".rig-batch-failures-more")), false);
  });

  test("an opened failure stays open across states; a changed one is redrawn, still open", () => {
    const { $$, model } = mount(batch({ failures: [failure()] }));
    const first = /** @type {HTMLDetailsElement} */ ($$("details")[0]);
    first.open = true;
    model.push(batch({ done: 500, failures: [failure(), failure({ index: 8 })] }));
    assert.equal($$("details")[0], first);
    assert.equal(/** @type {HTMLDetailsElement} */ ($$("details")[0]).open, true);
    assert.equal(/** @type {HTMLDetailsElement} */ ($$("details")[1]).open, false);
    model.push(batch({ failures: [failure({ attempts: 4 })] }));
    const redrawn = /** @type {HTMLDetailsElement} */ ($$("details")[0]);
    assert.notEqual(redrawn, first);
    assert.equal(redrawn.open, true);
    assert.equal(redrawn.querySelector(".rig-batch-attempts")?.textContent, "4 attempts");
  });

  test("more than the sample: where the rest are, with the variable's name", () => {
    const { $, model } = mount(batch({ failed: 1234, failures: [failure()], failures_more: 1233, out: "labels" }));
    assert.equal($(".rig-batch-failures-title")?.textContent, "Failures (1,234)");
    assert.equal($(".rig-batch-failures-more")?.textContent, "and 1,233 more in labels[labels.status == 'failed']");
    assert.equal(shown($(".rig-batch-failures-more")), true);
    model.push(batch({ failed: 0, failures: [], failures_more: 0 }));
    assert.equal(shown($(".rig-batch-failures")), false);
  });
});

describe("the anywidget entry", () => {
  test("renders, and its cleanup removes the listeners, the DOM and the tab-title prefix", async () => {
    const { default: widget } = await import("../src/batch/index.js");
    const model = new FakeModel({ _state: batch({ title: "entry", approvals: [{ tool: "search", args: "{}" }] }) });
    const el = document.createElement("div");
    const cleanup = widget.render(/** @type {any} */ ({ model, el }));
    assert.equal(el.querySelector(".rig-batch-title")?.textContent, "entry");
    assert.equal(model.get("rendered"), true);
    assert.equal(document.title, TITLE_PREFIX + BASE_TITLE);
    assert.equal(typeof cleanup, "function");
    await /** @type {() => Promise<void>} */ (cleanup)();
    assert.equal(model.listeners(), 0);
    assert.equal(el.children.length, 0);
    assert.equal(document.title, BASE_TITLE);
  });

  test("the bundle's sources never parse HTML nor pull in the markdown stack", () => {
    for (const name of ["index.js", "view.js", "state.js", "format.js", "title.js"]) {
      const source = readFileSync(new URL(`../src/batch/${name}`, import.meta.url), "utf8");
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|DOMParser|document\.write|createContextualFragment/, name);
      assert.doesNotMatch(source, /from "(marked|katex|highlight\.js|dompurify)|\.\.\/(markdown|sanitize|highlight|rich)\.js"/, name);
    }
  });
});

describe("untrusted text", () => {
  /** Every string field of the state set to `text`. @param {string} text */
  function everywhere(text) {
    return batch({
      title: text, out: text, failed: 30, failures_more: 29, banner: text, status: "failed", notices: [text, text],
      failures: [failure({ row: text, error: text, message: text, prompt: text, history: [{ role: text, text }] })],
      approvals: [{ tool: text, args: text }],
      decisions: [{ tool: text, decision: "approved", by: "you" }, { tool: text, decision: text, by: text }],
    });
  }

  /** The elements a view built, as tag.class lines (its structure, not its text). @param {Element} root */
  function structure(root) {
    return [...root.querySelectorAll("*")].map((el) => `${el.localName}.${el.className}`);
  }

  /** @param {Element} root */
  function dangers(root) {
    const found = [];
    for (const el of root.querySelectorAll("script, img, svg, iframe, object, embed, form, style, link, math, a, video, audio, base, meta")) {
      found.push(`<${el.localName}>`);
    }
    for (const el of root.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        if (/^on/i.test(attr.name)) found.push(`${attr.name} on <${el.localName}>`);
        // (a title attribute is text: a tooltip, never a link)
        if (attr.name !== "title" && /^\s*javascript:/i.test(attr.value)) found.push(`${attr.name}=${attr.value}`);
        if (["href", "src", "srcdoc", "action", "formaction", "xlink:href"].includes(attr.name)) found.push(attr.name);
      }
    }
    return found;
  }

  test("every payload in every string field: the same elements as plain text, the text literal, nothing runs", async () => {
    // An ended (failed) batch shows the banner; approvals show while running: check both.
    for (const status of ["failed", "running"]) {
      const benign = mount({ ...everywhere("plain"), status });
      const expected = structure(benign.el);
      for (const payload of PAYLOADS) {
        const { el, $, $$, model } = mount({ ...everywhere(payload), status });
        assert.deepEqual(structure(el), expected, `${status}: ${payload}`);
        assert.deepEqual(dangers(el), [], payload);
        assert.equal($(".rig-batch-title")?.textContent, payload);
        assert.ok($$(".rig-batch-notice").every((n) => n.textContent === payload));
        assert.equal($(".rig-batch-failure-summary")?.textContent, `row ${payload} · ${payload}: ${payload.split(/\r\n|\r|\n/, 1)[0]}`);
        assert.equal($(".rig-batch-prompt")?.textContent, payload);
        assert.equal($(".rig-batch-history")?.textContent, `${payload}: ${payload}`);
        assert.equal($(".rig-batch-failures-more")?.textContent, `and 29 more in ${payload}[${payload}.status == 'failed']`);
        assert.equal($$(".rig-batch-decision")[0].textContent, `${payload}: approved for all rows by you`);
        if (status === "failed") {
          assert.equal($(".rig-batch-banner")?.textContent, payload);
        } else {
          assert.equal($(".rig-batch-tool")?.textContent, payload);
          assert.equal($(".rig-batch-args")?.textContent, payload);
          /** @type {HTMLButtonElement} */ ($(".rig-batch-approve")).click();
          assert.deepEqual(model.sent, [{ kind: "approve", tool: payload }]);
        }
      }
      for (const view of views) view.destroy();
      views = [];
      document.body.replaceChildren();
    }
    await settle();
    assert.equal(/** @type {any} */ (window).__pwned, undefined);
  });
});

describe("contrast (WCAG AA) of the batch view's colours (palette.css, batch/view.css), light and dark", () => {
  const shared = readFileSync(new URL("../src/palette.css", import.meta.url), "utf8");
  const css = readFileSync(new URL("../src/batch/view.css", import.meta.url), "utf8");
  /**
   * The `--rig-*` and `--rig-batch-*` hex values of the first rule of `source` whose selector
   * matches. @param {string} source @param {RegExp} selector
   */
  function palette(source, selector) {
    const match = new RegExp(`${selector.source}[^{]*\\{([^}]*)\\}`).exec(source);
    assert.ok(match, String(selector));
    /** @type {Record<string, string>} */
    const vars = {};
    for (const [, name, value] of match[1].matchAll(/--rig-(?:batch-)?([\w-]+):\s*(?:var\([^,]+,\s*)?(#[0-9a-f]{3,6})\)?;/gi)) vars[name] = value;
    return vars;
  }
  /** @param {string} hex */
  function luminance(hex) {
    const h = hex.length === 4 ? hex.slice(1).split("").map((c) => c + c).join("") : hex.slice(1);
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  /** @param {string} a @param {string} b */
  function ratio(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  const light = { ...palette(shared, /\.rig-nb,\s*\.rig-batch /), ...palette(css, /\.rig-batch /) };
  const dark = {
    ...light,
    ...palette(shared, /body\[data-jp-theme-light="false"\] :is/),
    ...palette(css, /body\[data-jp-theme-light="false"\] \.rig-batch/),
  };
  // JupyterLab's surfaces (--jp-layout-color0/1/2, the editor background), light and dark themes.
  const themes = [
    ["light", light, { bg: ["#ffffff"], surface: ["#eeeeee"], code: ["#f5f5f5", "#f7f7f7"] }],
    ["dark", dark, { bg: ["#111111", "#212121"], surface: ["#424242"], code: ["#212121"] }],
  ];

  for (const [name, p, surfaces] of /** @type {[string, Record<string, string>, Record<string, string[]>][]} */ (themes)) {
    test(`${name}: text >= 4.5:1, bar segments >= 3:1`, () => {
      const checks = [];
      for (const bg of surfaces.bg) {
        for (const seg of ["done", "failed", "running", "muted"]) checks.push([seg, p[seg], bg, 3]);
        for (const fg of ["muted", "danger", "warn", "accent", "link", "ok"]) checks.push([fg, p[fg], bg, 4.5]);
      }
      for (const bg of surfaces.surface) for (const fg of ["muted", "danger"]) checks.push([`${fg} on surface`, p[fg], bg, 4.5]);
      for (const bg of surfaces.code) checks.push(["muted on code", p.muted, bg, 4.5]);
      checks.push(["approve", p["approve-fg"], p["approve-bg"], 4.5]);
      for (const end of ["ok", "cancel", "error"]) checks.push([`${end} banner`, p[`${end}-fg`], p[`${end}-bg`], 4.5]);
      const failing = checks
        .filter(([, fg, bg, min]) => { assert.ok(fg && bg, `${name}: a colour is missing`); return ratio(/** @type {string} */ (fg), /** @type {string} */ (bg)) < /** @type {number} */ (min); })
        .map(([what, fg, bg]) => `${what}: ${fg} on ${bg} = ${ratio(/** @type {string} */ (fg), /** @type {string} */ (bg)).toFixed(2)}`);
      assert.deepEqual(failing, []);
    });
  }
});
