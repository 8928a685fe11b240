import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { codeNode, codeView, richNode, richView } from "../src/rich.js";
import { normalize } from "../src/state.js";
import { AgentView } from "../src/view.js";
import { BLOCK_PAYLOADS, DANGEROUS_TAGS, FakeModel, PAYLOADS, state, tool, unsafeParts } from "./helpers.js";

const pwned = () => /** @type {any} */ (window).__pwned;
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
/** What pandas' to_html writes (class, border, inline style), as rig_nb sends it. */
const TABLE = `<table border="0" class="dataframe">
  <thead><tr style="text-align: right;"><th></th><th>city</th><th>temp</th></tr></thead>
  <tbody>
    <tr><th>0</th><td>Paris</td><td>21.0</td></tr>
    <tr><th>1</th><td>&lt;script&gt;window.__pwned=1&lt;/script&gt;</td><td>25.5</td></tr>
  </tbody>
</table>`;

afterEach(() => document.body.replaceChildren());

describe("the rich view in the state", () => {
  test("only HTML and raster images with string data are kept; anything else is null", () => {
    assert.deepEqual(richView({ mime: "text/html", data: "<b>x</b>" }), { mime: "text/html", data: "<b>x</b>" });
    assert.deepEqual(richView({ mime: "image/png", data: PNG }), { mime: "image/png", data: PNG });
    for (const bad of [
      null, undefined, "x", [], {}, { mime: "text/html" }, { mime: "text/html", data: 1 },
      { mime: "image/svg+xml", data: "<svg onload=window.__pwned=1>" }, { mime: "text/javascript", data: "x" },
      { mime: "application/javascript", data: "x" }, { mime: "TEXT/HTML", data: "x" },
    ]) {
      assert.equal(richView(bad), null, JSON.stringify(bad));
    }
  });

  test("a code view needs text; a missing language is empty", () => {
    assert.deepEqual(codeView({ language: "python", text: "1 + 1" }), { language: "python", text: "1 + 1" });
    assert.deepEqual(codeView({ text: "x" }), { language: "", text: "x" });
    for (const bad of [null, {}, { language: "python" }, { text: 3 }, "print(1)"]) assert.equal(codeView(bad), null);
  });

  test("normalize keeps them on tool blocks, and an older state without them still reads", () => {
    const raw = state({
      blocks: [
        tool({
          status: "done",
          code: { language: "python", text: "df.head()" },
          result: { text: "t", json: false, images: [], rich: { mime: "text/html", data: TABLE } },
        }),
        tool({ id: "i2", status: "done", result: { text: "old", json: false, images: [] } }),
      ],
    });
    const [first, second] = /** @type {any[]} */ (normalize(raw).blocks);
    assert.deepEqual(first.code, { language: "python", text: "df.head()" });
    assert.equal(first.result.rich.mime, "text/html");
    assert.equal(second.code, null);
    assert.equal(second.result.rich, null);
  });
});

describe("rich HTML goes through DOMPurify", () => {
  test("a pandas table keeps its rows and cells, loses its style, class and border", () => {
    const node = richNode({ mime: "text/html", data: TABLE });
    document.body.appendChild(node);
    assert.equal(node.className, "rig-rich");
    assert.equal(node.querySelectorAll("table").length, 1);
    assert.equal(node.querySelectorAll("tbody tr").length, 2);
    assert.deepEqual([...node.querySelectorAll("thead th")].map((th) => th.textContent), ["", "city", "temp"]);
    assert.equal(node.querySelector("tbody tr:nth-child(2) td")?.textContent, "<script>window.__pwned=1</script>");
    assert.equal(node.querySelectorAll("[style], [border], .dataframe, script").length, 0);
    assert.equal(pwned(), undefined);
  });

  test(`${PAYLOADS.length + BLOCK_PAYLOADS.length} XSS payloads, raw, in table cells and all together: nothing unsafe reaches the DOM`, () => {
    const corpus = [...PAYLOADS, ...BLOCK_PAYLOADS];
    const cells = corpus.map((p) => `<table><tr><td>${p}</td><th>${p}</th></tr></table>`);
    for (const html of [...corpus, ...cells, corpus.join(""), `<div>${cells.join("")}</div>`]) {
      const node = richNode({ mime: "text/html", data: html });
      document.body.appendChild(node); // live in a document that runs scripts and loads images
      assert.deepEqual(unsafeParts(node), [], html);
      assert.equal(node.querySelectorAll(DANGEROUS_TAGS).length, 0, html);
      node.remove();
    }
    assert.equal(pwned(), undefined);
  });

  test("HTML that tries to pass for the view's own controls loses its classes", () => {
    const node = richNode({
      mime: "text/html",
      data: '<table><tr><td><span class="rig-approve rig-button">Approve</span><div class="rig-stop">Stop</div></td></tr></table>',
    });
    assert.equal(node.querySelectorAll("[class]").length, 0);
    assert.equal(node.textContent, "ApproveStop");
  });

  test("a rich image is a raster data: URL or nothing", () => {
    const img = richNode({ mime: "image/png", data: PNG });
    assert.equal(img.localName, "img");
    assert.equal(img.getAttribute("src"), `data:image/png;base64,${PNG}`);
    const bad = richNode({ mime: "image/png", data: '"><script>window.__pwned=1</script>' });
    assert.equal(bad.localName, "span");
    assert.equal(bad.textContent, "[rich result not shown]");
  });
});

