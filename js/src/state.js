// @ts-check
/**
 * State handling: a pure reducer from kernel messages to a typed, normalised ViewState, and the
 * pure questions the view asks of a state. No DOM here.
 *
 * @module state
 */

import { codeView, richView } from "./rich.js";

/** @typedef {import("./protocol.js").ViewState} ViewState */
/** @typedef {import("./protocol.js").Block} Block */
/** @typedef {import("./protocol.js").Usage} Usage */
/** @typedef {import("./protocol.js").Message} Message */
/** @typedef {import("./protocol.js").ImageRef} ImageRef */

const RUN_STATUSES = new Set(["running", "waiting", "done", "error", "cancelled"]);
const TOOL_STATUSES = new Set(["streaming", "called", "waiting", "running", "done", "skipped", "error"]);

/** @type {ViewState} */
export const EMPTY = Object.freeze({
  status: "idle",
  prompt: "",
  blocks: [],
  usage: { turns: [], total: null, cost: null, cost_note: null },
  error: null,
  notices: [],
  final: null,
});

/** @param {unknown} value @returns {Record<string, unknown>} */
const obj = (value) =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? /** @type {Record<string, unknown>} */ (value)
    : {};
/** @param {unknown} value */
const str = (value) => (typeof value === "string" ? value : value == null ? "" : String(value));
/** @param {unknown} value */
const strOrNull = (value) => (value == null ? null : str(value));
/** @param {unknown} value */
const int = (value) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
/** @param {unknown} value */
const numOrNull = (value) => (typeof value === "number" && Number.isFinite(value) ? value : null);
/** @param {unknown} value @returns {unknown[]} */
const arr = (value) => (Array.isArray(value) ? value : []);

/** @param {unknown} raw @returns {Usage} */
function usage(raw) {
  const u = obj(raw);
  return {
    input_tokens: int(u.input_tokens),
    output_tokens: int(u.output_tokens),
    total_tokens: int(u.total_tokens),
    cached_input_tokens: int(u.cached_input_tokens),
    cache_creation_input_tokens: int(u.cache_creation_input_tokens),
  };
}

/** @param {unknown} raw @returns {ImageRef | null} */
function image(raw) {
  const i = obj(raw);
  if (typeof i.url === "string") return { url: i.url };
  if (typeof i.mime === "string" && typeof i.data === "string") return { mime: i.mime, data: i.data };
  return null;
}

/** @param {unknown} raw @returns {Block | null} */
function block(raw) {
  const b = obj(raw);
  const turn = int(b.turn);
  if (b.kind === "text") return { kind: "text", turn, text: str(b.text) };
  if (b.kind === "reasoning") return { kind: "reasoning", turn, text: str(b.text), done: Boolean(b.done) };
  if (b.kind !== "tool") return null;
  const status = str(b.status);
  const result = b.result == null ? null : obj(b.result);
  return {
    kind: "tool",
    turn,
    id: str(b.id),
    call_id: str(b.call_id),
    name: str(b.name),
    args: str(b.args),
    status: /** @type {import("./protocol.js").ToolStatus} */ (TOOL_STATUSES.has(status) ? status : "error"),
    failed: b.failed === true,
    decision: strOrNull(b.decision),
    result: result && {
      text: str(result.text),
      json: Boolean(result.json),
      images: arr(result.images).map(image).filter((i) => i !== null),
      rich: richView(result.rich),
    },
    code: codeView(b.code),
  };
}

/**
 * Any JSON into a well-formed ViewState: missing fields get their empty value, strings are
 * strings, unknown block kinds are dropped. The view never has to guard against a malformed state.
 * @param {unknown} raw
 * @returns {ViewState}
 */
export function normalize(raw) {
  const s = obj(raw);
  const status = str(s.status);
  const u = obj(s.usage);
  return {
    status: /** @type {import("./protocol.js").ViewStatus} */ (RUN_STATUSES.has(status) ? status : "idle"),
    prompt: str(s.prompt),
    blocks: arr(s.blocks).map(block).filter((b) => b !== null),
    usage: {
      turns: arr(u.turns).map((t) => ({ ...usage(t), turn: int(obj(t).turn), cost: numOrNull(obj(t).cost) })),
      total: u.total == null ? null : usage(u.total),
      cost: numOrNull(u.cost),
      cost_note: strOrNull(u.cost_note),
    },
    error: strOrNull(s.error),
    notices: arr(s.notices).map(str),
    final: strOrNull(s.final),
  };
}

/**
 * The reducer: the state after one message from the kernel. Pure: `state` is never changed.
 * A message it does not know leaves the state as it was.
 * @param {ViewState} state
 * @param {Message | {type: string}} message
 * @returns {ViewState}
 */
export function apply(state, message) {
  switch (message.type) {
    case "state":
      return normalize(/** @type {import("./protocol.js").StateMessage} */ (message).state);
    default:
      return state;
  }
}

/** The run can still be stopped. @param {ViewState} state */
export const isLive = (state) => state.status === "running" || state.status === "waiting";

/** Tool calls waiting for a click. @param {ViewState} state */
export const waitingCalls = (state) =>
  state.blocks.filter((b) => b.kind === "tool" && b.status === "waiting").length;

/**
 * What "Copy answer" copies: the final answer when the run has one, else all streamed text.
 * @param {ViewState} state
 */
export function answerText(state) {
  if (state.final) return state.final;
  return state.blocks.map((b) => (b.kind === "text" ? b.text : "")).join("");
}

export const STATUS_LABELS = Object.freeze({
  idle: "Idle",
  running: "Running…",
  waiting: "Waiting for your approval",
  done: "Done",
  error: "Error",
  cancelled: "Stopped",
});

/**
 * Dollars with three significant digits, never in scientific notation: `$0.000213`, `$1.20`
 * (rig_nb/widgets/_transcript.py's format_cost).
 * @param {number} cost
 */
export function formatCost(cost) {
  if (!(cost > 0)) return "$0";
  return `$${cost.toFixed(Math.min(20, Math.max(2, 2 - Math.floor(Math.log10(cost)))))}`;
}

/**
 * One usage record as text; "" when the provider reported nothing (never "0 in · 0 out").
 * A known cost (US dollars) is added to a reported record.
 * @param {Usage | null} u
 * @param {number | null} [cost]
 */
export function usageText(u, cost = null) {
  if (!u) return "";
  const parts = [];
  if (u.input_tokens || u.output_tokens) parts.push(`${u.input_tokens} in`, `${u.output_tokens} out`);
  if (u.total_tokens) parts.push(`${u.total_tokens} total`);
  if (u.cached_input_tokens) parts.push(`${u.cached_input_tokens} cached`);
  if (parts.length && cost !== null) parts.push(formatCost(cost));
  return parts.join(" · ");
}

/**
 * The usage footer: each reported turn, then the total, with costs once the run ended (the
 * total says "cost unknown" when a call had no price; `cost_note` says why).
 * @param {ViewState} state
 */
export function usageLine(state) {
  const parts = [];
  for (const turn of state.usage.turns) {
    const text = usageText(turn, turn.cost);
    if (text) parts.push(`turn ${turn.turn + 1}: ${text}`);
  }
  const { cost, cost_note } = state.usage;
  let total = usageText(state.usage.total, cost);
  if (total && cost === null && cost_note) total += " · cost unknown";
  if (total) parts.push(`total: ${total}`);
  return parts.join("  |  ");
}
