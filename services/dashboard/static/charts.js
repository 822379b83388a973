// Charts drawn as inline SVG: the tier funnel, line charts, a list of bars. No library.
import { s } from "./dom.js";

export const COLOURS = ["#2563eb", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0891b2"];
const STEP_COLOURS = ["#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8"];

/**
 * The tier funnel: one centred bar per step (width ∝ count), the count on it and the step
 * conversion between bars. steps: [{key, label, count, rate}] (rate: from the step above).
 */
export function funnelChart(steps, { rateLabel = "", format = String, percent = String } = {}) {
  const width = 520;
  const row = 40;
  const gap = 24;
  const centre = 250;
  const widest = 300;
  const max = Math.max(1, ...steps.map((step) => step.count));
  const height = steps.length * (row + gap) - gap + 4;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`, width, role: "img", "data-testid": "tier-funnel",
    "aria-label": steps.map((step) => `${step.label} ${step.count}`).join(", "),
  });
  steps.forEach((step, index) => {
    const y = index * (row + gap);
    const w = Math.max(6, (widest * step.count) / max);
    const group = s("g", { "data-step": step.key, "data-count": step.count, class: "funnel-step" });
    group.append(
      s("text", { x: 0, y: y + row / 2 + 5, class: "step-label", "font-size": 14, "font-weight": 600 }, step.label),
      s("rect", { x: centre - w / 2, y, width: w, height: row, rx: 6, fill: STEP_COLOURS[index % 5] },
        s("title", {}, `${step.label}: ${format(step.count)}`)),
    );
    const inside = w > 70;
    group.append(
      s("text", {
        x: inside ? centre : centre + w / 2 + 8, y: y + row / 2 + 6, "text-anchor": inside ? "middle" : "start",
        class: inside ? "on-bar count" : "count", "font-size": 16, "data-testid": `count-${step.key}`,
      }, format(step.count)),
    );
    if (index > 0) {
      group.append(
        s("text", {
          x: centre + widest / 2 + 12, y: y - gap / 2 + 5, class: "muted rate", "font-size": 13, "data-testid": `rate-${step.key}`,
        }, `↓ ${percent(step.rate)} ${rateLabel}`),
      );
    }
    svg.append(group);
  });
  return svg;
}

function ticks(low, high, count) {
  if (high <= low) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) out.push(v);
  return out;
}

/**
 * A line chart. series: [{name, points: [{x, y, title?}]}] with numeric x; xTicks: [{x, label}]
 * (default: computed, labelled by xFormat); markers: [{x, y, title, colour}].
 */
export function lineChart({
  series, xTicks, xFormat = String, yFormat = String, yMin = 0, yMax, markers = [], testid,
  height = 240, width = 560, step = false,
}) {
  const margin = { left: 52, right: 30, top: 10, bottom: 26 };
  const all = series.flatMap((line) => line.points).filter((p) => p.y !== null && p.y !== undefined);
  const xs = [...all.map((p) => p.x), ...(xTicks ?? []).map((t) => t.x)];
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const top = yMax ?? Math.max(1e-9, ...all.map((p) => p.y)) * 1.1;
  const bottom = Math.min(yMin, ...all.map((p) => p.y));
  const px = (x) => margin.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - margin.left - margin.right);
  const py = (y) => height - margin.bottom - ((y - bottom) / (top - bottom || 1)) * (height - margin.top - margin.bottom);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, role: "img", "data-testid": testid });
  const grid = s("g", { class: "axis" });
  for (const value of ticks(bottom, top, 4)) {
    grid.append(
      s("line", { x1: margin.left, x2: width - margin.right, y1: py(value), y2: py(value), class: "grid-line" }),
      s("text", { x: margin.left - 6, y: py(value) + 4, "text-anchor": "end", class: "muted" }, yFormat(value)),
    );
  }
  const xMarks = xTicks ?? ticks(x0, x1, 5).map((x) => ({ x, label: xFormat(x) }));
  for (const tick of xMarks) {
    grid.append(s("text", { x: px(tick.x), y: height - 6, "text-anchor": "middle", class: "muted" }, tick.label));
  }
  grid.append(s("line", { x1: margin.left, x2: width - margin.right, y1: py(bottom), y2: py(bottom) }));
  svg.append(grid);
  series.forEach((line, index) => {
    const colour = line.colour ?? COLOURS[index % COLOURS.length];
    const points = line.points.filter((p) => p.y !== null && p.y !== undefined);
    const coords = [];
    points.forEach((p, i) => {
      if (step && i > 0) coords.push(`${px(p.x)},${py(points[i - 1].y)}`);
      coords.push(`${px(p.x)},${py(p.y)}`);
    });
    const group = s("g", { "data-series": line.name });
    group.append(s("polyline", { points: coords.join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
    if (!line.hideDots) {
      for (const p of points) {
        group.append(s("circle", { cx: px(p.x), cy: py(p.y), r: 3.5, fill: colour, "data-x": p.x, "data-y": p.y },
          s("title", {}, p.title ?? `${line.name}: ${yFormat(p.y)}`)));
      }
    }
    svg.append(group);
  });
  for (const mark of markers) {
    svg.append(s("circle", { cx: px(mark.x), cy: py(mark.y), r: 6, fill: "#fff", stroke: mark.colour ?? "#dc2626",
      "stroke-width": 3, class: "marker" }, s("title", {}, mark.title)));
  }
  return svg;
}

/** Horizontal bars for signed values (a score's per-rule points). items: [{label, value}]. */
export function barList(items, { format = String, testid } = {}) {
  const width = 520;
  const row = 24;
  const labelWidth = 200;
  const max = Math.max(1e-9, ...items.map((item) => Math.abs(item.value)));
  const svg = s("svg", { viewBox: `0 0 ${width} ${Math.max(row, items.length * row)}`, width, "data-testid": testid });
  items.forEach((item, index) => {
    const y = index * row;
    const w = ((width - labelWidth - 70) * Math.abs(item.value)) / max;
    svg.append(
      s("g", { "data-rule": item.label, "data-points": item.value },
        s("text", { x: 0, y: y + 16 }, item.label),
        s("rect", { x: labelWidth, y: y + 4, width: Math.max(2, w), height: row - 8, rx: 3,
          fill: item.value >= 0 ? "#3b82f6" : "#dc2626" }),
        s("text", { x: labelWidth + w + 6, y: y + 16, class: "muted" }, format(item.value))),
    );
  });
  return svg;
}
