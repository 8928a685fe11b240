import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EMPTY, STATUS_LABELS, answerText, apply, formatCost, isLive, normalize, usageLine, usageText, waitingCalls } from "../src/state.js";
import { state, tool } from "./helpers.js";

describe("apply (the reducer)", () => {
  test("a state message replaces the state with the kernel's, normalised", () => {
    const raw = state({ prompt: "hi", blocks: [{ kind: "text", turn: 0, text: "Hello" }] });
    const next = apply(EMPTY, { type: "state", state: raw });
    assert.equal(next.status, "running");
    assert.equal(next.prompt, "hi");
    assert.deepEqual(next.blocks, [{ kind: "text", turn: 0, text: "Hello" }]);
  });

  test("is pure: neither the old state nor the message's state is changed", () => {
    const raw = state({ blocks: [tool()] });
    const frozen = JSON.stringify(raw);
    const before = apply(EMPTY, { type: "state", state: raw });
    const snapshot = JSON.stringify(before);
    apply(before, { type: "state", state: state({ status: "done" }) });
    assert.equal(JSON.stringify(raw), frozen);
    assert.equal(JSON.stringify(before), snapshot);
    assert.equal(EMPTY.status, "idle");
  });

  test("an unknown message (say, a later delta type this build does not know) keeps the state", () => {
    const current = apply(EMPTY, { type: "state", state: state() });
    assert.equal(apply(current, { type: "delta" }), current);
    assert.equal(apply(current, { type: "" }), current);
  });

  test("every message kind the protocol defines is handled", () => {
    // protocol.js's Message union has one member today; this fails when one is added unhandled.
    for (const type of ["state"]) {
      const next = apply(EMPTY, { type, state: state({ status: "done" }) });
      assert.notEqual(next, EMPTY, type);
    }
  });
});

describe("normalize", () => {
  test("the empty state before a run is idle", () => {
    assert.deepEqual(normalize({}), EMPTY);
    assert.deepEqual(normalize(null), EMPTY);
    assert.deepEqual(normalize([1, 2]), EMPTY);
    assert.equal(STATUS_LABELS[normalize(undefined).status], "Idle");
  });

  test("malformed fields get their empty value, never a crash", () => {
    const next = normalize({
      status: "bogus", prompt: 42, blocks: "nope", usage: { turns: {}, total: "x" },
      error: 7, notices: [1, null, "n"], final: undefined,
    });
    assert.equal(next.status, "idle");
    assert.equal(next.prompt, "42");
    assert.deepEqual(next.blocks, []);
    assert.deepEqual(next.usage.turns, []);
    assert.equal(next.usage.total?.input_tokens, 0);
    assert.equal(next.error, "7");
    assert.deepEqual(next.notices, ["1", "", "n"]);
    assert.equal(next.final, null);
  });

  test("blocks of every kind keep their fields; unknown kinds are dropped", () => {
    const blocks = normalize(state({
      blocks: [
        { kind: "text", turn: 0, text: "a" },
        { kind: "reasoning", turn: 0, text: "r", done: 1 },
        { kind: "image", turn: 0 },
        tool({ status: "done", result: { text: "ok", json: false, images: [{ url: "https://x/a.png" }, { mime: "image/png", data: "AA==" }, { bad: 1 }] } }),
        tool({ status: "exploded" }),
      ],
    })).blocks;
    assert.deepEqual(blocks.map((b) => b.kind), ["text", "reasoning", "tool", "tool"]);
    assert.equal(blocks[1].kind === "reasoning" && blocks[1].done, true);
    const done = blocks[2];
    assert.ok(done.kind === "tool");
    assert.deepEqual(done.result?.images, [{ url: "https://x/a.png" }, { mime: "image/png", data: "AA==" }]);
    assert.equal(blocks[3].kind === "tool" && blocks[3].status, "error");
  });

  test("a failed tool call is the kernel's flag: only a true failed counts", () => {
    const blocks = normalize(state({
      blocks: [
        tool({ status: "error", failed: true, decision: "ToolCallError: disk full" }),
        tool({ status: "done", failed: "yes" }),
        tool({ status: "done" }),
      ],
    })).blocks;
    assert.deepEqual(blocks.map((b) => b.kind === "tool" && b.failed), [true, false, false]);
    assert.equal(blocks[0].kind === "tool" && blocks[0].decision, "ToolCallError: disk full");
  });

  test("strings stay the untrusted text they are (no decoding, no trimming)", () => {
    const text = " <b>&amp;</b>\n ";
    assert.equal(normalize(state({ prompt: text })).prompt, text);
  });
});

