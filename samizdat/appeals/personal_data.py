"""Remind-me-later addresses, in a donor's data export and erasure (core/personal_data.py)."""

from samizdat.core.personal_data import PersonalData


class EmailReminders(PersonalData):
    name = "email_reminders"
    summary_name = "reminders"

    def _rows(self, email_index):
        from .models import EmailReminder

        return EmailReminder.objects.filter(email_index=email_index).order_by("send_on", "pk")

    def export(self, email_index):
        return [{"send_on": r.send_on.isoformat(), "language": r.language}
                for r in self._rows(email_index)]

    def count(self, email_index):
        return self._rows(email_index).count()

    def erase(self, email_index):
        self._rows(email_index).delete()

    def encrypted_fields(self):
        from .models import EmailReminder

        return [(EmailReminder, EmailReminder._meta.get_field("email"))]
