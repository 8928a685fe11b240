// @ts-check
/**
 * The view-state protocol: the JSON the kernel syncs to the browser in the widget's `state` trait.
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

/** @typedef {{mime: string, data: string}} DataImage */
/** @typedef {{url: string}} UrlImage */
/** @typedef {DataImage | UrlImage} ImageRef */

/**
 * A richer rendition of a result for people (the model got the text and images): `text/html`
 * (an HTML table, sanitised before it reaches the page) or a raster image as base64.
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

/** @typedef {"streaming" | "called" | "waiting" | "running" | "done" | "skipped" | "error"} ToolStatus */

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
 * @property {boolean} failed  the tool failed (status "error"); `decision` says what failed
 * @property {string | null} decision
 * @property {ToolOutput | null} result
 * @property {CodeView | null} code  an argument to show as code, once the call arrived
 */

/** @typedef {TextBlock | ReasoningBlock | ToolBlock} Block */

/**
 * @typedef {object} ViewState
 * @property {ViewStatus} status
 * @property {string} prompt
 * @property {Block[]} blocks
 * @property {UsageReport} usage
 * @property {string | null} error
 * @property {string[]} notices
 * @property {string | null} final
 */

/**
 * Kernel → browser: the `state` trait (as `{type: "state", state}`), or a custom message with a
 * `type` (`widget.send(...)`), both through the reducer in state.js. Today only whole states; a
 * later `{type: "delta", ...}` (append-only updates, issue 10 point 12) is one more case there.
 * @typedef {{type: "state", state: unknown}} StateMessage
 * @typedef {StateMessage} Message
 */

/**
 * Browser → kernel: a click (rig_nb.widgets.FrontEndMessage).
 * @typedef {{kind: "stop"}} StopMessage
 * @typedef {{kind: "approve" | "skip" | "terminate" | "always_allow", id: string, reason: string}} DecisionMessage
 * @typedef {StopMessage | DecisionMessage} FrontEndMessage
 */

export {};
