import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { checkEdit, sameJson } from "../src/edit.js";
import { DECISION_LABELS, decisionText } from "../src/state.js";
import { AgentView } from "../src/view.js";
import { FakeModel, PAYLOADS, state, tool } from "./helpers.js";

/** @type {AgentView[]} */
let views = [];

/** @param {unknown} initial */
function mount(initial) {
  const model = new FakeModel({ _state: initial });
  const el = document.createElement("div");
  document.body.appendChild(el);
  views.push(new AgentView(/** @type {any} */ (model), el));
  return {
    model,
    $: (/** @type {string} */ s) => el.querySelector(s),
    $$: (/** @type {string} */ s) => [...el.querySelectorAll(s)],
    sent: () => model.sent.filter((m) => /** @type {any} */ (m).kind !== "request_state"),
  };
}

afterEach(() => {
  for (const view of views) view.destroy();
  views = [];
  document.body.replaceChildren();
});

const SCHEMA = {
  type: "object",
  properties: { path: { type: "string" }, mode: { enum: ["soft", "hard"] }, depth: { type: "integer", minimum: 0 } },
  required: ["path"],
  additionalProperties: false,
};

describe("each card says why it ran or didn't (point 10)", () => {
  test("every decision kind has its words, with the reason after a colon", () => {
    assert.equal(decisionText(null), "");
    assert.equal(decisionText({ kind: "skipped", reason: "keep it" }), "skipped by you: keep it");
    for (const kind of Object.keys(DECISION_LABELS)) {
      const { $ } = mount(state({ status: "done", blocks: [tool({ status: "done", decision: { kind, reason: "" } })] }));
      assert.equal($(".rig-tool-status")?.textContent, `done: ${DECISION_LABELS[/** @type {keyof typeof DECISION_LABELS} */ (kind)]}`);
      assert.equal(/** @type {HTMLElement} */ ($(".rig-tool")).dataset.decision, kind);
    }
  });

  test("an unknown decision kind is dropped, a failure shows its error", () => {
    const { $$ } = mount(state({
      status: "done",
      blocks: [
        tool({ id: "a", status: "done", decision: /** @type {any} */ ({ kind: "<b>x</b>", reason: "y" }) }),
        tool({ id: "b", status: "error", failed: true, error: "ToolCallError: boom", decision: { kind: "approved", reason: "" } }),
      ],
    }));
    assert.deepEqual($$(".rig-tool-status").map((s) => s.textContent), ["done", "error: ToolCallError: boom"]);
  });
});

describe("parallel calls (point 8)", () => {
  test("every waiting call has its buttons; two or more get Approve all / Skip all", () => {
    const blocks = [tool({ id: "a" }), tool({ id: "b" }), tool({ id: "c", status: "queued", decision: { kind: "approved", reason: "" } })];
    const { $, $$, sent, model } = mount(state({ status: "waiting", blocks }));
    assert.equal($$(".rig-tool-waiting .rig-approve").length, 2);
    assert.equal($(".rig-bulk-label")?.textContent, "2 tool calls wait for you");
    const reason = /** @type {HTMLInputElement} */ ($(".rig-bulk-reason"));
    reason.value = "not today";
    /** @type {HTMLButtonElement} */ ($(".rig-skip-all")).click();
    /** @type {HTMLButtonElement} */ ($(".rig-approve-all")).click();
    assert.deepEqual(sent(), [{ kind: "skip_all", reason: "not today" }, { kind: "approve_all", reason: "not today" }]);
    assert.match(/** @type {HTMLElement} */ ($(".rig-tool-queued .rig-tool-status")).textContent ?? "", /queued: approved by you/);
    model.push(state({ status: "waiting", blocks: [tool({ id: "a" }), tool({ id: "b", status: "skipped" })] }));
    assert.equal($(".rig-bulk"), null); // one left: its own buttons are enough
  });
});

