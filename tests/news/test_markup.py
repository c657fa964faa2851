"""What the HTML of reader pages carries: valid <time> values and image loading hints."""

import re
from datetime import datetime

import pytest

ARTICLE = "/news/river-port-strike-enters-third-week/"
# HTML's "valid global date and time string", to the second (at most 3 decimals allowed).
HTML_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/news/", ARTICLE, "/ru" + ARTICLE])
def test_time_elements_carry_valid_datetimes_without_microseconds(client, demo_site, url):
    html = client.get(url).content.decode()
    times = re.findall(r'<time datetime="([^"]*)">([^<]*)</time>', html)
    assert times
    for value, text in times:
        assert HTML_DATETIME.match(value), value
        assert datetime.fromisoformat(value).microsecond == 0
        assert text.strip()  # never an empty element filled by script


@pytest.mark.django_db
def test_article_lead_image_is_eager_and_cards_are_lazy(client, demo_site):
    html = client.get(ARTICLE).content.decode()
    lead = re.search(r'<figure class="article__lead-image">\s*(<img[^>]*>)', html).group(1)
    assert 'fetchpriority="high"' in lead and 'loading="lazy"' not in lead
    assert "srcset=" in lead
    cards = re.findall(r'<a class="card__image"[^>]*>\s*(<img[^>]*>)', html)
    assert cards
    for img in cards:
        assert 'loading="lazy"' in img and "srcset=" in img and "sizes=" in img
