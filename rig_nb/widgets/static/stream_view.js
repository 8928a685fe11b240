// rig_nb AgentView front end: a plain ES module for anywidget (no bundler).
//
// Every string in the state is untrusted model or tool output. It only ever reaches the DOM
// through textContent or through the small markdown renderer below, which builds elements one by
// one and never assigns innerHTML. Links are kept only for http(s) and mailto URLs; images inside
// markdown become links; tool images are allowed only as raster data: URLs or http(s) URLs.

/** @param {string} tag @param {string} [cls] @param {string} [text] */
function h(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;
const RASTER = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;

/** Inline markdown: `code`, **bold**, *em*, [text](url). @param {string} text @param {Node} into */
function inline(text, into) {
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(!?\[[^\]]*\]\([^)\s]*\))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (index > last) into.appendChild(document.createTextNode(text.slice(last, index)));
    const token = match[0];
    if (match[1]) into.appendChild(h("code", "", token.slice(1, -1)));
    else if (match[2]) into.appendChild(h("strong", "", token.slice(2, -2)));
    else if (match[3]) into.appendChild(h("em", "", token.slice(1, -1)));
    else {
      const image = token.startsWith("!");
      const label = token.slice(image ? 2 : 1, token.indexOf("]"));
      const url = token.slice(token.indexOf("](") + 2, -1);
      if (SAFE_URL.test(url)) {
        const a = h("a", "", image ? `[image: ${label}]` : label);
        a.setAttribute("href", url);
        a.setAttribute("target", "_blank");
        a.setAttribute("rel", "noopener noreferrer nofollow");
        into.appendChild(a);
      } else {
        into.appendChild(document.createTextNode(image ? `[image: ${label}]` : label));
      }
    }
    last = index + token.length;
  }
  if (last < text.length) into.appendChild(document.createTextNode(text.slice(last)));
}

/** Block markdown: fences, headings, lists, quotes, paragraphs. @param {string} text */
export function renderMarkdown(text) {
  const root = h("div", "rig-md");
  const lines = String(text).split("\n");
  let list = null;
  let paragraph = null;
  const endBlocks = () => { list = null; paragraph = null; };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      endBlocks();
      const code = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i++]);
      const pre = h("pre", "rig-code");
      pre.appendChild(h("code", "", code.join("\n")));
      root.appendChild(pre);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (!line.trim()) {
      endBlocks();
    } else if (heading) {
      endBlocks();
      const node = h(`h${Math.min(heading[1].length + 2, 6)}`);
      inline(heading[2], node);
      root.appendChild(node);
    } else if (item) {
      paragraph = null;
      if (!list) { list = h(/^\s*\d/.test(line) ? "ol" : "ul"); root.appendChild(list); }
      const li = h("li");
      inline(item[1], li);
      list.appendChild(li);
    } else if (quote) {
      endBlocks();
      const node = h("blockquote");
      inline(quote[1], node);
      root.appendChild(node);
    } else {
      list = null;
      if (!paragraph) { paragraph = h("p"); root.appendChild(paragraph); }
      else paragraph.appendChild(h("br"));
      inline(line, paragraph);
    }
  }
  return root;
}

