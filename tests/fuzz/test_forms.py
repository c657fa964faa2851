"""Every public form, the self-service forms and the staff settings forms our code handles,
fuzzed: never a 500, and a refused submission changes no support or appeals row."""

import pytest
from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st

from .conftest import FUZZ, changed_tables, form, huge_text, table_state, value

pytestmark = pytest.mark.django_db

PROVIDERS = {
    "demo": {"BACKEND": "samizdat.support.providers.demo.DemoProvider",
             "OPTIONS": {"SECRET": "fuzz-demo-secret"}},
    "bank_transfer": {"BACKEND": "samizdat.support.providers.bank_transfer.BankTransferProvider"},
}


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = PROVIDERS


CONTRIBUTION = form(
    frequency=value("once", "monthly", "annual"),
    currency=value("USD", "EUR", "GBP", "usd", "JPY"),
    amount=value("5", "10", "25", "other", "2.50", "10000.01"),
    other_amount=value("7", "7.5", "1.999", "-5", "10001"),
    email=value("reader@example.org", "READER@EXAMPLE.ORG", "a@b", "@", "x" * 250 + "@e.org"),
    appeal=value("spring", "a" * 65),
    variant=value("b"),
    website=value(""),
    method=value("demo", "bank_transfer", "stripe", "DEMO"),
    attempt=value("x:y:z", "abc"),
)


@FUZZ
@given(data=CONTRIBUTION, language=st.sampled_from(["", "/ru"]))
def test_contribution_form(client, data, language):
    cache.clear()  # the card-testing limits would otherwise answer 429 after a while
    before = table_state()
    response = client.post(f"{language}/support/", data)
    assert response.status_code in {200, 302, 400, 429}, response.status_code
    if response.status_code != 302:  # only a real start may store a row
        assert changed_tables(before, table_state()) == []
    else:
        assert "/support/demo-checkout/" in response["Location"] or \
            "/support/bank-transfer/" in response["Location"]


@FUZZ
@given(params=form(frequency=value("once", "annual"), currency=value("GBP", "eur"),
                   amount=value("5", "75", "other"), appeal=value("spring"),
                   variant=value("b")))
def test_contribution_page_prefilled_by_the_letter_widget(client, params):
    """The end-of-article letter sends its choices to /support/ as GET parameters."""
    before = table_state()
    response = client.get("/support/", params)
    assert response.status_code == 200
    assert changed_tables(before, table_state()) == []


RAW_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
             "multipart/form-data", "application/json", "text/plain", ""]


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000),
                      st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      huge_text().map(str.encode)),
       content_type=st.sampled_from(RAW_TYPES),
       path=st.sampled_from(["/support/", "/support/manage/"]))
def test_raw_bodies_to_the_public_forms(client, body, content_type, path):
    before = table_state()
    response = client.generic("POST", path, body, content_type=content_type)
    assert response.status_code < 500, response.status_code
    if response.status_code != 302:
        assert changed_tables(before, table_state()) == []


@FUZZ
@given(email=value("known@example.org", "KNOWN@example.org", "nobody@example.org",
                   "unpaid@example.org"),
       language=st.sampled_from(["", "/ru"]))
def test_manage_my_support_link_request(client, email, language):
    from samizdat.support.crypto import blind_index
    from samizdat.support.models import Supporter

    if not Supporter.objects.exists():
        from tests.support.rows import make_gift

        make_gift("known@example.org")  # links go only to addresses whose money arrived
        Supporter.objects.create(email="unpaid@example.org")
    cache.clear()
    before = table_state()
    data = {} if email is None else {"email": email}
    response = client.post(f"{language}/support/manage/", data)
    assert response.status_code in {200, 302}
    changed = changed_tables(before, table_state())
    known = response.status_code == 302 and blind_index(email) == blind_index("known@example.org")
    assert changed == (["support.ManageLink"] if known else [])


@pytest.fixture
def signed_in_supporter(client):
    """A supporter with an active demo plan, signed in through a redeemed manage link."""
    from samizdat.support.crypto import blind_index
    from samizdat.support.models import ManageLink, Pledge, Supporter

    supporter = Supporter.objects.create(email="fuzz@example.org")
    pledge = Pledge.objects.create(provider="demo", supporter=supporter, amount_minor=500,
                                   currency="USD", frequency="monthly", status="active",
                                   subscription_ref="demo_sub_fuzz")
    _link, token = ManageLink.objects.issue(blind_index("fuzz@example.org"))
    response = client.post(f"/support/manage/link/{token}/")
    assert response["Location"] == "/support/manage/account/"
    return pledge


def _valid_change(pledge, data):
    from samizdat.support import selfservice

    if data.get("action") in {"pause", "resume"}:
        return True
    if data.get("action") != "change":
        return False
    try:
        selfservice.validate_change(pledge, data.get("amount", ""), data.get("frequency", ""))
    except (selfservice.SelfServiceError, TypeError, ValueError):
        return False
    return len(data.get("amount", "")) <= 20 and "\x00" not in data.get("amount", "")


@FUZZ
@given(data=form(action=value("change", "pause", "resume", "cancel"),
                 amount=value("7", "7.50", "0", "1"), frequency=value("monthly", "annual")))
def test_signed_in_change_form(client, signed_in_supporter, data):
    pledge = type(signed_in_supporter).objects.get(pk=signed_in_supporter.pk)
    before = table_state()
    response = client.post(f"/support/manage/pledges/{pledge.pk}/", data)
    assert response.status_code == 302
    if not _valid_change(pledge, data):
        assert changed_tables(before, table_state()) == []


