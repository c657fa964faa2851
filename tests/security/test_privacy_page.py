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