/** @param {{mime?: string, data?: string, url?: string}} image */
function imageNode(image) {
  let src = null;
  if (image.url && /^https?:\/\//i.test(image.url)) src = image.url;
  else if (image.mime && RASTER.has(image.mime) && image.data && BASE64.test(image.data)) {
    src = `data:${image.mime};base64,${image.data.replace(/\s/g, "")}`;
  }
  if (!src) return h("span", "rig-muted", "[image not shown]");
  const img = h("img", "rig-image");
  img.setAttribute("src", src);
  img.setAttribute("alt", "tool image");
  img.setAttribute("referrerpolicy", "no-referrer");
  return img;
}

const STATUS = {
  running: "Running…", waiting: "Waiting for your approval", done: "Done",
  error: "Error", cancelled: "Stopped",
};

function usageText(u) {
  if (!u) return "";
  let text = `${u.input_tokens} in · ${u.output_tokens} out · ${u.total_tokens} total`;
  if (u.cached_input_tokens) text += ` · ${u.cached_input_tokens} cached`;
  return text;
}

/** @param {any} model @param {any} block @param {Map<string, boolean>} open */
function toolCard(model, block, open) {
  const card = h("div", `rig-tool rig-tool-${block.status}`);
  card.dataset.id = block.id;
  const head = h("div", "rig-tool-head");
  head.appendChild(h("span", "rig-tool-name", block.name || "…"));
  head.appendChild(h("span", "rig-tool-status", block.status + (block.decision ? `: ${block.decision}` : "")));
  card.appendChild(head);
  card.appendChild(h("pre", "rig-tool-args", block.args || ""));
  if (block.status === "waiting") {
    const bar = h("div", "rig-approval");
    const reason = h("input", "rig-reason");
    reason.setAttribute("placeholder", "reason (optional, sent to the model on Skip)");
    const send = (kind) => model.send({ kind, id: block.id, reason: reason.value });
    const buttons = [
      ["Approve", "approve", "rig-approve"], ["Skip", "skip", "rig-skip"],
      ["Terminate", "terminate", "rig-terminate"], ["Always allow this tool", "always_allow", "rig-always"],
    ];
    for (const [label, kind, cls] of buttons) {
      const button = h("button", `rig-button ${cls}`, label);
      button.addEventListener("click", () => send(kind));
      bar.appendChild(button);
    }
    bar.appendChild(reason);
    card.appendChild(bar);
  }
  if (block.result) {
    const result = h("details", "rig-tool-result");
    result.open = open.get(block.id) ?? true;
    result.addEventListener("toggle", () => open.set(block.id, result.open));
    result.appendChild(h("summary", "", "result"));
    result.appendChild(h("pre", block.result.json ? "rig-json" : "rig-plain", block.result.text));
    for (const image of block.result.images || []) result.appendChild(imageNode(image));
    card.appendChild(result);
  }
  return card;
}

export default {
  render({ model, el }) {
    const root = h("div", "rig-nb");
    const header = h("div", "rig-header");
    const status = h("span", "rig-status");
    const stop = h("button", "rig-button rig-stop", "Stop");
    stop.addEventListener("click", () => model.send({ kind: "stop" }));
    header.append(status, stop);
    const body = h("div", "rig-body");
    const notices = h("div", "rig-notices");
    const banner = h("div", "rig-banner");
    const footer = h("div", "rig-usage");
    root.append(header, body, notices, banner, footer);
    el.appendChild(root);
    const open = new Map();
    let rendered = [];

    function draw() {
      const state = model.get("state") || {};
      const blocks = state.blocks || [];
      root.dataset.status = state.status || "idle";
      status.textContent = STATUS[state.status] || "Idle";
      stop.disabled = !(state.status === "running" || state.status === "waiting");
      for (let i = 0; i < blocks.length; i++) {
        const block = blocks[i];
        const key = JSON.stringify(block);
        if (rendered[i] && rendered[i].key === key) continue;
        let node;
        if (block.kind === "text") node = renderMarkdown(block.text);
        else if (block.kind === "reasoning") {
          node = h("details", "rig-reasoning");
          const id = `reasoning-${i}`;
          node.open = open.get(id) ?? !block.done;
          node.addEventListener("toggle", () => open.set(id, node.open));
          node.appendChild(h("summary", "", block.done ? "Reasoning" : "Thinking…"));
          node.appendChild(h("div", "rig-reasoning-text", block.text));
        } else node = toolCard(model, block, open);
        if (rendered[i]) body.replaceChild(node, rendered[i].node);
        else body.appendChild(node);
        rendered[i] = { key, node };
      }
      while (rendered.length > blocks.length) body.removeChild(rendered.pop().node);
      notices.replaceChildren(...(state.notices || []).map((n) => h("div", "rig-notice", n)));
      banner.textContent = state.error || "";
      banner.className = state.error ? `rig-banner rig-banner-${state.status}` : "rig-banner";
      const turns = (state.usage && state.usage.turns) || [];
      const parts = turns.map((u) => `turn ${u.turn + 1}: ${usageText(u)}`);
      if (state.usage && state.usage.total) parts.push(`total: ${usageText(state.usage.total)}`);
      footer.textContent = parts.join("  |  ");
    }

    model.on("change:state", draw);
    draw();
    model.set("rendered", true);
    model.save_changes();
    return () => model.off("change:state", draw);
  },
};
