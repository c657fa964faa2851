"""The export's direct render path gives the same bytes as the live site.

Every URL of the demo's export (home, articles, sections,
tags, authors, feeds, sitemaps, the newsletter archive, the support pages a mirror
holds, a 404) is rendered twice: by the export's renderer (DirectHandler, with the
apps' bulk loaders active, as a worker renders) and through Django's test client with
every middleware of the live site. After the mirror rewriting both must be the same
file, byte for byte, with the same status, links and assets.
"""

import dataclasses
import difflib

import pytest

from samizdat.mirrors import urlset
from samizdat.mirrors.export.context import Options, build_context
from samizdat.mirrors.export.render import Renderer, classify_path, rendering

pytestmark = pytest.mark.django_db

MISSING = "/no-such-page-for-the-render-test/"


def crawl(renderer, seeds):
    """Every page reachable from the seeds, rendered once (feeds first, so that pages
    link to them as .xml files): {path: result}."""
    results, queue = {}, sorted(seeds, key=lambda p: ("/feeds/" in p, p))
    while queue:
        path = queue.pop()
        if path in results:
            continue
        results[path] = result = renderer.render_one(path)
        queue.extend(link for link in result.get("links", ()) if link not in results)
    return results


def without_written(result):
    return {k: v for k, v in result.items() if k != "written"}  # the second pass rewrote


def assert_same_file(expected_file, got_file):
    expected, got = expected_file.read_bytes(), got_file.read_bytes()
    if expected != got:
        diff = difflib.unified_diff(expected.decode(errors="replace").splitlines(),
                                    got.decode(errors="replace").splitlines(), lineterm="", n=1)
        pytest.fail(f"{got_file.name} differs from the live site's:\n"
                    + "\n".join(list(diff)[:40]))


def test_every_page_type_renders_the_same_both_ways(demo_site, signing_key, settings,
                                                     tmp_path):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "news.example.org"]
    urlset.clear_caches()
    classify_path.cache_clear()
    direct_dir, client_dir = tmp_path / "direct", tmp_path / "client"
    direct_dir.mkdir()
    client_dir.mkdir()
    ctx = build_context(Options(outdir=tmp_path / "out"), direct_dir, None)
    direct = Renderer(ctx)
    live = Renderer(dataclasses.replace(ctx, tmpdir=str(client_dir)), client=True)
    assert not direct.use_client
    seeds = {p for p in set(urlset.page_paths().values()) | urlset.fixed_endpoint_paths()
             | urlset.app_export_paths() if direct.classify(p, "/").kind == "page"}
    with rendering():
        found = crawl(direct, seeds | {MISSING})
        # Again where a page took a feed's URL for HTML (as fix_assumptions does).
        for path, result in found.items():
            if set(result.get("assumed", ())) & set(direct.nonhtml):
                found[path] = direct.render_one(path)
    assert len(found) > 100
    live.nonhtml.update(direct.nonhtml)
    for path, result in sorted(found.items()):
        reference = live.render_one(path)
        if reference.get("file"):
            assert_same_file(client_dir / reference["file"], direct_dir / result["file"])
        assert without_written(reference) == without_written(result), path
    written = sorted(p.relative_to(direct_dir).as_posix()
                     for p in direct_dir.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(client_dir).as_posix()
                             for p in client_dir.rglob("*") if p.is_file())
    for name in written:
        assert (direct_dir / name).read_bytes() == (client_dir / name).read_bytes(), name

    # Every kind of page a mirror holds was among them.
    statuses = {path: r["status"] for path, r in found.items()}
    types = {r["type"] for r in found.values() if r["status"] == 200}
    assert statuses[MISSING] == 404
    assert {"text/html", "application/rss+xml", "application/xml"} <= types, types
    pages = [p for p, s in statuses.items() if s == 200]

    def some(*parts):
        return any(all(part in p for part in parts) for p in pages)

    assert "/" in pages and "/ru/" in pages
    for parts in (("/tags/",), ("/ru/tags/",), ("/authors/",), ("/feeds/", "rss"),
                  ("/feeds/", "atom"), ("/feeds/sections/",), ("/feeds/authors/",),
                  ("sitemap.xml",), ("/newsletters/",), ("/mirrors/",), ("/privacy/",),
                  ("funding.json",), ("mirrors.json",), ("robots.txt",), ("/opinion/", "-")):
        assert some(*parts), parts
