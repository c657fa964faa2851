"""The exported demo site works from any base: root, sub-path, every page reached."""

import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from samizdat.mirrors.manifest import MANIFEST_NAME
from samizdat.mirrors.verify import verify_tree

from .conftest import DONATION, PRIMARY, serve
from .crawler import crawl, sitemap_starts

pytestmark = pytest.mark.django_db


def reached_paths(result, base):
    paths = set()
    for url in result.html_pages:
        rel = "/" + url[len(base):]
        paths.add(rel[: -len("index.html")] if rel.endswith("/index.html") or rel == "/index.html"
                  else rel)
    return {urllib.parse.unquote(p) for p in paths}


def check_crawl(result, base, published):
    assert result.broken == [], f"broken links: {result.broken[:10]}"
    primary = [o for o in result.outside if o[2].startswith(PRIMARY)]
    assert primary == [], f"links to the primary host: {primary[:10]}"
    leaving = {urllib.parse.urlsplit(o[2]).netloc for o in result.outside}
    assert leaving <= {"give.example.net", "news.example.org"} | {
        urllib.parse.urlsplit(o[2]).netloc for o in result.outside if o[0] == "a"
    }
    assets_elsewhere = [o for o in result.outside if o[0] in ("img", "script", "link", "css")
                        and o[1] != "href" or (o[0] == "link" and "stylesheet" in o)]
    assert assets_elsewhere == []
    missing = {urllib.parse.unquote(p) for p in published} - reached_paths(result, base)
    assert missing == set(), f"published pages not reached: {sorted(missing)[:10]}"


def test_export_at_domain_root_has_no_broken_links_and_reaches_every_published_page(demo_export):
    folder, _key, published = demo_export
    with serve(folder) as base:
        result = crawl(base, extra_starts=sitemap_starts(base, PRIMARY))
    check_crawl(result, base, published)
    assert all(url.startswith(PRIMARY) for url in result.metadata)
    assert any(o[2].startswith(DONATION) for o in result.outside), "no contribution link"


def test_export_served_under_ipfs_style_sub_path_works_unchanged(demo_export):
    folder, _key, published = demo_export
    prefix = "/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/"
    with serve(folder, prefix=prefix) as base:
        result = crawl(base, extra_starts=sitemap_starts(base, PRIMARY))
        assert crawl(base.replace(prefix, "/"), limit=1).broken, "root must not serve it"
    check_crawl(result, base, published)


def test_every_exported_page_carries_csp_and_no_referrer_inside_html(demo_export):
    folder, _key, _published = demo_export
    pages = sorted(folder.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        head = page.read_text("utf-8").split("</head>")[0]
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', head)
        assert csp, page
        assert csp.group(1).startswith("default-src 'self';"), page
        assert "http" not in csp.group(1).replace(DONATION, ""), page
        assert '<meta name="referrer" content="no-referrer">' in head, page


def test_directory_links_point_to_index_files_for_file_urls(demo_export):
    folder, _key, _published = demo_export
    home = (folder / "index.html").read_text("utf-8")
    hrefs = re.findall(r'<a [^>]*href="([^"#]+)"', home)
    internal = [h for h in hrefs if not h.startswith(("http:", "https:"))]
    assert internal and all(h.endswith((".html", ".xml", ".json", ".txt", ".pub"))
                            for h in internal), internal


def test_search_needs_a_server_so_export_drops_it_with_a_note(demo_export):
    folder, _key, _published = demo_export
    assert not (folder / "search").exists()
    home = (folder / "index.html").read_text("utf-8")
    assert "search/" not in home


def test_feeds_sitemaps_mirror_list_and_key_are_exported(demo_export):
    folder, key, _published = demo_export
    for rel in ("robots.txt", "mirrors.json", "mirrors.json.minisig", "mirrors/index.html",
                "ru/mirrors/index.html", ".well-known/samizdat-mirror.pub", MANIFEST_NAME):
        assert (folder / rel).is_file(), rel
    assert key.line in (folder / ".well-known/samizdat-mirror.pub").read_text()
    assert key.line in (folder / "mirrors/index.html").read_text()


def test_stock_minisign_verifies_the_manifest(demo_export, tmp_path):
    folder, key, _published = demo_export
    pub = tmp_path / "key.pub"
    pub.write_text(key.file_text())
    run = subprocess.run(["minisign", "-V", "-p", str(pub), "-m", str(folder / MANIFEST_NAME)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Signature and comment signature verified" in run.stdout + run.stderr
    json_run = subprocess.run(["minisign", "-V", "-p", str(pub), "-m",
                               str(folder / "mirrors.json")], capture_output=True, text=True)
    assert json_run.returncode == 0, json_run.stderr


def test_clean_export_verifies_with_our_checker(demo_export):
    folder, key, _published = demo_export
    report = verify_tree(folder, key)
    assert report.ok, report.problems
    assert report.files == len([p for p in Path(folder).rglob("*") if p.is_file()]) - 2
