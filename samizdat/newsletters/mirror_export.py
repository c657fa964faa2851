"""The newsletter archive's URLs for the static export (samizdat.core.site_urls): the
export finds `urls` by name, so a mirror carries every sent issue and the feeds."""

from samizdat.core.site_urls import SiteUrls


class NewsletterUrls(SiteUrls):
    def export_urls(self):
        from .archive import archive_path, feed_paths, sent_issues
        from .models import Newsletter

        paths = []
        for newsletter in Newsletter.objects.order_by("pk"):
            paths.append(archive_path(newsletter))
            paths += feed_paths(newsletter)
            paths += [archive_path(newsletter, issue) for issue in sent_issues(newsletter)]
        return paths

    def sitemaps(self):
        """The archive's own sitemap (archive.ArchiveSitemap), named in robots.txt."""
        from django.urls import reverse

        return [reverse("newsletters_sitemap")]

    def server_only_urls(self):
        """Never on a mirror: the senders' webhooks (POSTs from a mail service) and the
        self-service pages, which e-mail a sign-in link and save choices on the server."""
        from anymail.urls import urlpatterns
        from django.conf import settings
        from django.urls import reverse
        from django.utils import translation

        from .root_urls import ANYMAIL_PREFIX

        paths = [f"/{ANYMAIL_PREFIX}{pattern.pattern}" for pattern in urlpatterns
                 if "<" not in str(pattern.pattern)]
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                paths += [reverse(f"newsletters:{name}")
                          for name in ("manage", "manage_sent", "manage_save")]
        return paths


urls = NewsletterUrls()
