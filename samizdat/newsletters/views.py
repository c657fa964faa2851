"""Reader pages: the list of newsletters with a sign-up form, and the confirmation link.

The sign-up POST is CSRF-exempt on purpose: the footer form is on every cached
page and carries no token; a forged request can only ask for a confirmation
e-mail, which does nothing until its owner uses the link (double opt-in).
"""

from django.db import transaction
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from . import counts, subscribing
from .forms import SubscribeForm
from .models import Newsletter, Subscription
from .render import subscription_for


def _page(request, form, status=200, **extra):
    newsletters = Newsletter.objects.filter(active=True)
    return render(request, "newsletters/index.html",
                  {"form": form, "newsletters": newsletters, **extra}, status=status)


@csrf_exempt
def index(request):
    if request.method != "POST":
        return _page(request, SubscribeForm(initial={"source": "page"}))
    data = request.POST.copy()
    if data.get("source") == "footer" and "newsletters" not in data:
        # The footer form subscribes to the page language's first newsletter.
        footer = Newsletter.objects.filter(active=True, language=get_language()).first()
        if footer:
            data["newsletters"] = str(footer.pk)
    form = SubscribeForm(data)
    if not form.is_valid():
        return _page(request, form, status=400)
    if not subscribing.client_allowed(request):
        return _page(request, form, status=429, too_many=True)
    if not form.cleaned_data["website"]:
        subscribing.request_subscription(
            form.cleaned_data["email"], form.cleaned_data["newsletters"],
            form.cleaned_data["source"] or "page", get_language() or "en",
            request.build_absolute_uri("/"))
    # The same answer whatever happened (new, pending, subscribed, honeypot, limit).
    return render(request, "newsletters/check_inbox.html")


def confirm(request, token):
    """GET shows a button, POST confirms: link scanners that fetch mail links do not
    subscribe anyone."""
    if request.method == "POST":
        subscriber = subscribing.confirm(token)
        return render(request, "newsletters/confirmed.html", {"subscriber": subscriber},
                      status=200 if subscriber else 404)
    return render(request, "newsletters/confirm.html")


@csrf_exempt
def unsubscribe(request, token):
    """The link in every issue and its List-Unsubscribe header. A POST (the reader's
    button, or a mail client's one-click POST per RFC 8058) unsubscribes at once, with
    no CSRF token and no session; a GET only shows the button, so link scanners that
    fetch mail links unsubscribe no one."""
    pk = subscription_for(token)
    if pk is None:
        return render(request, "newsletters/unsubscribed.html", {"invalid": True},
                      status=404)
    if request.method == "POST":
        with transaction.atomic():
            subscription = Subscription.objects.filter(pk=pk).select_related(
                "subscriber").first()
            if subscription is not None:
                if subscription.confirmed is not None:
                    counts.add(counts.latest_issue_of([pk]), "unsubscribed")
                subscriber = subscription.subscriber
                subscription.delete()
                if not subscriber.subscriptions.exists():
                    subscriber.delete()
        return render(request, "newsletters/unsubscribed.html", {"done": True})
    subscription = Subscription.objects.filter(pk=pk).select_related("newsletter").first()
    return render(request, "newsletters/unsubscribed.html",
                  {"subscription": subscription, "gone": subscription is None})