describe("edit before approving (point 9)", () => {
  test("the editor checks the arguments against the tool's schema as the user types", () => {
    assert.deepEqual(checkEdit('{"path": "b.txt"}', SCHEMA), []);
    assert.match(checkEdit("{nope", SCHEMA)[0], /^not JSON/);
    assert.match(checkEdit("[1]", SCHEMA)[0], /must be a JSON object/);
    assert.ok(checkEdit("{}", SCHEMA).some((p) => /path/.test(p)));
    assert.ok(checkEdit('{"path": 3}', SCHEMA).some((p) => p.startsWith("path:")));
    assert.ok(checkEdit('{"path": "x", "mode": "medium"}', SCHEMA).some((p) => p.startsWith("mode:")));
    assert.ok(checkEdit('{"path": "x", "extra": 1}', SCHEMA).length > 0);
    assert.deepEqual(checkEdit('{"anything": 1}', undefined), []);
    assert.ok(sameJson('{"a":1}', '{\n  "a": 1\n}'));
  });

  test("Edit opens the field; Approve is off while it is invalid and sends the edit", () => {
    const { $, sent } = mount(state({ status: "waiting", schemas: { delete_file: SCHEMA }, blocks: [tool({ id: "a" })] }));
    /** @type {HTMLButtonElement} */ ($(".rig-edit-button")).click();
    const area = /** @type {HTMLTextAreaElement} */ ($(".rig-edit-args"));
    const approve = /** @type {HTMLButtonElement} */ ($(".rig-approve"));
    assert.equal(area.value, '{\n  "path": "a.txt"\n}');
    assert.equal(approve.disabled, false);
    assert.equal(approve.textContent, "Approve");
    area.value = '{"path": 7}';
    area.dispatchEvent(new Event("input"));
    assert.equal(approve.disabled, true);
    assert.match($(".rig-edit-problems")?.textContent ?? "", /path/);
    area.value = '{"path": "b.txt", "mode": "soft"}';
    area.dispatchEvent(new Event("input"));
    assert.equal(approve.disabled, false);
    assert.equal(approve.textContent, "Approve with edits");
    approve.click();
    assert.deepEqual(sent(), [{ kind: "approve", id: "a", reason: "", arguments: '{"path": "b.txt", "mode": "soft"}' }]);
  });

  test("the draft survives a re-render; Cancel edit drops it; the kernel's refusal shows as text", () => {
    const card = tool({ id: "a" });
    const { $, model } = mount(state({ status: "waiting", schemas: { delete_file: SCHEMA }, blocks: [card] }));
    /** @type {HTMLButtonElement} */ ($(".rig-edit-button")).click();
    const area = /** @type {HTMLTextAreaElement} */ ($(".rig-edit-args"));
    area.value = '{"path": "<img src=x onerror=window.__pwned=1>"}';
    area.dispatchEvent(new Event("input"));
    model.push(state({ status: "waiting", schemas: { delete_file: SCHEMA }, blocks: [{ ...card, edit_error: PAYLOADS[0] }] }));
    assert.equal(/** @type {HTMLTextAreaElement} */ ($(".rig-edit-args")).value, '{"path": "<img src=x onerror=window.__pwned=1>"}');
    assert.equal($(".rig-edit-error")?.textContent, `The kernel refused the edit: ${PAYLOADS[0]}`);
    assert.equal($(".rig-edit-error script, .rig-edit-error img"), null);
    /** @type {HTMLButtonElement} */ ($(".rig-edit-button")).click();
    assert.equal($(".rig-edit-args"), null);
    assert.ok($(".rig-tool-args"));
  });

  test("an edited call shows what the model asked for and what ran", () => {
    const { $$ } = mount(state({
      status: "done",
      blocks: [tool({ status: "done", ran_args: '{\n  "path": "b.txt"\n}', decision: { kind: "approved", reason: "with edited arguments" } })],
    }));
    assert.deepEqual($$(".rig-args-label").map((l) => l.textContent), ["the model asked for", "ran with"]);
    assert.equal($$(".rig-args-asked")[0].textContent, '{\n  "path": "a.txt"\n}');
    assert.equal($$(".rig-args-ran")[0].textContent, '{\n  "path": "b.txt"\n}');
  });

  test("an edited code tool shows both codes highlighted, the edit waiting to run with", () => {
    const asked = { language: "python", text: "total = sum(prices)" };
    const ran = { language: "python", text: "total = 2 * sum(prices)" };
    const { $$ } = mount(state({
      status: "waiting",
      blocks: [tool({
        name: "run_code", status: "queued", args: JSON.stringify({ code: asked.text }, null, 2), code: asked,
        ran_args: JSON.stringify({ code: ran.text }, null, 2), ran_code: ran,
        decision: { kind: "approved", reason: "with edited arguments" },
      })],
    }));
    assert.deepEqual($$(".rig-args-label").map((l) => l.textContent), ["the model asked for", "will run with"]);
    assert.equal($$(".rig-tool-code.rig-args-asked")[0].textContent, asked.text);
    assert.equal($$(".rig-tool-code.rig-args-ran")[0].textContent, ran.text);
    assert.ok($$(".rig-args-ran .hljs-built_in, .rig-args-ran .hljs-number").length > 0, "highlighted");
    assert.equal($$(".rig-tool-args").length, 0); // code, not JSON
  });
});

describe("the system prompt (point 3)", () => {
  test("collapsed above the user's prompt, as text; hidden when there is none", () => {
    const { $, model } = mount(state({ status: "done", system: PAYLOADS[0], prompt: "hi" }));
    const system = /** @type {HTMLDetailsElement} */ ($(".rig-system"));
    assert.equal(system.hidden, false);
    assert.equal(system.open, false);
    assert.equal($(".rig-system-text")?.textContent, PAYLOADS[0]);
    assert.equal($(".rig-system script"), null);
    const order = [...(/** @type {HTMLElement} */ ($(".rig-nb"))).children].map((c) => c.className.split(" ")[0]);
    assert.ok(order.indexOf("rig-system") < order.indexOf("rig-prompt"));
    model.push(state({ status: "done", system: "", prompt: "hi" }));
    assert.equal(system.hidden, true);
  });
});
