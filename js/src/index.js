// @ts-check
/**
 * rig_nb AgentView: the anywidget entry point. Built by js/build.mjs into
 * rig_nb/widgets/static/stream_view.js (the kernel loads that file; pip install needs no Node).
 *
 * Modules: protocol (the state's types), state (the reducer), markdown + highlight + sanitize
 * (rendering untrusted text), blocks + approvals + copy + scroll (the UI), view (the DOM).
 *
 * @module index
 */
import { AgentView } from "./view.js";

/** @type {import("@anywidget/types").Render<import("./view.js").Model>} */
function render({ model, el }) {
  const view = new AgentView(model, el);
  return () => view.destroy();
}

export { AgentView };
export { apply, normalize } from "./state.js";
export { renderMarkdown } from "./markdown.js";
export default { render };
