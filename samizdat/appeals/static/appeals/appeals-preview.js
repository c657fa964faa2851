/* Staff preview (?appeal-preview=ID:VARIANT): a panel saying why each appeal on this
   page is shown or suppressed. appeals.js keeps the reasons as short codes (it must stay
   small for every reader); they are put in words here. Loaded only on preview pages. */
(() => {
  "use strict";
  const show = () => {
    const {cfg, pick, why} = window.samizdatAppeals || {};
    if (!cfg) return;
    const words = {
      early: "schedule not started", ended: "schedule ended", supporter: "supporter",
      later: "remind me later", closed: "closed this version", weights: "no weighted variant",
      other: "previewing another", outranked: "a higher priority one shows",
      views: (n, days) => `seen ${n} times in ${days} days`, recent: (days) => `seen within ${days} days`,
      ignored: (x) => "(ignored in preview) " + say(x),
    };
    const say = (x) => Array.isArray(x) ? words[x[0]](...x.slice(1)) : words[x] || x;
    const D = document, box = D.createElement("aside"), h = D.createElement("h2"), ul = D.createElement("ul");
    box.className = "appeal-debug";
    box.setAttribute("aria-label", "Appeal preview");
    h.textContent = "Appeal preview: why each appeal is shown or not";
    (cfg.debug || []).forEach((d) => {
      const li = D.createElement("li"), p = pick[d.placement], shown = p && p.a.id === d.id;
      const r = d.page.length ? ["page: " + d.page.join("; ")] : (why[d.id] || []).map(say);
      li.textContent = `#${d.id} ${d.name} (${d.placement}): ` +
        (shown ? `SHOWN, variant ${p.key}` + (r.length ? " — " + r.join("; ") : "") : "suppressed — " + r.join("; "));
      li.setAttribute("data-ap-debug", d.id);
      ul.append(li);
    });
    box.append(h, ul);
    D.body.append(box);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show); else show();
})();
