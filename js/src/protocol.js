// @ts-check
/**
 * The view-state protocol: the JSON the kernel syncs to the browser in the widget's `_state` trait
 * (the whole state, when a run starts and when it ends) and the delta messages in between (only
 * what changed since the last frame, numbered by `seq`).
 *
 * The kernel's side is `rig_nb/widgets/_protocol.py` (TypedDicts of the same names and keys, built
 * by `_reducer.py`); tests/widgets/test_protocol.py fails when the two differ, so change both
 * together. Every string in it is untrusted model or tool output: the front end renders it as text
 * or as sanitised markdown, never as HTML.
 *
 * @module protocol
 */

/** @typedef {"running" | "waiting" | "done" | "error" | "cancelled"} RunStatus */

/**
 * `idle` is the front end's own: the state before any run (`{}`).
 * @typedef {RunStatus | "idle"} ViewStatus
 */

/**
 * Token usage; 0 means the provider did not report it.
 * @typedef {object} Usage
 * @property {number} input_tokens
 * @property {number} output_tokens
 * @property {number} total_tokens
 * @property {number} [cached_input_tokens]
 * @property {number} [cache_creation_input_tokens]
 */

/**
 * One model call's usage; `cost` in US dollars once the run ended (null: unknown or not yet).
 * @typedef {Usage & {turn: number, cost: number | null}} TurnUsage
 */

/**
 * @typedef {object} UsageReport
 * @property {TurnUsage[]} turns
 * @property {Usage | null} total
 * @property {number | null} cost  the run's cost in US dollars once it ended; null when unknown
 * @property {string | null} cost_note  why the cost is unknown
 */

/**
 * An image sent as data. On the wire `data` is the raw bytes (a binary buffer, a DataView); the
 * reducer turns them into base64 ("" when the tool's base64 did not decode).
 * @typedef {{mime: string, data: string}} DataImage
 */
/** @typedef {{url: string}} UrlImage */
/** @typedef {DataImage | UrlImage} ImageRef */

/**
 * A richer rendition of a result for people (the model got the text and images): `text/html`
 * (an HTML table, sanitised before it reaches the page) or a raster image. On the wire an image's
 * `data` is the raw bytes (a binary buffer), as a DataImage's; the reducer turns them into base64.
 * @typedef {object} RichView
 * @property {string} mime
 * @property {string} data
 */

/**
 * @typedef {object} ToolOutput
 * @property {string} text
 * @property {boolean} json  the text is pretty-printed JSON
 * @property {ImageRef[]} images
 * @property {RichView | null} rich  set when the tool returned a rich object (a DataFrame)
 */

/**
 * An argument shown as code on the card (run_python's `code`), highlighted.
 * @typedef {object} CodeView
 * @property {string} language
 * @property {string} text
 */

/**
 * `queued`: decided to run (approved while an earlier call of the turn still waits).
 * @typedef {"streaming" | "called" | "waiting" | "queued" | "running" | "done" | "skipped" | "error"} ToolStatus
 */

/**
 * Why a tool call ran or did not.
 * @typedef {"approved" | "auto" | "always_allowed" | "denied" | "skipped" | "terminated" | "timeout" | "headless" | "hook" | "not_run"} DecisionKind
 */

/**
 * Who or what decided a tool call, and their reason.
 * @typedef {object} Decision
 * @property {DecisionKind} kind
 * @property {string} reason
 */

/**
 * @typedef {object} TextBlock
 * @property {"text"} kind
 * @property {number} turn
 * @property {string} text  markdown from the model
 */

/**
 * @typedef {object} ReasoningBlock
 * @property {"reasoning"} kind
 * @property {number} turn
 * @property {string} text
 * @property {boolean} done
 */

/**
 * @typedef {object} ToolBlock
 * @property {"tool"} kind
 * @property {number} turn
 * @property {string} id  internal call id: what approval messages name
 * @property {string} call_id
 * @property {string} name
 * @property {string} args
 * @property {ToolStatus} status
 * @property {boolean} failed  the tool failed (status "error"); `error` says what failed
 * @property {string | null} error
 * @property {Decision | null} decision
 * @property {string | null} ran_args  the arguments the tool ran with, when the user edited them
 * @property {CodeView | null} ran_code  the code argument of `ran_args` (a tool showing code)
 * @property {string | null} edit_error  why the kernel refused an edit (the card still waits)
 * @property {ToolOutput | null} result
 * @property {CodeView | null} code  an argument to show as code, once the call arrived
 */

/** @typedef {TextBlock | ReasoningBlock | ToolBlock} Block */

/**
 * @typedef {object} ViewState
 * @property {number} seq  the number of the last frame (whole state or delta) it includes
 * @property {ViewStatus} status
 * @property {string} prompt
 * @property {string} system  the agent's system prompt
 * @property {Record<string, unknown>} schemas  each tool's arguments schema, by name
 * @property {Block[]} blocks
 * @property {UsageReport} usage
 * @property {string | null} error
 * @property {string[]} notices
 * @property {string | null} final
 */

/**
 * A new block at the end; `index` is its position (the reducer checks it).
 * @typedef {{op: "add", index: number, block: Block}} AddOp
 */

/**
 * Text appended to a block's `text` (text, reasoning) or `args` (a tool card).
 * @typedef {{op: "append", index: number, field: "text" | "args", text: string}} AppendOp
 */

/**
 * Fields of a block set (a card's status, decision, result...).
 * @typedef {{op: "patch", index: number, fields: Record<string, unknown>}} PatchOp
 */

/** @typedef {AddOp | AppendOp | PatchOp} BlockOp */

/**
 * What changed since frame `seq - 1`: block ops in order, top-level fields set, notices and usage
 * records appended, the usage total. It applies only to a state whose `seq` is `seq - 1`.
 * @typedef {object} DeltaMessage
 * @property {"delta"} type
 * @property {number} seq
 * @property {BlockOp[]} ops
 * @property {Record<string, unknown>} [set]
 * @property {string[]} [notices]
 * @property {TurnUsage[]} [turns]
 * @property {Usage | null} [total]
 * @property {number | null} [cost]  with `total`: the run's cost
 * @property {string | null} [cost_note]  with `total`: why the cost is unknown
 * @property {(number | null)[]} [turn_costs]  with `total`: each usage record's cost, by position
 */

/**
 * The whole state: the `_state` trait (as `{type: "state", state}`), or the answer to
 * `request_state`.
 * @typedef {object} StateMessage
 * @property {"state"} type
 * @property {unknown} state  a ViewState, as JSON (the reducer normalises it)
 */

/**
 * Kernel → browser, through the reducer in state.js.
 * @typedef {StateMessage | DeltaMessage} Message
 */

/**
 * Browser → kernel: a click (rig_nb.widgets.FrontEndMessage), or `request_state` (a view that
 * attached mid-run, or missed a delta).
 * @typedef {{kind: "stop" | "request_state"}} StopMessage
 * @typedef {{kind: "approve_all" | "skip_all", reason: string}} BulkMessage
 * @typedef {{kind: "approve" | "skip" | "terminate" | "always_allow", id: string, reason: string, arguments?: string}} DecisionMessage
 * @typedef {StopMessage | BulkMessage | DecisionMessage} FrontEndMessage
 */

export {};
