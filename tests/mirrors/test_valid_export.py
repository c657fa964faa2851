"""The exported demo — what mirrors and the onion service serve — passes the Nu Html
Checker on every page and axe-core on each kind of page, in both languages."""

import pytest

from tests.validators import axe_violations, vnu_errors

from .conftest import serve

pytestmark = pytest.mark.django_db


def kinds(folder):
    """One exported page of each kind: the first page under each top-level folder (and
    under each folder of /ru/), plus both home pages."""
    chosen = {}
    for path in sorted(folder.rglob("index.html")):
        parts = path.relative_to(folder).parts
        key = parts[:2] if parts[0] == "ru" else parts[:1]
        chosen.setdefault(key, path.relative_to(folder).as_posix())
    return sorted(chosen.values())


def test_every_exported_page_passes_the_nu_html_checker(demo_export):
    folder, _key, _published = demo_export
    pages = {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
             for path in folder.rglob("*.html")}
    assert len(pages) > 20
    errors = vnu_errors(pages)
    assert errors == [], "\n".join(errors[:50])


def test_each_kind_of_exported_page_has_no_axe_violation(demo_export, browser):
    folder, _key, _published = demo_export
    context = browser.new_context(viewport={"width": 390, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = []
    try:
        with serve(folder) as base:
            for path in kinds(folder):
                page.goto(base + path.removesuffix("index.html"))
                found += [f"{path}: {v}" for v in axe_violations(page)]
    finally:
        context.close()
    assert found == [], "\n".join(found)
