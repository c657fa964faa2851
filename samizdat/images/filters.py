"""One parsed Wagtail `Filter` per filter spec, shared by the whole process.

Wagtail's `{% picture %}` and `get_renditions` build a new `Filter` for every
look-up, and each new one parses its spec again (the operations hook, one
operation object per part). The parsed operations depend only on the spec
string, never on the image (focal point and size are read from the image at
each `get_cache_key`/`run`), so one shared `Filter` per spec is safe: a changed
focal point still gives a new focal point key and a new rendition.
"""

from wagtail.images.models import Filter

_MAX = 1000  # specs come from templates and signed URLs: a handful in practice
_filters = {}


def shared(filter):
    """The process's parsed Filter for `filter` (a spec or a plain Filter)."""
    if isinstance(filter, str):
        spec = filter
    elif type(filter) is Filter:
        spec = filter.spec
    else:
        return filter  # a subclass may carry its own behaviour
    found = _filters.get(spec)
    if found is None:
        if len(_filters) >= _MAX:
            _filters.clear()
        found = _filters.setdefault(spec, Filter(spec=spec))
    return found
