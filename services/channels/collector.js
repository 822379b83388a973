/* leadfunnel website collector: page views with dwell time, forms, downloads, videos, demo
 * requests. Paste: <script async src="https://INGEST/v1/channels/website/collector.js"
 * data-write-key="YOUR_WRITE_KEY"></script>. Only email and phone leave a form, as identify. */
(function (window, document) {
  "use strict";
  var script = document.currentScript;
  if (!script || window.leadfunnel) return;
  var writeKey = script.getAttribute("data-write-key") || "";
  var endpoint = new URL("/v1/channels/website/collect", script.src).href;
  var COOKIE = "lf_anon";
  var YEAR = 365 * 24 * 3600;

  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var out = "";
    for (var i = 0; i < 32; i++) out += Math.floor(Math.random() * 16).toString(16);
    return out;
  }

  function anonymousId() {
    var found = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([A-Za-z0-9_-]{8,64})"));
    var id = found ? found[1] : newId();
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + id + "; Max-Age=" + YEAR + "; Path=/; SameSite=Lax" + secure;
    return id;
  }

  function campaign() {
    var params = new URLSearchParams(location.search), out = {};
    ["source", "medium", "campaign", "term", "content"].forEach(function (name) {
      var value = params.get("utm_" + name);
      if (value) out[name === "campaign" ? "name" : name] = value.slice(0, 200);
    });
    return out;
  }

  function send(events) {
    var body = JSON.stringify({
      writeKey: writeKey,
      anonymousId: anonymousId(),
      sentAt: new Date().toISOString(),
      context: {
        page: { url: location.href, path: location.pathname, title: document.title, referrer: document.referrer },
        locale: navigator.language,
        userAgent: navigator.userAgent,
        campaign: campaign()
      },
      events: events
    });
    // text/plain: a "simple" request, so no CORS preflight, and the beacon outlives the page.
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) return;
    fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit",
      headers: { "Content-Type": "text/plain" } }).catch(function () {});
  }

  function event(type, fields) {
    var item = { type: type, messageId: newId(), timestamp: new Date().toISOString() };
    for (var key in fields) item[key] = fields[key];
    return item;
  }

  function track(type, properties) { send([event(type, { properties: properties || {} })]); }

  // Page view with dwell time: visible time until the page is first hidden or left.
  var visibleMs = 0, visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  var pageSent = false;
  function sendPageView() {
    if (visibleSince !== null) { visibleMs += Date.now() - visibleSince; visibleSince = null; }
    if (pageSent) return;
    pageSent = true;
    track("page_viewed", { url: location.href, title: document.title.slice(0, 500),
      referrer: document.referrer || undefined, dwell_seconds: Math.round(visibleMs / 100) / 10 });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") sendPageView();
    else if (visibleSince === null) visibleSince = Date.now();
  });
  window.addEventListener("pagehide", sendPageView);

  function fieldValue(form, selector, namePattern) {
    var fields = form.querySelectorAll("input");
    for (var i = 0; i < fields.length; i++) {
      var input = fields[i], name = (input.name || input.id || "") + " " + (input.autocomplete || "");
      if ((input.matches(selector) || namePattern.test(name)) && input.value) return input.value.trim();
    }
    return undefined;
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.tagName !== "FORM" || form.hasAttribute("data-leadfunnel-ignore")) return;
    var formId = form.getAttribute("data-form-id") || form.id || form.name || form.getAttribute("action") || "form";
    var events = [event("form_submitted", { properties: { form_id: formId.slice(0, 200),
      form_name: (form.getAttribute("data-form-name") || form.name || "").slice(0, 200) || undefined } })];
    if (form.hasAttribute("data-demo-request")) {
      events.push(event("demo_requested", { properties: { product: form.getAttribute("data-demo-request") || undefined } }));
    }
    var traits = { email: fieldValue(form, "input[type=email]", /e-?mail|邮箱/i),
      phone: fieldValue(form, "input[type=tel]", /phone|mobile|\btel\b|手机|电话/i) };
    if (traits.email || traits.phone) events.push(event("identify", { traits: traits }));
    send(events);
  }, true);

  document.addEventListener("click", function (e) {
    var target = e.target && e.target.closest ? e.target : null;
    var link = target && target.closest("a[data-asset-kind], a[data-asset-id], a[download]");
    if (link) {
      var file = link.pathname.split("/").pop() || link.href;
      track("asset_downloaded", { asset_id: (link.getAttribute("data-asset-id") || file).slice(0, 200),
        asset_kind: (link.getAttribute("data-asset-kind") || "other").trim().toLowerCase().replace(/[\s-]+/g, "_"),
        title: (link.getAttribute("data-asset-title") || link.textContent.trim()).slice(0, 500) || undefined });
    }
    var demo = target && target.closest("[data-demo-request]:not(form)");
    if (demo) track("demo_requested", { product: demo.getAttribute("data-demo-request") || undefined });
  }, true);

  // Video progress at 25 / 50 / 75 / 100 %, once each per element.
  var MILESTONES = [25, 50, 75, 100];
  function videoProgress(e) {
    var video = e.target;
    if (!video || video.tagName !== "VIDEO" || !video.duration) return;
    var percent = e.type === "ended" ? 100 : (100 * video.currentTime) / video.duration;
    var reached = video.__leadfunnel || (video.__leadfunnel = {});
    MILESTONES.forEach(function (mark) {
      if (percent < mark || reached[mark]) return;
      reached[mark] = true;
      track("video_watched", { video_id: (video.getAttribute("data-video-id") || video.id || video.currentSrc).slice(0, 200),
        title: video.getAttribute("data-video-title") || undefined, seconds: Math.round(video.currentTime), percent: mark });
    });
  }
  document.addEventListener("timeupdate", videoProgress, true);
  document.addEventListener("ended", videoProgress, true);

  window.leadfunnel = {
    track: track,
    identify: function (traits) { send([event("identify", { traits: traits || {} })]); },
    anonymousId: anonymousId
  };
})(window, document);
