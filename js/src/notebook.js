// @ts-check
/**
 * "Insert as new cell": the notebook is reached through the widget manager that made the view
 * (JupyterLab's and Notebook 7's hold the document context, hence the notebook's shared model).
 * The new code cell goes right below the cell whose output holds this view, found by the view's
 * widget id, whether that cell still runs or not. Where there is no such notebook (VS Code, Colab,
 * nbconvert's HTML), the button is not offered.
 *
 * @module notebook
 */

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

/**
 * @typedef {object} SharedCell
 * @property {() => unknown[]} [getOutputs]
 * @property {unknown[]} [outputs]
 */

/**
 * @typedef {object} SharedNotebook
 * @property {SharedCell[]} cells
 * @property {(index: number, cell: {cell_type: "code", source: string, metadata: object}) => unknown} insertCell
 */

/**
 * The notebook's shared model, if the view lives in one.
 * @param {unknown} model  the anywidget model
 * @returns {SharedNotebook | null}
 */
export function sharedNotebook(model) {
  const manager = /** @type {any} */ (model)?.widget_manager;
  const notebook = manager?.context?.model?.sharedModel;
  return notebook && typeof notebook.insertCell === "function" && Array.isArray(notebook.cells)
    ? notebook
    : null;
}

/**
 * The index of the cell whose outputs show the widget `viewId`, or -1.
 * @param {SharedNotebook} notebook
 * @param {string} viewId
 */
export function cellOf(notebook, viewId) {
  return notebook.cells.findIndex((cell) => {
    const outputs = typeof cell.getOutputs === "function" ? cell.getOutputs() : cell.outputs ?? [];
    return outputs.some((output) => {
      const data = /** @type {any} */ (output)?.data;
      return data && data[WIDGET_VIEW] && data[WIDGET_VIEW].model_id === viewId;
    });
  });
}

/**
 * A function that puts code in a new cell below the view's cell (true when it did), or null.
 * @param {unknown} model
 * @param {string} viewId
 * @returns {((code: string) => boolean) | null}
 */
export function cellInserter(model, viewId) {
  const notebook = sharedNotebook(model);
  if (!notebook || !viewId) return null;
  return (code) => {
    const index = cellOf(notebook, viewId);
    if (index < 0) return false;
    notebook.insertCell(index + 1, { cell_type: "code", source: code, metadata: {} });
    return true;
  };
}
