// The dashboard's entry point: read token, language, navigation, live promotions, the page.
import { AuthError, getJson, tokenStore } from "./api.js";
import { h, put } from "./dom.js";
import { renderFunnel } from "./funnel.js";
import { renderHealth } from "./health.js";
import { makeI18n } from "./i18n.js";
import { renderLead } from "./lead.js";
import { renderLeads } from "./leads.js";
import { Live } from "./live.js";
import { renderPoints, renderRep } from "./points.js";
import { renderRisk } from "./risk.js";

const LANGUAGE_KEY = "leadfunnel.language";
const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const main = document.getElementById("app");
const live = new Live(config, document.getElementById("live"), document.getElementById("toasts"));

function language() {
  const chosen = localStorage.getItem(LANGUAGE_KEY);
  return chosen === "zh" || chosen === "en" ? chosen : config.language;
}

/** Which page the path names, and its argument (a lead id). */
function route() {
  const rest = decodeURIComponent(location.pathname.slice(config.base.length)).replace(/^\/+|\/+$/g, "");
  const [page, ...more] = rest.split("/");
  if (page === "leads" && more.length) return { page: "lead", arg: more.join("/") };
  if (page === "reps" && more.length) return { page: "rep", arg: more.join("/") };
  return { page: ["funnel", "health", "leads", "points", "risk"].includes(page) ? page : "funnel" };
}

function label(i18n) {
  document.documentElement.lang = i18n.lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = i18n.t(node.dataset.i18n);
  document.getElementById("language").textContent = i18n.t("language");
  const { page } = route();
  for (const link of document.querySelectorAll("nav [data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === ({ lead: "leads", rep: "points" }[page] ?? page));
  }
}

function askForToken(i18n, refused) {
  live.stop();
  const input = h("input", { type: "password", id: "token-input", "data-testid": "token-input", autocomplete: "off" });
  const form = h(
    "form",
    { onsubmit: (event) => {
      event.preventDefault();
      if (input.value.trim()) {
        tokenStore.set(input.value);
        start();
      }
    } },
    input,
    h("button", { class: "primary", type: "submit", "data-testid": "token-save" }, i18n.t("token_save")),
  );
  put(
    main,
    h("section", { class: "card token-form", "data-testid": "token-form" },
      h("h2", {}, i18n.t("token_title")),
      h("p", { class: "muted small" }, i18n.t("token_hint"), " ", h("code", {}, "rt_dev_leadfunnel")),
      refused ? h("p", { class: "error" }, i18n.t("token_refused")) : null,
      form),
  );
  input.focus();
}

const PAGES = {
  funnel: renderFunnel, health: renderHealth, leads: renderLeads, lead: renderLead, points: renderPoints, rep: renderRep,
  risk: renderRisk,
};

async function start() {
  delete main.dataset.ready;
  const i18n = makeI18n(config, language());
  label(i18n);
  if (!tokenStore.get()) return askForToken(i18n, false);
  const { page, arg } = route();
  const ctx = { config, i18n, main, live, arg, get: (path, params) => getJson(config, path, params) };
  try {
    live.start(ctx);
    put(main, h("p", { class: "muted" }, i18n.t("loading")));
    await PAGES[page](ctx);
    main.dataset.ready = page;
  } catch (error) {
    if (error instanceof AuthError) {
      tokenStore.clear();
      return askForToken(i18n, true);
    }
    console.error(error);
    put(main, h("section", { class: "card" }, h("p", { class: "error", "data-testid": "error" }, `${i18n.t("failed")}: ${error.message}`)));
  }
}

document.getElementById("language").addEventListener("click", () => {
  localStorage.setItem(LANGUAGE_KEY, language() === "zh" ? "en" : "zh");
  live.stop();
  start();
});
document.getElementById("sign-out").addEventListener("click", () => {
  tokenStore.clear();
  askForToken(makeI18n(config, language()), false);
});
start();
