/* Samizdat appeals: every ask is already in the page; this picks which to show
   from a little state kept in this browser only (see docs/appeals.md).
   Loaded in <head> so the choice is made before the first paint. */
(function () {
  "use strict";
  var D = document, H = D.documentElement, KEY = "samizdat.appeals", DAY = 864e5;
  var cfg = {appeals: []}, now = Date.now(), off = location.protocol === "file:", cleared = false;
  try { cfg = JSON.parse(D.getElementById("appeals-config").textContent) || cfg; } catch (e) { /* no config */ }
  H.classList.add("ap-js");
  var preview = cfg.preview, st = load(), pick = {}, why = {};

  function load() {
    try { var s = JSON.parse(localStorage.getItem(KEY)); if (s && s.v === 1) return s; } catch (e) { /* none */ }
    return {v: 1};
  }
  function save() {
    if (cleared || preview) return;
    try { localStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* private mode */ }
  }
  function rec(id) { st.a = st.a || {}; return (st.a[id] = st.a[id] || {}); }
  function hash(s) {
    for (var h = 2166136261, i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return (h >>> 0) / 4294967296;
  }

  // Forget what has expired: old view dates, past snoozes and marks, old months.
  (function prune() {
    var a = st.a || {}, id, e;
    for (id in a) {
      e = a[id];
      e.s = (e.s || []).filter(function (t) { return t > now - 400 * DAY; }).slice(-20);
      if (!e.s.length) delete e.s;
      if (!e.s && !(e.c && e.t > now - 400 * DAY)) delete a[id];
    }
    if (st.z && st.z <= now) delete st.z;
    if (st.p && st.p <= now) delete st.p;
    if (st.r && (!cfg.countArticles || st.r.m !== month())) delete st.r;
  })();
  function month() { return new Date(now).toISOString().slice(0, 7); }

  function reasons(a) {
    var r = [], e = (st.a || {})[a.id] || {}, s = e.s || [], n;
    if (a.start && now < a.start) r.push("its schedule has not started");
    if (a.end && now >= a.end) r.push("its schedule has ended");
    if (a.hideSupporters && st.p > now) r.push("this browser is marked as a supporter's");
    if (st.z > now) r.push("the reader asked to be reminded later");
    if (e.c === a.version) r.push("the reader closed this version");
    n = s.filter(function (t) { return t > now - a.perDays * DAY; }).length;
    if (a.maxViews && n >= a.maxViews) r.push("seen " + n + " times in " + a.perDays + " days");
    if (a.minDays && s.length && s[s.length - 1] > now - a.minDays * DAY) r.push("seen less than " + a.minDays + " days ago");
    if (!a.variants.some(function (v) { return v[1] > 0; })) r.push("no variant has a weight");
    return r;
  }

  function variant(a) {
    var vs = a.variants, i, u, tot = 0;
    if (preview && preview.id === a.id) {
      for (i = 0; i < vs.length; i++) if (vs[i][0] === preview.variant) return vs[i][0];
    }
    vs = vs.filter(function (v) { return v[1] > 0; });
    vs.forEach(function (v) { tot += v[1]; });
    if (!tot) return vs.length ? vs[0][0] : a.variants[0][0];
    if (st.b == null) st.b = Math.random();
    u = hash(st.b + ":" + a.id) * tot;
    for (i = 0; i < vs.length; i++) { u -= vs[i][1]; if (u < 0) return vs[i][0]; }
    return vs[vs.length - 1][0];
  }

  // At most one appeal per placement: the highest priority that passes every filter.
  if (preview) cfg.appeals.forEach(function (a) { if (a.id === preview.id) preview.placement = a.placement; });
  cfg.appeals.slice().sort(function (x, y) { return y.priority - x.priority || x.id - y.id; }).forEach(function (a) {
    var r = reasons(a), p = a.placement;
    if (preview && preview.id === a.id) {
      why[a.id] = r.map(function (x) { return "(ignored in preview) " + x; });
      pick[p] = {a: a, key: variant(a)};
      return;
    }
    if (preview && preview.placement === p) r.push("another appeal is being previewed");
    else if (pick[p]) r.push("another appeal here comes first");
    why[a.id] = r;
    if (!r.length) pick[p] = {a: a, key: variant(a)};
  });

  function mark(el) {
    var p = pick[el.getAttribute("data-placement")];
    if (p && String(p.a.id) === el.getAttribute("data-appeal")) {
      el.setAttribute("data-ap-show", p.key);
      el.classList.add("ap-on");
    }
  }
  var mo = window.MutationObserver && new MutationObserver(function (list) {
    list.forEach(function (m) {
      m.addedNodes.forEach(function (n) { if (n.nodeType === 1 && n.hasAttribute("data-appeal")) mark(n); });
    });
  });
  if (mo) mo.observe(H, {childList: true, subtree: true});

  function send(a, key, kind) {
    if (off || preview || !cfg.counter) return;
    try {
      fetch(cfg.counter, {
        method: "POST", credentials: "omit", referrerPolicy: "no-referrer", keepalive: true, cache: "no-store",
        headers: {"Content-Type": "application/x-www-form-urlencoded"},
        body: "appeal=" + encodeURIComponent(a) + "&variant=" + encodeURIComponent(key) + "&kind=" + kind
      }).then(function (r) { if (!r.ok) off = true; }, function () { off = true; });
    } catch (e) { off = true; }
  }
  function $$(sel, root) { return Array.prototype.slice.call((root || D).querySelectorAll(sel)); }
  function hide(el) { el.classList.remove("ap-on"); }

  function whenSeen(el, fn) {
    if (!window.IntersectionObserver || el.getAttribute("data-placement") === "banner") return fn();
    var io = new IntersectionObserver(function (es) {
      if (es.some(function (e) { return e.isIntersecting; })) { io.disconnect(); fn(); }
    });
    io.observe(el);
  }

  function ics(date, summary, url) {
    var d = function (t) { return new Date(t).toISOString().slice(0, 10).replace(/-/g, ""); };
    var esc = function (s) { return String(s).replace(/([\\;,])/g, "\\$1"); };
    return ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Samizdat//Appeals//EN", "BEGIN:VEVENT",
      "UID:reminder-" + d(date) + "@" + location.hostname, "DTSTAMP:" + d(now) + "T000000Z",
      "DTSTART;VALUE=DATE:" + d(date), "DTEND;VALUE=DATE:" + d(date + DAY), "SUMMARY:" + esc(summary),
      "DESCRIPTION:" + esc(url), "URL:" + esc(url), "END:VEVENT", "END:VCALENDAR", ""].join("\r\n");
  }

  function remind(a, key, el) {
    var until = now + a.remindDays * DAY;
    st.z = until; save(); send(a.id, key, "remind");
    $$(".appeal.ap-on").forEach(function (x) { if (x !== el) hide(x); });
    var body = el.querySelector("[data-ap-body]"), done = el.querySelector("[data-ap-reminded]");
    if (!done) return hide(el);
    var link = done.querySelector("[data-ap-ics]"), t = done.querySelector("[data-ap-remind-date]");
    t.textContent = new Date(until).toLocaleDateString(H.lang || undefined, {year: "numeric", month: "long", day: "numeric"});
    t.setAttribute("datetime", new Date(until).toISOString().slice(0, 10));
    var form = el.querySelector("form");
    link.href = URL.createObjectURL(new Blob([ics(until, link.getAttribute("data-ap-ics-summary"),
      new URL(form ? form.getAttribute("action") : "/", location.href).href)], {type: "text/calendar"}));
    if (body) body.hidden = true;
    done.hidden = false;
    done.setAttribute("tabindex", "-1");
    done.focus();
  }

  function widget(form, setKey) {
    var data = {}, box = form.querySelector("[data-ap-amounts]"), other = form.querySelector("[data-ap-other]");
    try { data = JSON.parse(form.getAttribute("data-ap-frequencies")); } catch (e) { /* keep defaults */ }
    if (other) other.disabled = false;
    function amounts(freq) {
      var f = data[freq];
      if (!f || !box) return;
      box.textContent = "";
      f.choices.forEach(function (c) {
        var label = D.createElement("label"), input = D.createElement("input");
        input.type = "radio"; input.name = "amount"; input.value = c.value; input.checked = c.value === f.default;
        label.appendChild(input); label.appendChild(D.createTextNode(" " + c.label));
        box.appendChild(label);
      });
      if (other && f.minimum) other.min = f.minimum;
    }
    form.addEventListener("change", function (ev) {
      var t = ev.target;
      if (t.name === "frequency") { amounts(t.value); if (other) other.value = ""; }
      else if (t.type === "radio" && t.name === "amount" && other) other.value = "";
    });
    if (other) other.addEventListener("input", function () {
      if (other.value) $$("input[type=radio][name=amount]", form).forEach(function (r) { r.checked = false; });
    });
    form.addEventListener("submit", function () {
      setKey();
      if (other && !other.value) other.disabled = true;
      else $$("input[type=radio][name=amount]", form).forEach(function (r) { r.checked = false; });
    });
    window.addEventListener("pageshow", function () { if (other) other.disabled = false; });
  }

  function wire(el) {
    var p = pick[el.getAttribute("data-placement")];
    mark(el);
    if (!el.classList.contains("ap-on")) return;
    var a = p.a, key = p.key, vin = el.querySelector("[data-ap-variant-input]");
    if (vin) vin.value = key;
    $$("a[data-ap-click]", el).forEach(function (x) {
      x.addEventListener("click", function () { send(a.id, key, "click"); });
    });
    $$("form[data-ap-widget]", el).forEach(function (f) {
      widget(f, function () { if (vin) vin.value = key; send(a.id, key, "click"); });
    });
    $$("[data-ap-remind]", el).forEach(function (x) {
      x.addEventListener("click", function (ev) { ev.preventDefault(); remind(a, key, el); });
    });
    $$("[data-ap-close]", el).forEach(function (x) {
      x.addEventListener("click", function () {
        rec(a.id).c = a.version; rec(a.id).t = now; save(); send(a.id, key, "close"); hide(el);
        var main = D.getElementById("main");
        if (main) main.focus();
      });
    });
    if (el.getAttribute("data-placement") === "banner") {
      el.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape") { var c = el.querySelector("[data-ap-close]"); if (c) c.click(); }
      });
    }
    whenSeen(el, function () {
      if (preview) return;
      var e = rec(a.id);
      e.s = (e.s || []).concat(now).slice(-Math.max(a.maxViews, 1));
      save(); send(a.id, key, "view");
    });
  }

  function debugPanel() {
    var box = D.createElement("aside"), h = D.createElement("h2"), ul = D.createElement("ul");
    box.className = "appeal-debug"; box.setAttribute("aria-label", "Appeal preview");
    h.textContent = "Appeal preview: why each appeal is shown or not";
    (cfg.debug || []).forEach(function (d) {
      var li = D.createElement("li"), p = pick[d.placement], r = d.page.length ? ["page: " + d.page.join("; ")] : (why[d.id] || []);
      var shown = p && p.a.id === d.id;
      li.textContent = "#" + d.id + " " + d.name + " (" + d.placement + "): " +
        (shown ? "SHOWN, variant " + p.key + (r.length ? " — " + r.join("; ") : "") : "suppressed — " + (r.join("; ") || "not on this page"));
      li.setAttribute("data-ap-debug", d.id);
      ul.appendChild(li);
    });
    box.appendChild(h); box.appendChild(ul); D.body.appendChild(box);
  }

  function ready() {
    if (mo) mo.disconnect();
    $$("[data-appeal]").forEach(wire);
    $$("[data-ap-supporter]").forEach(function (m) {
      var once = m.getAttribute("data-ap-supporter") === "once", days = cfg.supporterDays || {};
      var fresh = !(st.p > now), ap = m.getAttribute("data-ap-appeal");
      st.p = now + (once ? days.once || 90 : days.recurring || 365) * DAY;
      if (fresh && ap) send(ap, m.getAttribute("data-ap-variant"), "conversion");
      save();
    });
    if (cfg.countArticles && cfg.isArticle) {
      st.r = st.r || {m: month(), n: 0}; st.r.n += 1; save();
    }
    if (st.r) $$("[data-ap-fill=articles]").forEach(function (x) { x.textContent = st.r.n; });
    $$("[data-ap-clear]").forEach(function (b) {
      b.addEventListener("click", function () {
        try { localStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
        st = {v: 1}; cleared = true;
        $$("[data-ap-cleared]").forEach(function (x) { x.hidden = false; });
      });
    });
    if (preview) debugPanel();
  }
  if (D.readyState === "loading") D.addEventListener("DOMContentLoaded", ready); else ready();
})();
