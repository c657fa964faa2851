"""Onion-Location: tell Tor Browser readers that an onion copy exists."""

from .mirrorlist import onion_url


class OnionLocationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        onion = onion_url()
        if onion and not request.get_host().split(":")[0].endswith(".onion"):
            response["Onion-Location"] = onion + request.get_full_path()
        return response
