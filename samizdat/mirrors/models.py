"""Mirrors the newsroom runs or knows of, with their lifecycle."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

ONION_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*[a-z2-7]{56}\.onion$")
CID = re.compile(r"^(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{20,})$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _split(url):
    parts = urlsplit(url.strip())
    if parts.username or parts.password:
        raise ValidationError(_("A mirror URL must not contain a user name or password."))
    if parts.query or parts.fragment:
        raise ValidationError(_("A mirror URL must not contain a query or fragment."))
    return parts


def validate_mirror_url(kind, url):
    """Raise ValidationError unless `url` is a plausible address for `kind`."""
    try:
        parts = _split(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValidationError(_("This is not a valid URL.")) from exc
    if kind == Mirror.Kind.HTTPS:
        if parts.scheme != "https":
            raise ValidationError(_("A web mirror must use https://."))
        if host.endswith(".onion"):
            raise ValidationError(_("Use the kind “onion” for .onion addresses."))
        if not HOSTNAME.match(host):
            raise ValidationError(_("Enter a public host name, such as https://mirror.example.org/."))
    elif kind == Mirror.Kind.ONION:
        if parts.scheme not in ("http", "https") or not ONION_HOST.match(host):
            raise ValidationError(
                _("An onion mirror is http://<56 characters>.onion/ (a v3 onion address).")
            )
    elif kind == Mirror.Kind.IPFS:
        if parts.scheme in ("ipfs", "ipns"):
            if parts.scheme == "ipfs" and not CID.match(parts.netloc):
                raise ValidationError(_("ipfs:// must be followed by a content identifier (CID)."))
            if parts.scheme == "ipns" and not parts.netloc:
                raise ValidationError(_("ipns:// must be followed by a name."))
        elif parts.scheme == "https":
            segments = [s for s in parts.path.split("/") if s]
            on_path = len(segments) >= 2 and segments[0] in ("ipfs", "ipns")
            on_subdomain = ".ipfs." in host or ".ipns." in host
            if not (on_path or on_subdomain) or not HOSTNAME.match(host):
                raise ValidationError(
                    _("Use ipfs://<CID>, or a gateway URL such as https://gateway/ipfs/<CID>/.")
                )
            if on_path and segments[0] == "ipfs" and not CID.match(segments[1]):
                raise ValidationError(_("The gateway URL does not hold a valid CID."))
        else:
            raise ValidationError(_("An IPFS mirror uses ipfs://, ipns:// or an https:// gateway."))
    else:
        if parts.scheme not in ("http", "https") or not host:
            raise ValidationError(_("Enter an http:// or https:// URL."))


class MirrorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Mirror.Status.ACTIVE)


class Mirror(models.Model):
    """A copy of the site at another address; only active ones are published."""

    class Kind(models.TextChoices):
        HTTPS = "https", _("Web (https)")
        ONION = "onion", _("Onion service (Tor)")
        IPFS = "ipfs", _("IPFS")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")
        RETIRED = "retired", _("Retired")

    url = models.CharField(_("URL"), max_length=500, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HTTPS)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    label = models.CharField(
        _("label"), max_length=120, blank=True, help_text=_("Shown to readers, e.g. “Mirror 2”")
    )
    note = models.TextField(_("internal note"), blank=True, help_text=_("Never published"))
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    blocked_at = models.DateTimeField(_("blocked since"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired since"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True,
                                           editable=False)
    last_check_result = models.CharField(_("last check"), max_length=300, blank=True,
                                         editable=False)

    objects = MirrorQuerySet.as_manager()

    panels = [
        FieldPanel("url"),
        FieldPanel("kind"),
        FieldPanel("label"),
        MultiFieldPanel(
            [FieldPanel("status"), FieldPanel("blocked_at"), FieldPanel("retired_at")],
            heading=_("Lifecycle"),
        ),
        FieldPanel("note"),
    ]

    class Meta:
        ordering = ["kind", "created_at", "pk"]
        verbose_name = _("mirror")
        verbose_name_plural = _("mirrors")

    def __str__(self):
        return self.label or self.url

    def clean(self):
        self.url = (self.url or "").strip()
        try:
            validate_mirror_url(self.kind, self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from exc

    def save(self, *args, **kwargs):
        """Keep the lifecycle dates in step with the status."""
        now = timezone.now()
        if self.status == self.Status.BLOCKED and self.blocked_at is None:
            self.blocked_at = now
        if self.status == self.Status.RETIRED and self.retired_at is None:
            self.retired_at = now
        if kwargs.get("update_fields") is None:
            self.updated_at = now
        super().save(*args, **kwargs)

    @property
    def base_url(self):
        """The URL with one trailing slash, for joining file paths."""
        return self.url.rstrip("/") + "/"

    @property
    def proto(self):
        """The protocol in the Bypass Censorship list format: "tor" for an onion, else the
        URL's scheme (an IPFS gateway is "https", so the extension offers it as a mirror)."""
        if self.kind == self.Kind.ONION:
            return "tor"
        return urlsplit(self.url).scheme or "https"

    @property
    def list_type(self):
        """The `type` in that format: the extension offers onions as "tor"/"eotk" only
        (its popup filters on them), IPFS copies are "ipfs", web mirrors "mirror"."""
        return {self.Kind.ONION: "eotk", self.Kind.IPFS: "ipfs"}.get(self.kind, "mirror")
