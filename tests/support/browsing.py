"""What the donor-facing browser tests look at: CSP violations, hosts asked, the e-mailed
sign-in link."""

import re
from urllib.parse import urlsplit


def watch(page):
    """Collect the page's CSP violations and the hosts of all its requests."""
    violations, hosts = [], set()
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    return violations, hosts


def follow_manage_link(page, base_url, mailoutbox):
    """Open the last e-mailed 'manage my support' link and press its sign-in button;
    returns the link's path."""
    path = urlsplit(
        re.search(r"https?://\S+/support/manage/link/\S+/", mailoutbox[-1].body).group(0)
    ).path
    page.goto(f"{base_url}{path}")
    page.get_by_role("button", name="Continue to my support").click()
    return path
