"""Pages outside Wagtail's tree still render when no Wagtail Site exists for the host.

Happens on a fresh install before a site is configured, behind a proxy that sends an
unexpected Host, and in tests that flush the database: the shared layout must not 500.
"""

import pytest
from wagtail.models import Site


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/support/", "/support/manage/", "/privacy/", "/mirrors/"])
def test_layout_renders_without_any_wagtail_site(client, path):
    Site.objects.all().delete()
    response = client.get(path)
    assert response.status_code == 200
    assert b"site-footer__name" in response.content
