"""Property-based fuzzing (hypothesis): no input gets a 500, and input that is refused
changes no row of the support and appeals tables.

Examples run inside one test function, so function-scoped fixtures (the database, the
client) are shared by all of a test's examples on purpose; the health check that warns
about that is switched off, and each example compares the tables before and after itself.
"""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the working tree
    # CI replays the same examples every run (a red build names a change, not luck);
    # locally each run explores new ones. SAMIZDAT_FUZZ_DERANDOMIZE=1 in .ci/run.
    derandomize=os.environ.get("SAMIZDAT_FUZZ_DERANDOMIZE") == "1",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

NASTY = ["", " ", "0", "-1", "-0", "1e999", "NaN", "inf", "0x10", "1_000", "５", "١٢", "12,50",
         "12.505", "99999999999999999999999", "\x00", "a\x00b", "<script>alert(1)</script>",
         "' OR 1=1 --", "%00", "../../etc/passwd", "\u202e", "😀", "Ω" * 300]


def huge_text():
    return st.builds(lambda char, n: char * n, st.sampled_from(["x", "9", "é", "😀", " "]),
                     st.integers(min_value=250, max_value=60_000))


def value(*valid):
    """A form value: missing (None), a sensible one, something nasty, any text, or huge."""
    options = [st.none(), st.sampled_from(NASTY), st.text(max_size=40), huge_text()]
    if valid:
        options.insert(1, st.sampled_from(list(valid)))
    return st.one_of(*options)


def form(**fields):
    """A dict strategy: each field drawn from its strategy, missing ones left out."""
    return st.fixed_dictionaries(fields).map(
        lambda data: {k: v for k, v in data.items() if v is not None})


def table_state():
    """Every row of every support and appeals model (small in these tests), comparable."""
    from django.apps import apps

    state = {}
    for label in ("support", "appeals"):
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.order_by("pk").values_list()
            state[model._meta.label] = [tuple(map(repr, row)) for row in rows]
    return state


def changed_tables(before, after):
    return sorted(name for name in before if before[name] != after.get(name))


@pytest.fixture(autouse=True)
def _fresh_cache_per_test():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _settings_rows(db):
    """Settings rows are made on first read, by any page: make them before the first
    snapshot, so only what a submission changes is compared."""
    from django.apps import apps
    from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    for label in ("support", "appeals"):
        for model in apps.get_app_config(label).get_models():
            if issubclass(model, BaseGenericSetting):
                model.load()
            elif issubclass(model, BaseSiteSetting) and site is not None:
                model.for_site(site)
