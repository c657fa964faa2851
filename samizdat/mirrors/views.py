"""Thin views: the mirrors page, mirrors.json with its signature, the public key."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .mirrorlist import active_mirrors, mirrors_json_bytes, valid_until
from .models import Mirror
from .signing import SigningError, configured_public_key, load_secret_key

PUBLIC_CACHE = {"public": True, "max_age": 300}


@require_safe
@cache_control(**PUBLIC_CACHE)
def mirror_list(request):
    mirrors = active_mirrors()
    public_key = configured_public_key()
    return render(request, "mirrors/mirror_list.html", {
        "web_mirrors": [m for m in mirrors if m.kind in (Mirror.Kind.HTTPS, Mirror.Kind.OTHER)],
        "onion_mirrors": [m for m in mirrors if m.kind == Mirror.Kind.ONION],
        "ipfs_mirrors": [m for m in mirrors if m.kind == Mirror.Kind.IPFS],
        "public_key": public_key,
        "valid_until": valid_until(),
    })


@require_safe
@cache_control(**PUBLIC_CACHE)
def mirrors_json(request):
    response = HttpResponse(mirrors_json_bytes(), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@cache_control(**PUBLIC_CACHE)
def mirrors_json_signature(request):
    try:
        key = load_secret_key()
    except SigningError as exc:
        raise Http404("no signing key configured") from exc
    data = mirrors_json_bytes()
    signature = key.sign(data, "samizdat mirrors.json", untrusted_comment=(
        f"signature from samizdat mirror key {key.public_key.id_hex}"))
    response = HttpResponse(signature, content_type="text/plain; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@cache_control(**PUBLIC_CACHE)
def public_key(request):
    key = configured_public_key()
    if key is None:
        raise Http404("no signing key configured")
    return HttpResponse(key.file_text(), content_type="text/plain; charset=utf-8")
