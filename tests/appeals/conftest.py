"""Fixtures for appeals: the demo site with its demo appeals, and appeal factories."""

import pytest

ARTICLE = "/news/river-port-strike-enters-third-week/"
ARTICLE_RU = "/ru/news/river-port-strike-enters-third-week/"


@pytest.fixture
def demo_appeals(demo_site):
    from samizdat.appeals.demo import ensure_demo_appeals

    return ensure_demo_appeals()


@pytest.fixture
def make_appeal(db):
    """Create and publish an appeal: make_appeal("banner", variants=[...], **fields)."""
    from samizdat.appeals.demo import create_appeal

    counter = {"n": 0}

    def make(placement, variants=None, name=None, **fields):
        counter["n"] += 1
        variants = variants or [{"key": "A", "heading_en": f"Ask {counter['n']}",
                                 "text_en": f"<p>Please give {counter['n']}</p>",
                                 "heading_ru": f"Просьба {counter['n']}",
                                 "text_ru": f"<p>Помогите {counter['n']}</p>"}]
        return create_appeal(name or f"Test appeal {counter['n']}",
                             {"placement": placement, **fields}, variants)

    return make


@pytest.fixture
def staff_client(client, django_user_model):
    """A client signed in as a superuser who passed the two-factor step."""
    from samizdat.users.testing import login_with_second_factor

    user = django_user_model.objects.create_superuser(username="fundraiser", password="x")
    return login_with_second_factor(client, user)


def section(slug, language="en"):
    from samizdat.news.models import SectionPage

    return SectionPage.objects.get(slug=slug, locale__language_code=language)


def article(slug="river-port-strike-enters-third-week", language="en"):
    from samizdat.news.models import ArticlePage

    return ArticlePage.objects.get(slug=slug, locale__language_code=language)
