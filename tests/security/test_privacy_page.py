"""The /privacy/ page says who can see what, in both languages, without JS."""

import pytest


@pytest.mark.django_db
def test_privacy_page_names_every_party(client, demo_site):
    response = client.get("/privacy/")
    assert response.status_code == 200
    html = response.content.decode()
    for party in ("Our server", "A mirror", "The payment provider", "The e-mail sender"):
        assert party in html
    assert "<script" not in html.split("</article>")[0].split("<article")[1]
    assert not response.cookies


@pytest.mark.django_db
def test_privacy_page_is_served_in_russian(client, demo_site):
    response = client.get("/ru/privacy/")
    assert response.status_code == 200
    assert '<html lang="ru">' in response.content.decode()


@pytest.mark.django_db
def test_footer_links_to_the_privacy_page_of_the_current_language(client, demo_site):
    assert 'href="/privacy/"' in client.get("/").content.decode()
    assert 'href="/ru/privacy/"' in client.get("/ru/").content.decode()


@pytest.mark.django_db
def test_privacy_page_states_the_retention_periods_staff_set(client, demo_site):
    from samizdat.support.models import RetentionSettings

    retention = RetentionSettings.load()
    retention.one_off_months, retention.canceled_months, retention.pending_days = 18, 6, 3
    retention.save()
    html = " ".join(client.get("/privacy/").content.decode().split())
    assert "stored encrypted" in html
    assert "18 months after your last one-off gift" in html
    assert "6 months after your regular contribution ends" in html
    assert "deleted after 3 days" in html


@pytest.mark.django_db
def test_russian_privacy_page_states_the_retention_periods(client, demo_site):
    html = " ".join(client.get("/ru/privacy/").content.decode().split())
    assert "хранится в зашифрованном виде" in html and "через 13 мес." in html
