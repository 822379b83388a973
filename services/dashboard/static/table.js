// A sortable table: click a column header to sort by it, again to reverse.
import { h } from "./dom.js";

/**
 * columns: [{key, label, value(row) -> sortable, render(row) -> node|text, num: bool}]
 * Returns {element, setRows(rows, isNew?)}.
 */
export function sortableTable({ columns, rows = [], sort, testid, rowClass, rowKey }) {
  let current = [...rows];
  let order = sort ?? { key: columns[0].key, dir: "asc" };
  const fresh = new Set();
  const body = h("tbody");
  const heads = columns.map((column) =>
    h(
      "th",
      { class: column.num ? "num" : null, "data-key": column.key, scope: "col" },
      h("button", { type: "button", onclick: () => sortBy(column.key) }, column.label),
    ),
  );
  const element = h(
    "table",
    { "data-testid": testid },
    h("thead", {}, h("tr", {}, heads)),
    body,
  );

  function sortBy(key) {
    order = { key, dir: order.key === key && order.dir === "asc" ? "desc" : "asc" };
    draw();
  }

  function draw() {
    const column = columns.find((c) => c.key === order.key) ?? columns[0];
    const value = column.value ?? ((row) => row[column.key]);
    const sign = order.dir === "asc" ? 1 : -1;
    current.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sign;
    });
    for (const head of heads) {
      head.setAttribute("aria-sort", head.dataset.key === column.key ? `${order.dir}ending` : "none");
    }
    body.replaceChildren(
      ...current.map((row) => {
        const classes = [rowClass ? rowClass(row) : "", rowKey && fresh.has(rowKey(row)) ? "new" : ""];
        return h(
          "tr",
          { class: classes.join(" ").trim() || null, "data-row": rowKey ? rowKey(row) : null },
          columns.map((c) =>
            h("td", { class: c.num ? "num" : null, "data-key": c.key }, c.render ? c.render(row) : row[c.key] ?? "—"),
          ),
        );
      }),
    );
    if (!current.length) body.append(h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, "—")));
  }

  draw();
  return {
    element,
    /** Replace the rows; keys in `isNew` are highlighted. */
    setRows(rows, isNew = []) {
      current = [...rows];
      fresh.clear();
      for (const key of isNew) fresh.add(key);
      draw();
    },
  };
}