describe("questions the view asks", () => {
  test("isLive: Stop shows only while the run is running or waiting", () => {
    const live = ["running", "waiting"];
    for (const status of ["running", "waiting", "done", "error", "cancelled", "idle"]) {
      assert.equal(isLive(normalize(state({ status }))), live.includes(status), status);
    }
  });

  test("waitingCalls counts the calls that wait for a click", () => {
    const s = normalize(state({ blocks: [tool({ id: "a" }), tool({ id: "b", status: "done" }), tool({ id: "c" })] }));
    assert.equal(waitingCalls(s), 2);
  });

  test("answerText is the final answer, else all streamed text in order", () => {
    const blocks = [{ kind: "text", turn: 0, text: "one " }, tool({ status: "done" }), { kind: "text", turn: 1, text: "two" }];
    assert.equal(answerText(normalize(state({ blocks }))), "one two");
    assert.equal(answerText(normalize(state({ blocks, final: "two" }))), "two");
    assert.equal(answerText(normalize(state())), "");
  });

  test("usageText never shows '0 in · 0 out' for a model that reports no usage", () => {
    const zero = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    assert.equal(usageText(zero), "");
    assert.equal(usageText(null), "");
    assert.equal(usageText({ ...zero, total_tokens: 10 }), "10 total");
    assert.equal(usageText({ input_tokens: 143, output_tokens: 25, total_tokens: 168 }), "143 in · 25 out · 168 total");
    assert.equal(usageText({ input_tokens: 5, output_tokens: 0, total_tokens: 5, cached_input_tokens: 3 }), "5 in · 0 out · 5 total · 3 cached");
  });

  test("formatCost: three significant digits, never scientific notation, never negative", () => {
    assert.equal(formatCost(0.000213), "$0.000213");
    assert.equal(formatCost(0.0000004567), "$0.000000457");
    assert.equal(formatCost(0.5), "$0.500");
    assert.equal(formatCost(1.2), "$1.20");
    assert.equal(formatCost(123.456), "$123.46");
    assert.equal(formatCost(0), "$0");
    assert.equal(formatCost(-1), "$0");
    assert.equal(formatCost(NaN), "$0");
  });

  test("usageLine shows known costs, says when the total's is unknown, and never prices nothing", () => {
    const u = { input_tokens: 1000, output_tokens: 100, total_tokens: 1100 };
    const zero = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    const s = (usage) => normalize(state({ usage }));
    assert.equal(
      usageLine(s({ turns: [{ turn: 0, ...u, cost: 0.00021 }], total: u, cost: 0.00021, cost_note: null })),
      "turn 1: 1000 in · 100 out · 1100 total · $0.000210  |  total: 1000 in · 100 out · 1100 total · $0.000210",
    );
    const unknown = { turns: [{ turn: 0, ...u, cost: null }], total: u, cost: null, cost_note: "no price for vllm:q" };
    assert.equal(usageLine(s(unknown)), "turn 1: 1000 in · 100 out · 1100 total  |  total: 1000 in · 100 out · 1100 total · cost unknown");
    // Before the end (no note yet) nothing is said about cost; a run that reported nothing shows nothing.
    assert.equal(usageLine(s({ turns: [], total: u, cost: null, cost_note: null })), "total: 1000 in · 100 out · 1100 total");
    assert.equal(usageLine(s({ turns: [{ turn: 0, ...zero, cost: 0 }], total: zero, cost: 0, cost_note: null })), "");
    // Junk from the wire is no cost at all.
    const junk = s({ turns: [{ turn: 0, ...u, cost: "1" }], total: u, cost: "0.5", cost_note: 7 });
    assert.equal(junk.usage.cost, null);
    assert.equal(junk.usage.turns[0].cost, null);
    assert.equal(junk.usage.cost_note, "7");
  });

  test("usageLine skips unreported turns and an unreported total", () => {
    const zero = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    const s = (turns, total) => normalize(state({ usage: { turns, total } }));
    assert.equal(usageLine(s([{ turn: 0, ...zero }], zero)), "");
    assert.equal(
      usageLine(s([{ turn: 0, ...zero }, { turn: 1, input_tokens: 1, output_tokens: 2, total_tokens: 3 }], { input_tokens: 1, output_tokens: 2, total_tokens: 3 })),
      "turn 2: 1 in · 2 out · 3 total  |  total: 1 in · 2 out · 3 total",
    );
  });
});
