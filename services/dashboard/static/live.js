// Live promotions: poll the newest tier changes, announce the ones not seen before.
import { h, leadLink } from "./dom.js";

export class Live {
  constructor(config, indicator, toasts) {
    this.config = config;
    this.indicator = indicator;
    this.toasts = toasts;
    this.timer = null;
    this.seen = null;
    this.count = 0;
    this.listeners = [];
  }

  /** Poll for the page of `ctx`; pages subscribe afresh each time they render. */
  start(ctx) {
    this.ctx = ctx;
    this.listeners = [];
    if (this.timer === null) {
      this.poll();
      this.timer = setInterval(() => this.poll(), this.config.poll_seconds * 1000);
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** fn(items, fresh): every poll's newest promotions and those new since the last poll. */
  subscribe(fn) {
    this.listeners.push(fn);
  }

  async poll() {
    let items;
    try {
      items = (await this.ctx.get("/v1/dashboard/promotions", { limit: 30 })).items;
    } catch {
      this.indicator.classList.remove("on");
      return;
    }
    this.indicator.classList.add("on");
    const ids = items.map((item) => item.transition_id);
    const fresh = this.seen === null ? [] : items.filter((item) => !this.seen.has(item.transition_id));
    this.seen = new Set([...(this.seen ?? []), ...ids]);
    if (fresh.length) {
      this.count += fresh.length;
      this.indicator.querySelector("b").textContent = String(this.count);
      this.indicator.classList.remove("pulse");
      void this.indicator.offsetWidth; // restart the animation
      this.indicator.classList.add("pulse");
      fresh.slice(0, 3).forEach((item) => this.toast(item));
    }
    for (const listener of this.listeners) listener(items, fresh);
  }

  toast(item) {
    const { i18n } = this.ctx;
    const note = h(
      "div",
      { class: "toast", "data-testid": "toast" },
      `${i18n.t("new_promotion")}: `,
      leadLink(this.config, item.lead_id),
      ` ${i18n.tier(item.from_tier)} → ${i18n.tier(item.to_tier)}`,
    );
    this.toasts.append(note);
    while (this.toasts.children.length > 3) this.toasts.firstChild.remove();
    setTimeout(() => note.remove(), 6000);
  }
}
