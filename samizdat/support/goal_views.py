"""funding.json: this month's progress, public and cacheable by anyone."""

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .goal import current_goal, progress_for, public_figures

CACHE_KEY = "support:funding.json"


def funding_seconds():
    return int(getattr(settings, "SUPPORT_FUNDING_CACHE_SECONDS", 300))


def funding_data():
    """The public figures, computed at most once per cache period."""
    data = cache.get(CACHE_KEY)
    if data is None:
        goal = current_goal()
        data = public_figures(progress_for(goal=goal), goal.display)
        data.pop("step", None)
        cache.set(CACHE_KEY, data, funding_seconds())
    return data


@require_safe
def funding_json(request):
    """No cookie, no session, no language: the same bytes for every reader."""
    response = JsonResponse(funding_data())
    patch_cache_control(response, public=True, max_age=funding_seconds())
    response["Access-Control-Allow-Origin"] = "*"  # mirrors on other origins may read it
    return response
