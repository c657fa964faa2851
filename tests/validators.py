"""The checkers no one here wrote: the Nu Html Checker (vnu) and axe-core.

Both come from npm (.ci/validators/package.json; `make validators` installs them, vnu
also needs a Java runtime: Debian's default-jre-headless). Without them the tests that
use them are skipped with the reason; CI sets SAMIZDAT_REQUIRE_VALIDATORS, which turns
the skip into a failure.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("SAMIZDAT_VALIDATORS_DIR",
                           ROOT / ".ci" / "validators" / "node_modules"))
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"


def _missing(reason):
    if os.environ.get("SAMIZDAT_REQUIRE_VALIDATORS"):
        pytest.fail(reason)
    pytest.skip(reason)


def vnu_errors(pages):
    """Errors the Nu Html Checker finds in {label: html text}, one line each."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        _missing("the Nu Html Checker needs `make validators` and a Java runtime "
                 "(apt-get install default-jre-headless)")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"vnu-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    files = {}
    for number, (label, html) in enumerate(pages.items()):
        path = folder / f"page{number}.html"
        path.write_text(html, encoding="utf-8")
        files[f"file:{path.resolve()}"] = label
    done = subprocess.run([java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--stdout",
                           "--exit-zero-always", *[str(folder / f"page{n}.html")
                                                   for n in range(len(files))]],
                          capture_output=True, text=True, timeout=600)
    shutil.rmtree(folder, ignore_errors=True)
    messages = json.loads(done.stdout or "{}").get("messages", [])
    return [f"{files.get(m.get('url'), m.get('url'))}:{m.get('lastLine', '?')}: {m['message']}"
            f" — {(m.get('extract') or '').strip()[:120]}"
            for m in messages if m.get("type") == "error"]


def axe_violations(page):
    """axe-core's violations on the page the browser shows, one line per rule."""
    if not AXE_JS.is_file():
        _missing("axe-core needs `make validators` (npm)")
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]}))
        .violations.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3)
        .map((n) => n.target.join(" ")).join(" | ")})`)""")
    return found
