// @ts-check
/**
 * State handling: a pure reducer from kernel messages to a typed, normalised ViewState, and the
 * pure questions the view asks of a state. No DOM here.
 *
 * @module state
 */

/** @typedef {import("./protocol.js").ViewState} ViewState */
/** @typedef {import("./protocol.js").Block} Block */
/** @typedef {import("./protocol.js").Usage} Usage */
/** @typedef {import("./protocol.js").Message} Message */
/** @typedef {import("./protocol.js").ImageRef} ImageRef */

const RUN_STATUSES = new Set(["running", "waiting", "done", "error", "cancelled"]);
const TOOL_STATUSES = new Set(["streaming", "called", "waiting", "queued", "running", "done", "skipped", "error"]);
const DECISION_KINDS = new Set([
  "approved", "auto", "always_allowed", "denied", "skipped", "terminated", "timeout", "headless", "hook", "not_run",
]);

/** @type {ViewState} */
export const EMPTY = Object.freeze({
  seq: 0,
  status: "idle",
  prompt: "",
  system: "",
  schemas: {},
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

/** @param {unknown} raw @returns {import("./protocol.js").TurnUsage} */
const turnUsage = (raw) => ({ ...usage(raw), turn: int(obj(raw).turn), cost: numOrNull(obj(raw).cost) });

/**
 * Image bytes as base64: the kernel sends them as a binary buffer (a DataView), a saved notebook's
 * widget state may hold base64 already.
 * @param {unknown} value
 */
export function base64(value) {
  if (typeof value === "string") return value;
  /** @type {Uint8Array | null} */
  let bytes = null;
  if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (!bytes) return "";
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** @param {unknown} raw @returns {ImageRef | null} */
function image(raw) {
  const i = obj(raw);
  if (typeof i.url === "string") return { url: i.url };
  if (typeof i.mime === "string") return { mime: i.mime, data: base64(i.data) };
  return null;
}

const RICH_TYPES = new Set(["text/html", "image/png", "image/jpeg"]);

/**
 * A result's rich view from the state, or null (missing, malformed, of another type). HTML is
 * text; an image comes as bytes (a binary buffer) and is kept as base64, like a result's images.
 * @param {unknown} raw
 * @returns {import("./protocol.js").RichView | null}
 */
export function richView(raw) {
  const r = obj(raw);
  if (typeof r.mime !== "string" || !RICH_TYPES.has(r.mime)) return null;
  if (r.mime === "text/html") return typeof r.data === "string" ? { mime: r.mime, data: r.data } : null;
  const binary = r.data instanceof ArrayBuffer || ArrayBuffer.isView(r.data);
  return typeof r.data === "string" || binary ? { mime: r.mime, data: base64(r.data) } : null;
}

/**
 * A card's code view from the state, or null.
 * @param {unknown} raw
 * @returns {import("./protocol.js").CodeView | null}
 */
export function codeView(raw) {
  const c = obj(raw);
  if (typeof c.text !== "string") return null;
  return { language: typeof c.language === "string" ? c.language : "", text: c.text };
}

/** @param {unknown} raw @returns {import("./protocol.js").Decision | null} */
function decision(raw) {
  if (raw == null) return null;
  const d = obj(raw);
  const kind = str(d.kind);
  if (!DECISION_KINDS.has(kind)) return null;
  return { kind: /** @type {import("./protocol.js").DecisionKind} */ (kind), reason: str(d.reason) };
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
    error: strOrNull(b.error),
    decision: decision(b.decision),
    ran_args: strOrNull(b.ran_args),
    ran_code: codeView(b.ran_code),
    edit_error: strOrNull(b.edit_error),
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
    seq: int(s.seq),
    status: /** @type {import("./protocol.js").ViewStatus} */ (RUN_STATUSES.has(status) ? status : "idle"),
    prompt: str(s.prompt),
    system: str(s.system),
    schemas: obj(s.schemas),
    blocks: arr(s.blocks).map(block).filter((b) => b !== null),
    usage: {
      turns: arr(u.turns).map(turnUsage),
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
 * One delta applied, or null when it does not fit (a block op at a position the state does not
 * have): the view then asks for the whole state. Blocks that did not change stay the same
 * objects, so the view redraws only the others.
 * @param {ViewState} state
 * @param {Record<string, unknown>} delta
 * @returns {ViewState | null}
 */
function applyDelta(state, delta) {
  const blocks = state.blocks.slice();
  for (const raw of arr(delta.ops)) {
    const op = obj(raw);
    const index = int(op.index);
    const current = blocks[index];
    if (op.op === "add") {
      const added = block(op.block);
      if (index !== blocks.length || !added) return null;
      blocks.push(added);
    } else if (op.op === "append") {
      const field = op.field === "args" ? "args" : "text";
      if (!current || !(field in current)) return null;
      blocks[index] = /** @type {Block} */ ({ ...current, [field]: /** @type {any} */ (current)[field] + str(op.text) });
    } else if (op.op === "patch") {
      const patched = current && block({ ...current, ...obj(op.fields), kind: current.kind });
      if (!patched) return null;
      blocks[index] = patched;
    } else {
      return null;
    }
  }
  const set = obj(delta.set);
  const merged = normalize({
    ...state,
    ...set,
    blocks: [],
    notices: [],
    // The costs come with the total (a delta that changes one sends them all).
    usage: "total" in delta
      ? { turns: [], total: delta.total, cost: delta.cost, cost_note: delta.cost_note }
      : { ...state.usage, turns: [] },
  });
  const notices = arr(delta.notices).map(str);
  const added = arr(delta.turns).map(turnUsage);
  let turns = added.length ? [...state.usage.turns, ...added] : state.usage.turns;
  if ("turn_costs" in delta) {
    const costs = arr(delta.turn_costs);
    turns = turns.map((t, i) => (i < costs.length ? { ...t, cost: numOrNull(costs[i]) } : t));
  }
  return {
    ...merged,
    seq: int(delta.seq),
    blocks,
    // unchanged lists stay the same objects: the view redraws what is new only
    notices: notices.length ? [...state.notices, ...notices] : state.notices,
    usage: { ...merged.usage, turns },
  };
}

/**
 * One message from the kernel: the next state, and whether the view must ask for the whole state
 * (a delta that skips a frame, or does not fit). A whole state always replaces the state; a delta
 * applies only to the frame before it (`seq`), an older one is ignored. Pure.
 * @param {ViewState} state
 * @param {Message | {type: string}} message
 * @returns {{next: ViewState, resync: boolean}}
 */
export function step(state, message) {
  const m = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (message));
  if (m.type === "state") return { next: normalize(m.state), resync: false };
  if (m.type !== "delta") return { next: state, resync: false };
  const seq = int(m.seq);
  if (seq <= state.seq) return { next: state, resync: false };
  const next = seq === state.seq + 1 ? applyDelta(state, m) : null;
  return next ? { next, resync: false } : { next: state, resync: true };
}

/**
 * The reducer: the state after one message from the kernel. Pure: `state` is never changed.
 * A message it does not know, or a delta that does not fit, leaves the state as it was.
 * @param {ViewState} state
 * @param {Message | {type: string}} message
 * @returns {ViewState}
 */
export function apply(state, message) {
  return step(state, message).next;
}

/**
 * Binary buffers of a custom message put back where the kernel took them from (`buffer_paths`,
 * as ipywidgets does for trait state).
 * @param {unknown} message
 * @param {unknown[]} [buffers]
 * @returns {unknown}
 */
export function withBuffers(message, buffers) {
  const m = obj(message);
  const paths = arr(m.buffer_paths);
  if (!paths.length || !buffers?.length) return message;
  const copy = structuredClone({ ...m, buffer_paths: undefined });
  paths.forEach((rawPath, i) => {
    const path = arr(rawPath);
    /** @type {any} */
    let node = copy;
    for (const key of path.slice(0, -1)) node = node?.[/** @type {string} */ (key)];
    if (node && typeof node === "object" && path.length) node[/** @type {string} */ (path[path.length - 1])] = buffers[i];
  });
  return copy;
}

/** The run can still be stopped. @param {ViewState} state */
export const isLive = (state) => state.status === "running" || state.status === "waiting";

export const DECISION_LABELS = Object.freeze({
  approved: "approved by you",
  auto: "auto policy",
  always_allowed: "always allowed",
  denied: "denied by the approval policy",
  skipped: "skipped by you",
  terminated: "terminated",
  timeout: "no answer in time",
  headless: "no front end: headless policy",
  hook: "your hook",
  not_run: "not run",
});

/**
 * A card's decision as words (rig_nb/widgets/_transcript.py has the same): `skipped by you: keep it`.
 * @param {import("./protocol.js").Decision | null} d
 */
export function decisionText(d) {
  if (!d) return "";
  const label = DECISION_LABELS[d.kind];
  return d.reason ? `${label}: ${d.reason}` : label;
}

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
