"""The footer is rendered once per process, site and language ({% sitewide %}), and
still follows every change readers should see."""

import re

import pytest


def footer(response):
    return re.search(r'<footer class="site-footer">.*?</footer>', response.content.decode(),
                     re.DOTALL).group(0)


@pytest.mark.django_db
def test_each_language_keeps_its_own_footer(client, demo_site):
    english, russian = footer(client.get("/")), footer(client.get("/ru/"))
    assert 'href="/privacy/"' in english and 'href="/ru/privacy/"' in russian
    # Asked again in the other order, each language still gets its own.
    assert footer(client.get("/ru/news/")) == russian
    assert footer(client.get("/news/")) == english


@pytest.mark.django_db
def test_the_footer_follows_the_outlets_name_and_tagline_at_once(client, demo_site):
    from wagtail.models import Site

    from samizdat.news.models import OutletSettings

    before = footer(client.get("/news/"))
    outlet = OutletSettings.for_site(Site.objects.get(is_default_site=True))
    outlet.name = "The Renamed Ledger"
    outlet.tagline = "Read from anywhere"
    outlet.save()
    after = footer(client.get("/news/"))
    assert after != before
    assert "The Renamed Ledger — Read from anywhere" in after


@pytest.mark.django_db
def test_a_second_site_gets_its_own_footer(client, demo_site):
    from wagtail.models import Site

    from samizdat.news.models import OutletSettings

    default = Site.objects.get(is_default_site=True)
    other = Site.objects.create(hostname="other.example", port=80,
                                root_page=default.root_page, site_name="Other")
    outlet = OutletSettings.for_site(other)
    outlet.name = "The Other Outlet"
    outlet.save()
    assert "The Other Outlet" not in footer(client.get("/news/"))
    assert "The Other Outlet" in footer(client.get("/news/", HTTP_HOST="other.example"))
    assert "The Other Outlet" not in footer(client.get("/news/"))


def letters(html):
    """{(appeal id, heading)} of the letters under an article."""
    return set(re.findall(
        r'data-appeal="(\d+)" data-placement="letter".*?<p class="appeal__heading">(.*?)</p>',
        html, re.DOTALL))


@pytest.mark.django_db
def test_articles_with_different_letters_each_get_their_own_at_once(client, demo_site):
    """The letter is kept per set of appeals it shows: two sections with different
    letters, asked in turn, each keep theirs; edited copy shows on the next view."""
    from samizdat.appeals.demo import create_appeal, publish
    from samizdat.appeals.models import AppealVariant
    from samizdat.news.models import ArticlePage, SectionPage

    def variant(heading):
        return [{"key": "A", "heading_en": heading, "text_en": f"<p>{heading}</p>"}]

    general = create_appeal("Everyone", {"placement": "letter"}, variant("Dear everyone"))
    business = create_appeal("Business", {"placement": "letter", "priority": 10},
                             variant("Dear business readers"))
    business.include_sections.set([SectionPage.objects.get(slug="business",
                                                           locale__language_code="en")])
    publish(business)
    general_ids, business_ids = {str(general.pk)}, {str(business.pk)}
    elsewhere = "/news/river-port-strike-enters-third-week/"
    in_business = ArticlePage.objects.live().filter(
        url_path__startswith="/home/business/", locale__language_code="en").first().url
    for _round in range(2):
        assert {a for a, _h in letters(client.get(elsewhere).content.decode())} == general_ids
        assert business_ids <= {a for a, _h in letters(client.get(in_business).content.decode())}

    AppealVariant.objects.filter(appeal=general).update(heading_en="Dear reader, again")
    publish(general)
    html = client.get(elsewhere).content.decode()
    assert (str(general.pk), "Dear reader, again") in letters(html)
