"""A lead picture's caption and alt text are the page's, in the page's language: a Russian
article never shows the image library's English text."""

import re

import pytest

from samizdat.news.models import ArticlePage

pytestmark = pytest.mark.django_db

SLUG = "river-port-strike-enters-third-week"
ENGLISH_CAPTION = "Idle cranes at the grain terminal."


def lead_figure(html):
    figure = html.split('class="article__lead-image"')[1].split("</figure>")[0]
    alt = re.search(r'<img [^>]*alt="([^"]*)"', figure).group(1)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S).group(1)
    return alt, caption


def test_russian_article_shows_its_own_caption_and_alt_text(client, demo_site):
    alt, caption = lead_figure(client.get(f"/ru/news/{SLUG}/").content.decode())
    assert caption.startswith("Краны на зерновом терминале стоят.")
    assert alt == "Неподвижные портовые краны над рекой"
    html = client.get(f"/ru/news/{SLUG}/").content.decode()
    assert ENGLISH_CAPTION not in html
    assert 'property="og:image:alt" content="Неподвижные портовые краны над рекой"' in html


def test_english_article_keeps_the_images_own_text(client, demo_site):
    alt, caption = lead_figure(client.get(f"/news/{SLUG}/").content.decode())
    assert caption.startswith(ENGLISH_CAPTION)
    assert alt == ENGLISH_CAPTION  # the demo image's description


def test_translation_without_its_own_text_shows_no_english(client, demo_site):
    page = ArticlePage.objects.get(slug=SLUG, locale__language_code="ru")
    page.lead_image_caption = page.lead_image_alt = ""
    page.save_revision().publish()
    html = client.get(f"/ru/news/{SLUG}/").content.decode()
    alt, caption = lead_figure(html)
    assert alt == ""
    assert ENGLISH_CAPTION not in html
    assert "Ledger photo desk" in caption  # the credit is a name: it stays


def test_page_text_overrides_the_image_in_the_main_language_too(client, demo_site):
    page = ArticlePage.objects.get(slug=SLUG, locale__language_code="en")
    page.lead_image_alt = "Four cranes, booms raised, over an empty quay"
    page.lead_image_caption = "The terminal on the twentieth day of the strike."
    page.save_revision().publish()
    alt, caption = lead_figure(client.get(f"/news/{SLUG}/").content.decode())
    assert alt == "Four cranes, booms raised, over an empty quay"
    assert caption.startswith("The terminal on the twentieth day of the strike.")


FIGURE_CAPTION = "Grain barges wait downstream."


def body_figure(html):
    figure = html.split('class="article__image"')[1].split("</figure>")[0]
    alt = re.search(r'<img [^>]*alt="([^"]*)"', figure).group(1)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S)
    return alt, caption.group(1) if caption else ""


def test_a_picture_in_the_text_follows_the_same_rule(client, demo_site):
    from wagtail.images import get_image_model

    alt, caption = body_figure(client.get(f"/news/{SLUG}/").content.decode())
    assert caption.startswith(FIGURE_CAPTION) and alt == FIGURE_CAPTION

    figure = get_image_model().objects.get(title="Barges at anchor below the port")
    page = ArticlePage.objects.get(slug=SLUG, locale__language_code="ru")
    page.body.append(("image", {"image": figure, "caption": "", "alt": ""}))
    page.save_revision().publish()
    html = client.get(f"/ru/news/{SLUG}/").content.decode()
    alt, caption = body_figure(html)
    assert alt == "" and FIGURE_CAPTION not in html

    page = ArticlePage.objects.get(pk=page.pk)
    page.body[-1].value["caption"] = "Баржи с зерном ждут ниже по течению."
    page.body[-1].value["alt"] = "Баржи на якоре ниже порта"
    page.save_revision().publish()
    alt, caption = body_figure(client.get(f"/ru/news/{SLUG}/").content.decode())
    assert caption.startswith("Баржи с зерном ждут ниже по течению.")
    assert alt == "Баржи на якоре ниже порта"
