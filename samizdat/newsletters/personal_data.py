"""Newsletter subscriptions, in a donor's data export and erasure (core/personal_data.py)."""

from samizdat.core.personal_data import PersonalData


class NewsletterSubscriptions(PersonalData):
    name = "newsletter_subscriptions"
    summary_name = "newsletter_subscriptions"

    def _rows(self, email_index):
        from .models import Subscription

        return (Subscription.objects.filter(subscriber__email_index=email_index)
                .select_related("newsletter").order_by("newsletter__name", "pk"))

    def export(self, email_index):
        return [{"newsletter": s.newsletter.name, "source": s.source,
                 "requested": s.requested.isoformat(),
                 "confirmed": s.confirmed.isoformat() if s.confirmed else None}
                for s in self._rows(email_index)]

    def count(self, email_index):
        return self._rows(email_index).count()

    def erase(self, email_index):
        from .models import Subscriber

        Subscriber.objects.filter(email_index=email_index).delete()

    def encrypted_fields(self):
        """Subscribers' addresses, and the Telegram bot tokens: encrypted with the same
        donor keys, so a rotation that left them behind would lose the channel once the
        old key is dropped."""
        from .models import Subscriber, TelegramChannel

        return [(Subscriber, Subscriber._meta.get_field("email")),
                (TelegramChannel, TelegramChannel._meta.get_field("token_ciphertext"))]
