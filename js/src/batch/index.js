// @ts-check
/**
 * rig_nb BatchView: the anywidget entry point of the batch view (`%%agent --over df --out
 * results`). Built by js/build.mjs into rig_nb/widgets/static/batch_view.js, a small bundle of
 * its own (plain text only: no markdown, math or highlighting).
 *
 * @module batch/index
 */
import { BatchView } from "./view.js";

/** @type {import("@anywidget/types").Render<import("./view.js").Model>} */
function render({ model, el }) {
  const view = new BatchView(model, el);
  return () => view.destroy();
}

export { BatchView };
export default { render };
