/* Staff preview (?appeal-preview=ID:VARIANT): a panel saying why each appeal
   on this page is shown or suppressed. Loaded only on preview pages. */
(() => {
  "use strict";
  const show = () => {
    const {cfg, pick, why} = window.samizdatAppeals || {};
    if (!cfg) return;
    const D = document, box = D.createElement("aside"), h = D.createElement("h2"), ul = D.createElement("ul");
    box.className = "appeal-debug";
    box.setAttribute("aria-label", "Appeal preview");
    h.textContent = "Appeal preview: why each appeal is shown or not";
    (cfg.debug || []).forEach((d) => {
      const li = D.createElement("li"), p = pick[d.placement], shown = p && p.a.id === d.id;
      const r = d.page.length ? ["page: " + d.page.join("; ")] : why[d.id] || [];
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
