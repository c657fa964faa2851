"""The dashboard in Chromium with scripts off: the date form works, the charts fit."""

import pytest
from django.conf import settings as django_settings

from samizdat.support.staff import FUNDRAISING
from tests.support.test_dashboard_figures import ledger  # noqa: F401
from tests.support.test_staff import login_verified, staff_user  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_dates_chosen_without_javascript(
    browser,
    live_server,
    client,
    staff_user,  # noqa: F811
    ledger,  # noqa: F811
    width,
):
    login_verified(client, staff_user("fina", [FUNDRAISING]))
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": width, "height": 900}
    )
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/fundraising/")
    page.fill("#id_start", "2025-02-01")
    page.fill("#id_end", "2025-02-28")
    # Wagtail's sidebar needs scripts to get out of the way; Enter submits the plain form.
    with page.expect_navigation():
        page.press("#id_end", "Enter")
    assert "start=2025-02-01" in page.url
    revenue = page.locator('[data-chart="chart-revenue"]')
    assert revenue.locator("rect.chart__bar").count() == 2
    # The chart fits the screen; its data table and its CSV button are there to use.
    box = revenue.bounding_box()
    assert box["width"] <= width
    assert page.locator('[data-table="revenue"] tbody tr').count() == 1
    assert page.get_by_role("link", name="Download CSV: Revenue by currency").count() == 1
    context.close()
