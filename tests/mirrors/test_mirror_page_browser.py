"""/mirrors/ on a phone: the signing key, the minisign command and onion addresses wrap
inside the column; the page used to scroll sideways at 390 px."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_mirror_page_does_not_scroll_sideways_on_a_phone(browser, live_server, demo_site,
                                                             signing_key, settings):
    from samizdat.mirrors.models import Mirror

    settings.ALLOWED_HOSTS = ["*"]
    Mirror.objects.create(url="http://" + "b" * 56 + ".onion/", kind="onion")
    Mirror.objects.create(url="https://gateway.example.org/ipfs/"
                          "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/",
                          kind="ipfs")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        for path in ("/mirrors/", "/ru/mirrors/"):
            page.goto(live_server.url + path)
            assert page.locator("pre.public-key").is_visible()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, f"{path} is {wide} px wide on a 390 px screen"
    finally:
        context.close()
