import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EMPTY, STATUS_LABELS, answerText, apply, base64, formatCost, isLive, normalize, step, usageLine, usageText, waitingCalls, withBuffers } from "../src/state.js";
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

  test("an unknown message (say, a later type this build does not know) keeps the state", () => {
    const current = apply(EMPTY, { type: "state", state: state() });
    assert.equal(apply(current, { type: "later" }), current);
    assert.equal(apply(current, { type: "" }), current);
  });

  test("every message kind the protocol defines is handled", () => {
    // protocol.js's Message union: a whole state, a delta; this fails when one is added unhandled.
    for (const type of ["state", "delta"]) {
      const next = apply(EMPTY, { type, seq: 1, ops: [], set: { status: "done" }, state: state({ status: "done" }) });
      assert.notEqual(next, EMPTY, type);
      assert.equal(next.status, "done", type);
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
        tool({ status: "error", failed: true, error: "ToolCallError: disk full" }),
        tool({ status: "done", failed: "yes" }),
        tool({ status: "done" }),
      ],
    })).blocks;
    assert.deepEqual(blocks.map((b) => b.kind === "tool" && b.failed), [true, false, false]);
    // (what failed is `error`; `decision` is who decided: issue 10 point 10)
    assert.equal(blocks[0].kind === "tool" && blocks[0].error, "ToolCallError: disk full");
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