@FUZZ
@given(reason=value("Too expensive", "x" * 500, "x" * 501))
def test_signed_in_cancel_form(client, signed_in_supporter, reason):
    from samizdat.support.models import Pledge

    pledge = Pledge.objects.create(provider="demo", supporter=signed_in_supporter.supporter,
                                   amount_minor=500, currency="USD", frequency="monthly",
                                   status="active", subscription_ref="demo_sub_cancel")
    before = table_state()
    data = {} if reason is None else {"reason": reason}
    response = client.post(f"/support/manage/pledges/{pledge.pk}/cancel/", data)
    assert response.status_code in {200, 302}
    if response.status_code == 200:  # refused: the form again, nothing changed
        assert changed_tables(before, table_state()) == []
    else:
        assert response["Location"] == "/support/manage/account/"
        assert Pledge.objects.get(pk=pledge.pk).status == "canceled"
    Pledge.objects.filter(pk=pledge.pk).update(subscription_ref="")


@FUZZ
@given(data=form(email=value("reader@example.org"), consent=value("on", "1", "true")),
       days=st.one_of(st.integers(min_value=0, max_value=400),
                      st.integers(min_value=10**6, max_value=10**40)))
def test_remind_me_later_by_email(client, data, days):
    from samizdat.appeals.models import AppealSettings

    prefs = AppealSettings.load()
    if not prefs.email_reminders:
        prefs.email_reminders = True
        prefs.save()
    before = table_state()
    response = client.post(f"/appeals/remind-me-by-email/{days}/", data)
    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert changed_tables(before, table_state()) == []


@FUZZ
@given(body=st.one_of(
    st.binary(max_size=700),
    st.fixed_dictionaries({"appeal": value("1", "99999999999999999999"),
                           "variant": value("A"), "kind": value("view", "click", "dismiss")})
    .map(lambda d: "&".join(f"{k}={v}" for k, v in d.items() if v is not None).encode(
        "utf-8", "surrogatepass")),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json",
                                  "text/plain", "application/json; charset=latin-1"]))
def test_appeal_counter_endpoint(client, body, content_type):
    before = table_state()
    response = client.generic("POST", "/appeals/event", body, content_type=content_type)
    assert response.status_code in {204, 400, 413, 415, 429}
    if response.status_code != 204:
        assert changed_tables(before, table_state()) == []


@pytest.fixture
def search_site(db):
    from samizdat.news.demo import build_demo_site

    build_demo_site()


@FUZZ
@given(q=value("river", "strike port", "\"unbalanced", "AND OR NOT", "*", "-"),
       page=value("1", "2", "999999999999"), language=st.sampled_from(["", "/ru"]))
def test_search(client, search_site, q, page, language):
    params = {k: v for k, v in {"q": q, "page": page}.items() if v is not None}
    before = table_state()
    response = client.get(f"{language}/search/", params)
    assert response.status_code in {200, 400, 404}
    assert changed_tables(before, table_state()) == []


@pytest.fixture
def staff_client(client, django_user_model):
    from samizdat.users.testing import login_with_second_factor

    user = django_user_model.objects.create_superuser(username="fuzz-staff", password="x")
    return login_with_second_factor(client, user)


@FUZZ
@given(data=form(
    default_currency=value("USD", "GBP"), default_currency_ru=value("EUR"),
    default_frequency=value("once", "monthly"), enabled_methods=value("demo", "demo, stripe"),
    under_attack=value("on"), bank_account_holder=value("Samizdat"), bank_name=value("Bank"),
    bank_iban=value("DE89 3704 0044 0532 0130 00"), bank_bic=value("COBADEFFXXX"),
    bank_instructions=value("Thanks"),
    currency=value("USD", "GBP"), frequency=value("once", "monthly"),
    amounts=value("3, 7, 15", "1, 2", "a, b"), default_amount=value("7"),
    minimum=value("3"), maximum=value("500", "-1"),
))
def test_staff_contribution_settings_form(staff_client, data):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    option = {k: data.pop(k) for k in ("currency", "frequency", "amounts", "default_amount",
                                       "minimum", "maximum") if k in data}
    post = {**data, "amount_options-TOTAL_FORMS": "1", "amount_options-INITIAL_FORMS": "0",
            "amount_options-MIN_NUM_FORMS": "0", "amount_options-MAX_NUM_FORMS": "1000",
            "amount_options-0-ORDER": "1", "amount_options-0-id": "",
            "amount_options-0-DELETE": "",
            **{f"amount_options-0-{k}": v for k, v in option.items()}}
    before = table_state()
    response = staff_client.post(f"/admin/settings/support/contributionsettings/{site.pk}/",
                                 post)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:  # the form again, with its errors
        assert changed_tables(before, table_state()) == []


@FUZZ
@given(data=form(currency=value("USD", "EUR", "usd"), monthly_cost=value("10000", "-5"),
                 display=value("exact", "rounded", "percent"),
                 rate_currency=value("EUR", "USD", "GBP"),
                 rate=value("0.9", "0", "1e-9", "123456789012.123456789")),
       rates=st.integers(min_value=0, max_value=2))
def test_staff_funding_goal_form(staff_client, data, rates):
    rate_currency, rate = data.pop("rate_currency", None), data.pop("rate", None)
    post = {**data, "rates-TOTAL_FORMS": str(rates), "rates-INITIAL_FORMS": "0",
            "rates-MIN_NUM_FORMS": "0", "rates-MAX_NUM_FORMS": "1000"}
    for n in range(rates):  # the same rate twice when there are two: a duplicate currency
        post.update({f"rates-{n}-currency": rate_currency or "", f"rates-{n}-rate": rate or "",
                     f"rates-{n}-ORDER": str(n + 1), f"rates-{n}-id": "",
                     f"rates-{n}-DELETE": ""})
    before = table_state()
    response = staff_client.post("/admin/settings/support/fundinggoal/", post)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert changed_tables(before, table_state()) == []
