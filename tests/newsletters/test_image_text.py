"""An issue shows an article's pictures with the page's own caption and alt text: a
Russian article in a Russian issue never carries the image library's English words."""

import pytest

from samizdat.news.models import ArticlePage
from samizdat.newsletters.render import article_parts

pytestmark = pytest.mark.django_db

SLUG = "river-port-strike-enters-third-week"
ENGLISH = "Idle cranes at the grain terminal."


def test_a_russian_article_in_an_issue_has_its_own_picture_text(demo_site):
    russian = ArticlePage.objects.get(slug=SLUG, locale__language_code="ru")
    html, text = article_parts(russian, "https://news.example")
    assert ENGLISH not in html and ENGLISH not in text
    assert 'alt="Неподвижные портовые краны над рекой"' in html
    assert "Краны на зерновом терминале стоят." in html

    english = ArticlePage.objects.get(slug=SLUG, locale__language_code="en")
    html, _text = article_parts(english, "https://news.example")
    assert f'alt="{ENGLISH}"' in html and "Grain barges wait downstream." in html
