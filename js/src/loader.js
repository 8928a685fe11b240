// @ts-check
/**
 * The module every AgentView's saved state carries: a few hundred bytes that load the real view
 * (index.js, about 470 KiB with marked, DOMPurify, highlight.js and KaTeX) once per page from the
 * kernel's one `ViewModule` widget (rig_nb/widgets/_module.py), whose state holds its source and
 * CSS. anywidget keeps a widget's module in its state, so a saved notebook kept the whole bundle
 * once per %%agent cell (10 cells: 5.3 MB); with the loader it keeps it once.
 *
 * The view's `_module` trait names the holder ("IPY_MODEL_<id>"); the widget manager (JupyterLab,
 * Notebook, nbconvert's HTML manager) resolves it, live or from saved widget state.
 *
 * @module loader
 */

/** @typedef {{default: {render: (props: {model: any, el: HTMLElement}) => unknown}}} ViewModule */

/** One import per holder and page. @type {Map<string, Promise<ViewModule>>} */
const loaded = /** @type {any} */ (globalThis).__rig_nb_view_modules ??= new Map();

/**
 * The real view module, from the holder widget the model names.
 * @param {any} model
 * @returns {Promise<ViewModule>}
 */
export function load(model) {
  const id = String(model.get("_module") ?? "").replace(/^IPY_MODEL_/, "");
  let found = loaded.get(id);
  if (!found) {
    found = (async () => {
      if (!id) throw new Error("this view names no module (a rig_nb older than its state?)");
      const holder = await model.widget_manager.get_model(id);
      const css = String(holder.get("css") ?? "");
      if (css && !document.querySelector(`style[data-rig-nb-module="${CSS.escape(id)}"]`)) {
        const style = document.createElement("style");
        style.dataset.rigNbModule = id;
        style.textContent = css;
        document.head.appendChild(style);
      }
      const url = URL.createObjectURL(new Blob([String(holder.get("esm") ?? "")], { type: "text/javascript" }));
      try {
        return /** @type {ViewModule} */ (await import(/* @vite-ignore */ url));
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    found.catch(() => loaded.delete(id)); // a later view may try again
    loaded.set(id, found);
  }
  return found;
}

export default {
  /** @param {{model: any, el: HTMLElement}} props */
  async render({ model, el }) {
    let view;
    try {
      view = await load(model);
    } catch (error) {
      el.textContent = `rig_nb: the view could not load (${error instanceof Error ? error.message : String(error)})`;
      return undefined;
    }
    return view.default.render({ model, el });
  },
};
