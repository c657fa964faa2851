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


def pictures(html, opening):
    """(webp <source>, <img>) of each <picture> right after `opening`."""
    found = re.findall(re.escape(opening) + r"[^>]*>\s*<picture>(.*?)</picture>", html, re.S)
    return [(re.search(r'<source[^>]*type="image/webp"[^>]*>', p), re.search(r"<img[^>]*>", p))
            for p in found]


@pytest.mark.django_db
def test_article_lead_image_is_eager_and_the_rest_lazy_with_webp_and_jpeg(client, demo_site):
    html = client.get(ARTICLE).content.decode()
    [(source, lead)] = pictures(html, '<figure class="article__lead-image"')
    assert source and "srcset=" in source.group(0)
    lead = lead.group(0)
    assert 'fetchpriority="high"' in lead and 'loading="lazy"' not in lead
    assert "srcset=" in lead and ".jpg" in lead  # the fallback for browsers without WebP
    for name in ('<a class="card__image"', '<figure class="article__image"'):
        found = pictures(html, name)
        assert found, name
        for source, img in found:
            assert source and ".webp" in source.group(0)
            img = img.group(0)
            assert 'loading="lazy"' in img and "srcset=" in img and "sizes=" in img
