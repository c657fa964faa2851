"""Retake these screenshots: `make demo` in one shell, then, in another,
`.venv/bin/python docs/screenshots/take.py` (Playwright driving Debian's Chromium)."""

from playwright.sync_api import sync_playwright

BASE = "http://127.0.0.1:8000"  # make demo
ART = "/news/river-port-strike-enters-third-week/"
shots = [
    ("front-page", "/", None),
    ("article-with-banner", ART, None),
    ("letter", ART, ".appeal-letter"),
    ("support", "/support/", None),
]
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    for width, height in ((1280, 900), (390, 844)):
        for name, path, target in shots:
            if name == "letter" and width == 1280:
                continue
            c = b.new_context(viewport={"width": width, "height": height})
            pg = c.new_page()
            pg.goto(BASE + path)
            pg.wait_for_load_state("networkidle")
            if target:
                pg.locator(target).first.evaluate("e => e.scrollIntoView({block: 'start'})")
                pg.wait_for_timeout(600)
            pg.wait_for_timeout(500)
            pg.screenshot(path=f"docs/screenshots/{name}-{width}.png")
            c.close()
    b.close()
