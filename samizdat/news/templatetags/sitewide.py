"""{% sitewide "name" key… %}…{% endsitewide %}: a stretch of a template that is the
same on every page of one site, in one language, for the same keys (the footer; the
letter under an article, for its appeals), rendered once per process and kept under
the loader's tokens (news/loader.py), so a setting, snippet or page saved anywhere
renders it afresh.

Only for markup that reads nothing of the page, the reader or the request beyond the
site, the active language and the keys given: no CSRF token, no user, no page fields.
"""

from django import template
from django.utils.translation import get_language

from ..loader import memo, site_for

register = template.Library()


class SitewideNode(template.Node):
    def __init__(self, name, keys, nodelist):
        self.name = name
        self.keys = keys
        self.nodelist = nodelist

    def render(self, context):
        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)
        site = site_for(request)
        key = (self.name, getattr(site, "pk", None), get_language(),
               *(value.resolve(context) for value in self.keys))
        return memo(request, "sitewide", key, lambda: self.nodelist.render(context),
                    limit=500)


@register.tag
def sitewide(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% sitewide %} needs a name")
    name = bits[1].strip("\"'")
    keys = [parser.compile_filter(bit) for bit in bits[2:]]
    nodelist = parser.parse(("endsitewide",))
    parser.delete_first_token()
    return SitewideNode(name, keys, nodelist)
