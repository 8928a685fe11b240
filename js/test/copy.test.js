import assert from "node:assert/strict";
import { afterEach, describe, mock, test } from "node:test";
import { FEEDBACK_MS, copyText } from "../src/copy.js";
import { AgentView } from "../src/view.js";
import { FakeModel, state, tool } from "./helpers.js";

/** @type {AgentView[]} */
let views = [];

/** @param {unknown} initial */
function mount(initial) {
  const model = new FakeModel({ state: initial });
  const el = document.createElement("div");
  document.body.appendChild(el);
  views.push(new AgentView(/** @type {any} */ (model), el));
  return { model, $: (/** @type {string} */ s) => el.querySelector(s) };
}

/** Let promise continuations run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  for (const view of views) view.destroy();
  views = [];
  document.body.replaceChildren();
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
