"""'Manage my newsletters': the request form for a link, and saving the newsletters part
of the self-service page. The page itself and its sign-in are support's
(support/selfservice_views.py); a reader who is also a supporter has one page."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from samizdat.core.crypto import blind_index
from samizdat.support.api import (
    allow,
    client_key,
    email_for,
    send_manage_link,
    signed_in_index,
)

from . import selfservice
from .models import Newsletter


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)


class ChoicesForm(forms.Form):
    newsletters = forms.ModelMultipleChoiceField(queryset=Newsletter.objects.none(), required=False)
    paused = forms.BooleanField(required=False)
    language = forms.CharField(max_length=8)

    def __init__(self, *args, subscriber=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = selfservice.choices_for(subscriber)


def _noindex(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def manage(request):
    """Ask for a link. Whether the address gets a newsletter or not, the answer is the
    same page; the queued task (support's) decides, knowing only the blind index."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email_index = blind_index(form.cleaned_data["email"])
        if allow("newsletter-manage-address", email_index, 5, 3600) and allow(
            "newsletter-manage-client", client_key(request), 100, 3600
        ):
            send_manage_link.enqueue(email_index, get_language())
        return redirect("newsletters:manage_sent")
    return _noindex(
        render(
            request,
            "newsletters/selfservice/request.html",
            {"form": form},
            status=400 if form.errors else 200,
        )
    )


@never_cache
def manage_sent(request):
    return _noindex(render(request, "newsletters/selfservice/sent.html"))


@never_cache
@require_POST
def manage_save(request):
    """The form of the newsletters section on the self-service page."""
    email_index = signed_in_index(request.session)
    if email_index is None:
        messages.info(request, _("Your session has ended. Ask for a new link."))
        return redirect("newsletters:manage")
    subscriber = selfservice.subscriber_for(email_index)
    form = ChoicesForm(request.POST, subscriber=subscriber)
    target = reverse("support:manage_account") + "#newsletters"
    if not form.is_valid():
        messages.error(request, _("Choose from the newsletters listed. Nothing was changed."))
        return redirect(target)
    data = form.cleaned_data
    try:
        selfservice.update(
            email_index,
            list(data["newsletters"]),
            data["paused"],
            data["language"],
            address=email_for(email_index),
        )
    except selfservice.SelfServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your newsletter choices are saved."))
    return redirect(target)
