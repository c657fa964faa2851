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
