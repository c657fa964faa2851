"""Page rewriting on small inputs: what a mirror page keeps, changes and drops."""

import base64
import hashlib

from samizdat.mirrors import urlset
from samizdat.mirrors.export.context import ExportContext
from samizdat.mirrors.export.render import Renderer, classify_path
from samizdat.mirrors.rewrite import PageRewriter, file_for

CTX = ExportContext(
    scheme="https", host="news.example.org", site_url="https://news.example.org",
    static_url="/static/", media_url="/media/", tmpdir="", previous="",
    onion=False, onion_url="", donation_origin="https://give.example.net",
)
NONHTML = {"/feeds/rss/": "xml"}

PAGE = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<link rel="canonical" href="https://news.example.org/news/a/">
<link rel="stylesheet" href="/static/news/site.css?v=2">
<link rel="preconnect" href="https://cdn.example.com">
<script nonce="r4nd0m">window.x = 1;</script>
<script type="application/ld+json">{"url": "https://news.example.org/news/a/"}</script>
</head><body>
<a href="https://news.example.org/news/b/#top">B</a> <a href="../">up</a>
<a href="/feeds/rss/">RSS</a> <a href="https://elsewhere.example/">out</a>
<img src="/media/images/a.jpg" srcset="/media/images/a.jpg 1x, /media/images/b.jpg 2x">
<form method="post" action="/support/">
<input type="hidden" name="csrfmiddlewaretoken" value="s3cr3t"><button>Give</button></form>
<form role="search" method="get" action="/search/"><input name="q"></form>
<ul><li><a href="/search/">Search</a></li></ul>
</body></html>"""


def rewrite(monkeypatch, body=PAGE, path="/news/a/"):
    monkeypatch.setattr(urlset, "search_paths", lambda: frozenset({"/search/"}))
    monkeypatch.setattr(urlset, "is_donation", lambda p: p.startswith("/support/"))
    monkeypatch.setattr(urlset, "is_excluded", lambda p: p == "/search/")
    classify_path.cache_clear()
    assumed = set()
    options = {"donation_origin": CTX.donation_origin, "form_origins": [CTX.donation_origin],
               "onion_url": "", "onion": False, "mirror_note": None}
    renderer = Renderer(CTX, dict(NONHTML))
    rewriter = PageRewriter(renderer.classify, lambda p: renderer.file_of(p, assumed), path,
                            file_for(path), options)
    result = rewriter.rewrite(body)
    classify_path.cache_clear()
    return result.body.decode(), result


def test_internal_links_become_relative_files_and_metadata_stays_absolute(monkeypatch):
    html, result = rewrite(monkeypatch)
    assert 'href="../b/index.html#top"' in html
    assert 'href="../index.html"' in html
    assert 'href="../../feeds/rss/index.xml"' in html
    assert 'href="../../static/news/site.css"' in html
    assert 'srcset="../../media/images/a.jpg 1x, ../../media/images/b.jpg 2x"' in html
    assert '<link rel="canonical" href="https://news.example.org/news/a/">' in html
    assert '{"url": "https://news.example.org/news/a/"}' in html
    assert 'href="https://elsewhere.example/"' in html
    assert "preconnect" not in html
    assert result.links == {"/news/b/", "/news/", "/feeds/rss/"}
    assert result.assets == {"/static/news/site.css", "/media/images/a.jpg",
                             "/media/images/b.jpg"}


def test_forms_that_post_go_to_the_donation_origin_without_secrets(monkeypatch):
    html, _result = rewrite(monkeypatch)
    assert '<form method="post" action="https://give.example.net/support/">' in html
    assert "csrfmiddlewaretoken" not in html and "s3cr3t" not in html


def test_search_form_and_links_are_replaced_by_a_note(monkeypatch):
    html, _result = rewrite(monkeypatch)
    assert "/search/" not in html and 'role="search"' not in html
    assert "Search is not available on this copy" in html


def test_inline_scripts_lose_nonces_and_are_allowed_by_hash(monkeypatch):
    html, _result = rewrite(monkeypatch)
    assert "nonce" not in html
    digest = base64.b64encode(hashlib.sha256(b"window.x = 1;").digest()).decode()
    csp = html.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    assert csp.startswith("default-src 'self';")
    assert f"'sha256-{digest}'" in csp
    assert "form-action 'self' https://give.example.net" in csp
    assert html.index("Content-Security-Policy") < html.index("<script")


ODD = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>
<div title="a > b" class=x data-n=1>kept</div>
<p TITLE='quoted "twice"' id=p>kept too</p>
<A HREF='/news/b/'>upper</A>
<a title=x href=/news/b/>unquoted</a>
<span data-src="/media/images/a.jpg">data</span>
<section aria-label="Rubrics: /news/ and more" hidden>no link</section>
</body></html>"""


def test_tags_in_unusual_but_valid_forms_are_rewritten_or_kept_exactly(monkeypatch):
    """Tags with nothing to change are copied as they matched; the ones with a link are
    rewritten whatever their quoting or case."""
    html, result = rewrite(monkeypatch, body=ODD)
    assert '<div title="a > b" class=x data-n=1>kept</div>' in html
    assert "<p TITLE='quoted \"twice\"' id=p>kept too</p>" in html
    assert '<section aria-label="Rubrics: /news/ and more" hidden>no link</section>' in html
    assert html.count("../b/index.html") == 2  # the upper-case and the unquoted link
    assert "/news/b/" not in html.replace("../b/index.html", "")
    assert "../../media/images/a.jpg" in html
    assert "/news/b/" in result.links


def test_tags_kept_from_page_to_page_are_only_those_that_read_nothing_of_the_page(monkeypatch):
    """Tags rewritten alike on every page are reused across pages; a tag with a link,
    even one met earlier on the same page, is still rewritten for each page's folder."""
    body = (b'<html><head><meta name="theme-color" content="#fff">'
            b'<link rel="stylesheet" href="/static/a.css">'
            b'<link rel="stylesheet" href="/static/a.css"></head>'
            b'<body><input type="email" name="email" data-x="1"><div style="color: red">'
            b'</div><form method="post"><button>Go</button></form></body></html>')
    deep, _ = rewrite(monkeypatch, body, path="/news/a/")
    top, _ = rewrite(monkeypatch, body, path="/")
    deep_again, _ = rewrite(monkeypatch, body, path="/news/a/")
    assert deep.count('href="../../static/a.css"') == 2
    assert top.count('href="static/a.css"') == 2
    assert '<form method="post" action="https://give.example.net/news/a/">' in deep
    assert '<form method="post" action="https://give.example.net/">' in top
    for html in (deep, top):
        assert '<meta name="theme-color" content="#fff">' in html
        assert '<input type="email" name="email" data-x="1">' in html
        assert "'unsafe-hashes'" in html  # the style attribute's hash, on every page
    assert deep_again == deep