describe("code shown for approval", () => {
  test("Python is highlighted, and the text is exactly the code", () => {
    const code = 'import os\nfor name in os.listdir("."):\n    print(name)  # each file\n';
    const node = codeNode({ language: "python", text: code });
    assert.equal(node.textContent, code);
    assert.ok(node.querySelector(".hljs-keyword"), "keywords are marked");
    assert.ok(node.querySelector(".hljs-comment"), "comments are marked");
    assert.equal(node.dataset.language, "python");
  });

  test("code that looks like HTML stays text, in any language", () => {
    for (const language of ["python", "html", "", "no-such-language", '"><script>']) {
      for (const payload of PAYLOADS) {
        const node = codeNode({ language, text: `x = "${payload}"` });
        document.body.appendChild(node);
        assert.equal(node.textContent, `x = "${payload}"`);
        assert.deepEqual(unsafeParts(node), [], payload);
        node.remove();
      }
    }
    assert.equal(pwned(), undefined);
  });
});

describe("the tool card", () => {
  /** @param {unknown} initial */
  function mount(initial) {
    const model = new FakeModel({ state: initial });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const view = new AgentView(/** @type {any} */ (model), el);
    return { model, el, view };
  }

  test("a run_python card waiting for approval shows the code, highlighted, not the JSON", () => {
    const args = JSON.stringify({ code: "total = df.temp.sum()\ntotal" }, null, 2);
    const { el, view } = mount(
      state({ status: "waiting", blocks: [tool({ name: "run_python", args, code: { language: "python", text: "total = df.temp.sum()\ntotal" } })] }),
    );
    assert.equal(el.querySelector(".rig-tool-args"), null);
    assert.equal(el.querySelector(".rig-tool-code")?.textContent, "total = df.temp.sum()\ntotal");
    assert.ok(el.querySelector(".rig-tool-code .hljs-number, .rig-tool-code .hljs-built_in, .rig-tool-code span"));
    assert.ok(el.querySelector(".rig-approve"), "the approval buttons are there");
    view.destroy();
  });

  test("a rich result shows the table, with what the model got one click away", () => {
    const result = { text: "pandas DataFrame: 2 rows x 2 columns", json: false, images: [], rich: { mime: "text/html", data: TABLE } };
    const { el, view } = mount(state({ status: "done", blocks: [tool({ status: "done", result })] }));
    const panel = /** @type {HTMLElement} */ (el.querySelector(".rig-tool-result"));
    assert.equal(panel.querySelectorAll(".rig-rich table tbody tr").length, 2);
    const model = /** @type {HTMLDetailsElement} */ (panel.querySelector("details.rig-model-text"));
    assert.equal(model.open, false);
    assert.equal(model.querySelector("pre")?.textContent, "pandas DataFrame: 2 rows x 2 columns");
    view.destroy();
  });

  test("a plain result is shown as before: its text, no rich box", () => {
    const result = { text: "21", json: false, images: [], rich: null };
    const { el, view } = mount(state({ status: "done", blocks: [tool({ status: "done", result })] }));
    assert.equal(el.querySelector(".rig-rich, .rig-model-text"), null);
    assert.equal(el.querySelector(".rig-tool-result pre")?.textContent, "21");
    view.destroy();
  });
});
