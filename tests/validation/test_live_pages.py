"""Every page type of the live demo, in both languages, passes the Nu Html Checker with
no error and axe-core with no violation (issue: "every page valid")."""

import re

import pytest

from tests.validators import axe_violations, vnu_errors

pytestmark = pytest.mark.django_db(transaction=True)

HREF = re.compile(r'href="([^"#?]*)"')


@pytest.fixture
def demo(demo_site):
    """The demo as `make demo` shows it: news, the banner, inline ask and letter, and the
    newsletters (their sign-up form is in every page's footer)."""
    from django.apps import apps

    from samizdat.appeals.demo import ensure_demo_appeals

    ensure_demo_appeals()
    apps.get_app_config("newsletters").load_demo()
    return demo_site


def page_types(client):
    """{label: path}: home, a section, an article, a tag, an author, search, the support
    and mirror pages, the newsletters and their self-service pages, the safety advice and a
    missing page, in English and Russian."""
    from samizdat.news.models import ArticlePage, SectionPage

    paths = {}
    for code, prefix in (("en", "/"), ("ru", "/ru/")):
        article = ArticlePage.objects.live().filter(locale__language_code=code).first()
        section = SectionPage.objects.live().filter(locale__language_code=code).first()
        html = client.get(article.url).content.decode()
        links = HREF.findall(html)
        tag = next(link for link in links if "/tags/" in link)
        author = next(link for link in links if "/authors/" in link)
        paths.update({
            f"{code} home": prefix, f"{code} section": section.url,
            f"{code} article": article.url, f"{code} tag": tag, f"{code} author": author,
            f"{code} search": f"{prefix}search/?q=strike", f"{code} support": f"{prefix}support/",
            f"{code} mirrors": f"{prefix}mirrors/", f"{code} missing": f"{prefix}no-such-page/",
            f"{code} newsletters": f"{prefix}newsletters/",
            f"{code} manage newsletters": f"{prefix}newsletters/manage/",
            f"{code} newsletter link sent": f"{prefix}newsletters/manage/sent/",
            f"{code} support safety": f"{prefix}support/safety/",
        })
    return paths


def test_every_page_type_passes_the_nu_html_checker(client, demo):
    pages = {}
    for label, path in page_types(client).items():
        response = client.get(path)
        assert response.status_code in (200, 404), (label, path, response.status_code)
        pages[f"{label} {path}"] = response.content.decode()
    errors = vnu_errors(pages)
    assert errors == [], "\n".join(errors)


def test_every_page_type_has_no_axe_violation(browser, live_server, client, demo):
    """Every page type on a phone (390 px); home and an article also at 1280 px, where the
    layout differs most."""
    types = page_types(client)
    found = []
    for width, labels in ((390, list(types)), (1280, ["en home", "en article", "ru article"])):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        try:
            for label in labels:
                page.goto(live_server.url + types[label])
                found += [f"{width}px {label} {types[label]}: {v}" for v in axe_violations(page)]
        finally:
            context.close()
    assert found == [], "\n".join(found)
