import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { cellInserter, cellOf } from "../src/notebook.js";
import { AgentView } from "../src/view.js";
import { FakeModel, state } from "./helpers.js";

const VIEW = "application/vnd.jupyter.widget-view+json";

/** A notebook's shared model as JupyterLab's widget manager holds it (its document context). */
function notebook() {
  const cells = [
    { source: "setup", getOutputs: () => [] },
    { source: "%%agent", getOutputs: () => [{ output_type: "display_data", data: { [VIEW]: { model_id: "view-1" } } }] },
    { source: "after", outputs: [] },
  ];
  return {
    cells,
    /** @param {number} index @param {any} cell */
    insertCell(index, cell) {
      cells.splice(index, 0, { ...cell, getOutputs: () => [] });
    },
  };
}

/** @type {AgentView[]} */
let views = [];
afterEach(() => {
  for (const view of views) view.destroy();
  views = [];
  document.body.replaceChildren();
});

describe("Insert as new cell (point 4)", () => {
  test("the code goes into a new cell right below the view's cell", () => {
    const shared = notebook();
    const insert = cellInserter({ widget_manager: { context: { model: { sharedModel: shared } } } }, "view-1");
    assert.ok(insert);
    assert.equal(cellOf(/** @type {any} */ (shared), "view-1"), 1);
    assert.equal(insert("print(1)"), true);
    assert.deepEqual(shared.cells.map((c) => c.source), ["setup", "%%agent", "print(1)", "after"]);
    assert.equal(/** @type {any} */ (shared.cells[2]).cell_type, "code");
    assert.equal(cellInserter({ widget_manager: { context: { model: { sharedModel: shared } } } }, "gone")?.("x"), false);
  });

  test("no notebook (VS Code, nbconvert's HTML): no button", () => {
    assert.equal(cellInserter({ widget_manager: {} }, "view-1"), null);
    assert.equal(cellInserter({}, "view-1"), null);
  });

  test("only Python code blocks offer it, and a click inserts that block's code", () => {
    const shared = notebook();
    const model = new FakeModel({
      _state: state({ status: "done", blocks: [{ kind: "text", turn: 0, text: "```python\nx = 1\n```\n\n```bash\nls\n```\n\n```\nplain\n```" }] }),
      _view_id: "view-1",
    });
    /** @type {any} */ (model).widget_manager = { context: { model: { sharedModel: shared } } };
    const el = document.createElement("div");
    document.body.appendChild(el);
    views.push(new AgentView(/** @type {any} */ (model), el));
    const buttons = [...el.querySelectorAll(".rig-insert-cell")];
    assert.equal(buttons.length, 1);
    /** @type {HTMLButtonElement} */ (buttons[0]).click();
    assert.equal(shared.cells[2].source, "x = 1");
    assert.equal(buttons[0].textContent, "Inserted ✓");
  });
});