describe("deltas (append-only updates)", () => {
  const start = () => apply(EMPTY, {
    type: "state",
    state: state({ seq: 4, blocks: [{ kind: "text", turn: 0, text: "Hel" }, tool({ status: "called" })] }),
  });

  test("ops apply in order: text appended, a card patched, a block added; fields set", () => {
    const s = start();
    const next = apply(s, {
      type: "delta", seq: 5,
      ops: [
        { op: "append", index: 0, field: "text", text: "lo" },
        { op: "patch", index: 1, fields: { status: "done", result: { text: "ok", json: false, images: [] } } },
        { op: "add", index: 2, block: { kind: "text", turn: 1, text: "Next" } },
        { op: "append", index: 2, field: "text", text: " turn" },
      ],
      set: { status: "waiting", error: null },
      notices: ["n1"],
      turns: [{ turn: 0, input_tokens: 3, output_tokens: 2, total_tokens: 5 }],
      total: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    });
    assert.equal(next.seq, 5);
    assert.equal(next.status, "waiting");
    assert.deepEqual(next.blocks.map((b) => (b.kind === "tool" ? b.status : b.text)), ["Hello", "done", "Next turn"]);
    assert.deepEqual(next.notices, ["n1"]);
    assert.equal(next.usage.turns.length, 1);
    assert.equal(next.usage.total?.total_tokens, 5);
    const more = apply(next, { type: "delta", seq: 6, ops: [], notices: ["n2"], turns: [{ turn: 1, total_tokens: 1 }] });
    assert.deepEqual(more.notices, ["n1", "n2"]);
    assert.equal(more.usage.turns.length, 2);
    assert.equal(more.usage.total?.total_tokens, 5); // no total: kept
  });

  test("blocks a delta does not touch stay the same objects (the view skips them)", () => {
    const s = start();
    const next = apply(s, { type: "delta", seq: 5, ops: [{ op: "append", index: 0, field: "text", text: "!" }] });
    assert.notEqual(next.blocks[0], s.blocks[0]);
    assert.equal(next.blocks[1], s.blocks[1]);
    assert.equal(next.notices, s.notices);
    assert.equal(next.usage.turns, s.usage.turns);
  });

  test("tool arguments grow by append; a patch is normalised like a whole state", () => {
    const s = start();
    const next = apply(s, {
      type: "delta", seq: 5,
      ops: [
        { op: "append", index: 1, field: "args", text: "more" },
        { op: "patch", index: 1, fields: { status: "bogus", name: 7, kind: "text" } },
      ],
    });
    const card = /** @type {import("../src/protocol.js").ToolBlock} */ (next.blocks[1]);
    assert.equal(card.kind, "tool"); // a patch cannot change a block's kind
    assert.ok(card.args.endsWith("more"));
    assert.equal(card.status, "error");
    assert.equal(card.name, "7");
  });

  test("a delta for another frame: an old one is ignored, a gap asks for the whole state", () => {
    const s = start();
    assert.deepEqual(step(s, { type: "delta", seq: 4, ops: [] }), { next: s, resync: false });
    assert.deepEqual(step(s, { type: "delta", seq: 3, ops: [] }), { next: s, resync: false });
    assert.deepEqual(step(s, { type: "delta", seq: 6, ops: [] }), { next: s, resync: true });
    const fine = step(s, { type: "delta", seq: 5, ops: [] });
    assert.equal(fine.resync, false);
    assert.equal(fine.next.seq, 5);
  });

  test("a delta that does not fit the state changes nothing and asks for the whole state", () => {
    const s = start();
    const misfits = [
      [{ op: "append", index: 7, field: "text", text: "x" }],
      [{ op: "add", index: 0, block: { kind: "text", turn: 0, text: "x" } }],
      [{ op: "add", index: 2, block: { kind: "nonsense" } }],
      [{ op: "patch", index: 9, fields: {} }],
      [{ op: "explode", index: 0 }],
      [{ op: "append", index: 0, field: "text", text: "ok" }, { op: "append", index: 5, field: "text", text: "x" }],
    ];
    for (const ops of misfits) {
      assert.deepEqual(step(s, { type: "delta", seq: 5, ops }), { next: s, resync: true }, JSON.stringify(ops));
    }
  });

  test("a whole state always replaces, whatever its number", () => {
    const s = start();
    const back = apply(s, { type: "state", state: state({ seq: 1, prompt: "new run" }) });
    assert.equal(back.seq, 1);
    assert.equal(back.prompt, "new run");
  });

  test("image bytes (a binary buffer) are put back in place and become base64", () => {
    const bytes = new Uint8Array([137, 80, 78, 71]);
    const message = withBuffers(
      {
        type: "delta", seq: 5,
        ops: [{ op: "patch", index: 1, fields: { result: { text: "", json: false, images: [{ mime: "image/png", data: null }] } } }],
        buffer_paths: [["ops", 0, "fields", "result", "images", 0, "data"]],
      },
      [new DataView(bytes.buffer)],
    );
    const next = apply(start(), /** @type {any} */ (message));
    const card = /** @type {import("../src/protocol.js").ToolBlock} */ (next.blocks[1]);
    assert.deepEqual(card.result?.images, [{ mime: "image/png", data: "iVBORw==" }]);
    assert.equal(base64(bytes.buffer), "iVBORw==");
    assert.equal(base64("already"), "already");
    assert.equal(base64(42), "");
  });

  test("a rich result's image comes as bytes too; its HTML and a card's code come as text", () => {
    const bytes = new Uint8Array([137, 80, 78, 71]);
    const result = { text: "a chart", json: false, images: [], rich: { mime: "image/png", data: null } };
    const message = withBuffers(
      {
        type: "delta", seq: 5,
        ops: [
          { op: "patch", index: 1, fields: { result, code: { language: "python", text: "plot()" } } },
          { op: "add", index: 2, block: tool({ id: "i2", status: "done", result: { ...result, rich: { mime: "text/html", data: "<table></table>" } } }) },
        ],
        buffer_paths: [["ops", 0, "fields", "result", "rich", "data"]],
      },
      [new DataView(bytes.buffer)],
    );
    const next = apply(start(), /** @type {any} */ (message));
    const [, card, added] = /** @type {import("../src/protocol.js").ToolBlock[]} */ (next.blocks);
    assert.deepEqual(card.result?.rich, { mime: "image/png", data: "iVBORw==" });
    assert.deepEqual(card.code, { language: "python", text: "plot()" });
    assert.deepEqual(added.result?.rich, { mime: "text/html", data: "<table></table>" });
    // A later patch of the same card keeps its rich view (re-normalised, now base64 text).
    const later = apply(next, { type: "delta", seq: 6, ops: [{ op: "patch", index: 1, fields: { status: "done" } }] });
    assert.deepEqual(/** @type {any} */ (later.blocks[1]).result.rich, { mime: "image/png", data: "iVBORw==" });
  });

  test("the costs come with the total: the run's, why it is unknown, each usage record's", () => {
    const u = { input_tokens: 1000, output_tokens: 100, total_tokens: 1100 };
    const s = apply(start(), { type: "delta", seq: 5, ops: [], turns: [{ turn: 0, ...u, cost: null }] });
    assert.equal(s.usage.turns[0].cost, null);
    const priced = apply(s, {
      type: "delta", seq: 6, ops: [],
      turns: [{ turn: 1, ...u, cost: null }],
      total: { input_tokens: 2000, output_tokens: 200, total_tokens: 2200 },
      cost: 0.00042, cost_note: null, turn_costs: [0.00021, 0.00021],
    });
    assert.deepEqual(priced.usage.turns.map((t) => t.cost), [0.00021, 0.00021]);
    assert.equal(priced.usage.cost, 0.00042);
    assert.equal(
      usageLine(priced),
      "turn 1: 1000 in · 100 out · 1100 total · $0.000210  |  turn 2: 1000 in · 100 out · 1100 total · $0.000210  |  total: 2000 in · 200 out · 2200 total · $0.000420",
    );
    // A later delta without a total keeps the costs; an unknown cost says so.
    const kept = apply(priced, { type: "delta", seq: 7, ops: [], notices: ["n"] });
    assert.equal(kept.usage.cost, 0.00042);
    assert.deepEqual(kept.usage.turns.map((t) => t.cost), [0.00021, 0.00021]);
    const unknown = apply(kept, {
      type: "delta", seq: 8, ops: [], total: u, cost: null, cost_note: "model call 2 (x:y): no price", turn_costs: [0.00021, null],
    });
    assert.equal(unknown.usage.cost_note, "model call 2 (x:y): no price");
    assert.ok(usageLine(unknown).endsWith("total: 1000 in · 100 out · 1100 total · cost unknown"));
    // Junk costs are no cost.
    const junk = apply(unknown, { type: "delta", seq: 9, ops: [], total: u, cost: "1", cost_note: null, turn_costs: ["2", {}] });
    assert.equal(junk.usage.cost, null);
    assert.deepEqual(junk.usage.turns.map((t) => t.cost), [null, null]);
  });
});
