// Small DOM helpers: data always goes in as text nodes, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.setAttribute("class", value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of [children].flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h("td", {class: "num"}, "42"). */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element: s("rect", {x: 0, width: 10}). */
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A card with a heading, an optional hint and its body. */
export function card(title, hint, ...body) {
  return h("section", { class: "card" }, h("h2", {}, title), hint ? h("p", { class: "muted small" }, hint) : null, ...body);
}

/** Replace a node's children. */
export function put(node, ...children) {
  node.replaceChildren();
  return fill(node, {}, children);
}

/** A link to a lead's page. */
export function leadLink(config, leadId) {
  return h("a", { href: `${config.base}/leads/${encodeURIComponent(leadId)}`, "data-lead": leadId }, leadId);
}

/** The coloured tier badge. */
export function tierBadge(i18n, tier) {
  return h("span", { class: `tier tier-${tier}`, "data-tier": tier }, i18n.tier(tier));
}
