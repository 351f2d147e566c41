// A small Markdown renderer that builds DOM nodes directly: headings, paragraphs, lists,
// block quotes, fenced code, emphasis, inline code and links. Every piece of text becomes a
// text node, and links keep only http(s), mailto and in-page targets, so a description can
// never inject markup or script.

import { h } from "./dom.js";

const SAFE_URL = /^(https?:\/\/|mailto:|#|\/(?!\/))/i;

export function renderMarkdown(source) {
  const root = h("div", { class: "markdown" });
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const code = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) code.push(lines[i++]);
      i++;
      root.appendChild(h("pre", null, h("code", null, code.join("\n"))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      root.appendChild(h(`h${Math.min(6, heading[1].length + 2)}`, null, inline(heading[2])));
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.appendChild(h("hr"));
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s*>\s?/, ""));
      const block = renderMarkdown(quoted.join("\n"));
      root.appendChild(h("blockquote", null, Array.from(block.childNodes)));
      continue;
    }
    const listItem = /^\s*([-*+]|\d+[.)])\s+/;
    if (listItem.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? "ol" : "ul");
      while (i < lines.length && listItem.test(lines[i])) {
        list.appendChild(h("li", null, inline(lines[i].replace(listItem, ""))));
        i++;
      }
      root.appendChild(list);
      continue;
    }
    const para = [];
    while (
      i < lines.length &&
      !/^\s*$/.test(lines[i]) &&
      !/^(#{1,6}\s|\s*```|\s*~~~|\s*>)/.test(lines[i]) &&
      !listItem.test(lines[i])
    ) {
      para.push(lines[i++].trim());
    }
    root.appendChild(h("p", null, inline(para.join(" "))));
  }
  return root;
}

// Inline spans: `code`, **strong**, *em* / _em_, [text](url). Returns an array of nodes.
function inline(text) {
  const out = [];
  const pattern = /(`+)([^`]+?)\1|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s][^*]*?)\*|_([^_\s][^_]*?)_|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    if (match.index > last) out.push(document.createTextNode(text.slice(last, match.index)));
    if (match[2] !== undefined) out.push(h("code", null, match[2]));
    else if (match[3] !== undefined || match[4] !== undefined) out.push(h("strong", null, inline(match[3] ?? match[4])));
    else if (match[5] !== undefined || match[6] !== undefined) out.push(h("em", null, inline(match[5] ?? match[6])));
    else {
      const url = match[8];
      if (SAFE_URL.test(url)) {
        out.push(h("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank" }, inline(match[7])));
      } else {
        out.push(document.createTextNode(match[0]));
      }
    }
    last = pattern.lastIndex;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}
