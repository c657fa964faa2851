/* Samizdat appeals (docs/appeals.md): state in this browser only; runs before first paint. */
(() => {
  "use strict";
  const D = document, H = D.documentElement, KEY = "samizdat.appeals", DAY = 864e5, now = Date.now();
  // An exported copy (CSP in a <meta>; live pages send a header) counts nothing.
  let cfg = {appeals: []}, off = D.querySelector("[http-equiv=Content-Security-Policy]"), cleared = false;
  try { cfg = JSON.parse(D.getElementById("appeals-config").textContent) || cfg; } catch {}
  H.classList.add("ap-js");
  const preview = cfg.preview, pick = {}, why = {};
  if (preview) window.samizdatAppeals = {cfg, pick, why};  // for appeals-preview.js
  const $$ = (sel, root = D) => [...root.querySelectorAll(sel)];
  const q = (sel, root = D) => root.querySelector(sel);
  const month = () => new Date(now).toISOString().slice(0, 7);
  let st = {v: 1};
  try { const s = JSON.parse(localStorage.getItem(KEY)); if (s && s.v === 1) st = s; } catch {}
  const save = () => {
    if (cleared || preview) return;
    try { localStorage.setItem(KEY, JSON.stringify(st)); } catch {}
  };
  const rec = (id) => { st.a = st.a || {}; return (st.a[id] = st.a[id] || {}); };
  const hash = (s) => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return (h >>> 0) / 4294967296;
  };
  for (const id in st.a || {}) {
    const e = st.a[id];
    e.s = (e.s || []).filter((t) => t > now - 400 * DAY).slice(-20);
    if (!e.s.length) delete e.s;
    if (!e.s && !(e.c && e.t > now - 400 * DAY)) delete st.a[id];
  }
  if (st.z <= now) delete st.z;
  if (st.p <= now) delete st.p;
  if (st.r && (!cfg.countArticles || st.r.m !== month())) delete st.r;
  const reasons = (a) => {
    const r = [], e = (st.a || {})[a.id] || {}, s = e.s || [];
    const n = s.filter((t) => t > now - a.perDays * DAY).length;
    if (a.start && now < a.start) r.push("early");
    if (a.end && now >= a.end) r.push("ended");
    if (a.hideSupporters && st.p > now) r.push("supporter");
    if (st.z > now) r.push("later");
    if (e.c === a.version) r.push("closed");
    if (a.maxViews && n >= a.maxViews) r.push(["views", n, a.perDays]);
    if (a.minDays && s.length && s[s.length - 1] > now - a.minDays * DAY) r.push(["recent", a.minDays]);
    if (!a.variants.some((v) => v[1] > 0)) r.push("weights");
    return r;
  };
  // A reader keeps a variant: one random number, hashed per appeal.
  const variant = (a) => {
    if (preview && preview.id === a.id && a.variants.some((v) => v[0] === preview.variant)) return preview.variant;
    const vs = a.variants.filter((v) => v[1] > 0);
    if (!vs.length) return a.variants[0][0];
    if (st.b == null) st.b = Math.random();
    let u = hash(st.b + ":" + a.id) * vs.reduce((t, v) => t + v[1], 0);
    for (const v of vs) { u -= v[1]; if (u < 0) return v[0]; }
    return vs[vs.length - 1][0];
  };
  // One appeal per placement: the highest priority that passes every filter.
  if (preview) cfg.appeals.forEach((a) => { if (a.id === preview.id) preview.placement = a.placement; });
  cfg.appeals.slice().sort((x, y) => y.priority - x.priority || x.id - y.id).forEach((a) => {
    const r = reasons(a), p = a.placement;
    if (preview && preview.id === a.id) {
      why[a.id] = r.map((x) => ["ignored", x]);
      pick[p] = {a, key: variant(a)};
      return;
    }
    if (preview && preview.placement === p) r.push("other");
    else if (pick[p]) r.push("outranked");
    why[a.id] = r;
    if (!r.length) pick[p] = {a, key: variant(a)};
  });
  // Reveal the chosen appeals as the parser adds them, before any paint.
  const mark = (el) => {
    const p = pick[el.dataset.placement];
    if (p && String(p.a.id) === el.dataset.appeal) {
      el.dataset.apShow = p.key;
      el.classList.add("ap-on");
    }
  };
  const mo = new MutationObserver((list) => list.forEach((m) =>
    m.addedNodes.forEach((n) => { if (n.nodeType === 1 && n.dataset.appeal) mark(n); })));
  mo.observe(H, {childList: true, subtree: true});
  // Anonymous counts: appeal, variant and kind only; no cookie, no referrer.
  const send = (a, key, kind) => {
    if (off || preview || !cfg.counter) return;
    try {
      fetch(cfg.counter, {
        method: "POST", credentials: "omit", referrerPolicy: "no-referrer", keepalive: true,
        body: new URLSearchParams({appeal: a, variant: key, kind})
      }).then((r) => { if (!r.ok) off = true; }, () => { off = true; });
    } catch { off = true; }
  };
  const hide = (el) => el.classList.remove("ap-on");
  const whenSeen = (el, fn) => {
    if (!window.IntersectionObserver || el.dataset.placement === "banner") return fn();
    const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && (io.disconnect(), fn()));
    io.observe(el);
  };
  const ics = (date, summary, url) => {  // RFC 5545: the reader's own UID, 75-octet lines
    const d = (t) => new Date(t).toISOString().slice(0, 10).replace(/-/g, "");
    const esc = (s) => String(s).replace(/([\\;,])/g, "\\$1"), te = new TextEncoder();
    const uid = crypto.randomUUID?.() || now + Math.random(), fold = (l) => {
      let o = "", n = 0;
      for (const c of l) { const k = te.encode(c).length; if (n + k > 75) o += "\r\n ", n = 1; o += c; n += k; }
      return o;
    };
    return ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Samizdat//Appeals//EN", "BEGIN:VEVENT",
      `UID:reminder-${uid}@${location.hostname || "mirror"}`, `DTSTAMP:${d(now)}T000000Z`,
      `DTSTART;VALUE=DATE:${d(date)}`, `DTEND;VALUE=DATE:${d(date + DAY)}`, "SUMMARY:" + esc(summary),
      "URL:" + esc(url), "END:VEVENT", "END:VCALENDAR", ""].map(fold).join("\r\n");
  };
  const remind = (a, key, el) => {
    const until = now + a.remindDays * DAY, done = q("[data-ap-reminded]", el);
    st.z = until; save(); send(a.id, key, "remind");
    $$(".appeal.ap-on").forEach((x) => x !== el && hide(x));
    if (!done) return hide(el);
    const link = q("[data-ap-ics]", done), t = q("[data-ap-remind-date]", done);
    const form = q("form", el), day = new Date(until);
    t.replaceChildren(Object.assign(D.createElement("time"), {dateTime: day.toISOString().slice(0, 10),
      textContent: day.toLocaleDateString(H.lang || undefined, {dateStyle: "long"})}));
    const url = form ? form.action : location.origin + "/";
    link.href = URL.createObjectURL(new Blob([ics(until, link.dataset.apIcsSummary, url)], {type: "text/calendar"}));
    q("[data-ap-body]", el).hidden = true;
    done.hidden = false; done.tabIndex = -1; done.focus();
  };
  // Letter widget: one amount group per frequency; only the chosen one shows and is sent.
  const widget = (form, submitted) => {
    const groups = $$("[data-ap-amounts]", form), others = $$("[data-ap-other]", form);
    const show = (f) => groups.forEach((g) => {
      g.hidden = g.disabled = g.dataset.apAmounts !== f;
      if (!g.hidden) $$("[checked]", g).forEach((r) => r.checked = true);
    });
    const f = q("[name=frequency]:checked", form), on = (t, fn) => form.addEventListener(t, fn);
    if (f) show(f.value);
    on("change", ({target: t}) => {
      if (t.name === "frequency") show(t.value);
      if (t.type === "radio") others.forEach((o) => o.value = "");
    });
    on("input", ({target: t}) => { if (t.type == "number" && t.value) $$("[name=amount]", form).forEach((r) => r.checked = false); });
    on("submit", () => { submitted(); others.forEach((o) => o.disabled = !o.value); });
    addEventListener("pageshow", () => others.forEach((o) => o.disabled = false));
  };
  const wire = (el) => {
    mark(el);
    if (!el.classList.contains("ap-on")) return;
    const {a, key} = pick[el.dataset.placement], vin = q("[data-ap-variant-input]", el);
    const on = (sel, type, fn) => $$(sel, el).forEach((x) => x.addEventListener(type, fn));
    if (vin) vin.value = key;
    on("a[data-ap-click]", "click", () => send(a.id, key, "click"));
    $$("form[data-ap-widget]", el).forEach((f) => widget(f, () => send(a.id, key, "click")));
    on("[data-ap-remind]", "click", (ev) => { ev.preventDefault(); remind(a, key, el); });
    on("[data-ap-close]", "click", () => {
      Object.assign(rec(a.id), {c: a.version, t: now}); save(); send(a.id, key, "close"); hide(el);
      const main = D.getElementById("main");
      if (main) main.focus();
    });
    el.addEventListener("keydown", (ev) => {
      const c = q("[data-ap-close]", el);
      if (ev.key === "Escape" && c) c.click();
    });
    whenSeen(el, () => {
      if (preview) return;
      const e = rec(a.id);
      e.s = (e.s || []).concat(now).slice(-Math.max(a.maxViews, 1));
      save(); send(a.id, key, "view");
    });
  };
  const ready = () => {
    mo.disconnect();
    $$("[data-appeal]").forEach(wire);
    // The banner steps aside while the letter is on screen: one ask at a time.
    const b = q(".appeal-banner.ap-on"), l = q(".appeal-letter.ap-on");
    if (b && l && window.IntersectionObserver) new IntersectionObserver((es) =>
      b.classList.toggle("ap-away", es[es.length - 1].isIntersecting)).observe(l);
    $$("[data-ap-supporter]").forEach((m) => {
      const days = cfg.supporterDays || {}, fresh = !(st.p > now), ap = m.dataset.apAppeal;
      st.p = now + (m.dataset.apSupporter === "once" ? days.once || 90 : days.recurring || 365) * DAY;
      if (fresh && ap) send(ap, m.dataset.apVariant, "conversion");
      save();
    });
    if (cfg.countArticles && cfg.isArticle) { st.r = st.r || {m: month(), n: 0}; st.r.n += 1; save(); }
    if (st.r) $$("[data-ap-fill=articles]").forEach((x) => x.textContent = st.r.n);
    $$("[data-ap-clear]").forEach((b) => b.addEventListener("click", () => {
      try { localStorage.removeItem(KEY); } catch {}
      st = {v: 1}; cleared = true;
      $$("[data-ap-cleared]").forEach((x) => x.hidden = false);
    }));
  };
  if (D.readyState === "loading") D.addEventListener("DOMContentLoaded", ready); else ready();
})();
