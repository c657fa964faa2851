"""Remind me later without e-mail: a calendar file for the reminder date.

The file holds a date, the outlet's name and a link to the contribution
page: nothing about the reader. The same text is built in the browser by
appeals.js (so it works on a mirror); this server version serves readers
with JavaScript off and is cacheable, since it depends only on the day.
"""

import datetime


def ics_escape(value):
    return (
        str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r", "").replace("\n", "\\n")
    )


def reminder_ics(on_date, summary, url, host, today=None):
    """An RFC 5545 calendar with one all-day event on `on_date`."""
    today = today or datetime.date.today()
    day = on_date.strftime("%Y%m%d")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Samizdat//Appeals//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:reminder-{day}@{ics_escape(host)}",
        f"DTSTAMP:{today.strftime('%Y%m%d')}T000000Z",
        f"DTSTART;VALUE=DATE:{day}",
        f"DTEND;VALUE=DATE:{(on_date + datetime.timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{ics_escape(summary)}",
        f"DESCRIPTION:{ics_escape(url)}",
        f"URL:{ics_escape(url)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
