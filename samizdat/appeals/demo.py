"""Demo appeals for `make demo`: a banner (A/B), an inline ask and a letter, en + ru.

Idempotent: appeals are found by name and left alone if they exist, so staff
edits to the demo copy survive a second `load_demo`.
"""

from django.db import transaction

from .models import Appeal, AppealVariant, Placement

BANNER_EN = (
    "<p>Since July 1, 2024, we have disabled all ads to improve your reading experience. "
    "This commitment costs us {goal} a month. Your support can help us fill the gap.</p>"
)
BANNER_RU = (
    "<p>С 1 июля 2024 года мы отключили всю рекламу, чтобы вам было удобнее читать. "
    "Это стоит нам {goal} в месяц. Ваша поддержка поможет закрыть разрыв.</p>"
)
LETTER_EN = (
    "<p>Dear readers,</p><p>{outlet} is blocked in the country most of our readers live in. "
    "We have no advertisers, no owners and no state money: we answer only to you.</p>"
    "<p>This month we need {goal} to keep reporting; readers have given {raised} so far. "
    "If you value what we do, please support us today — every gift, large or small, helps.</p>"
)
LETTER_RU = (
    "<p>Дорогие читатели,</p><p>{outlet} заблокирован в стране, где живет большинство из вас. "
    "У нас нет рекламодателей, владельцев и государственных денег: мы отвечаем только перед "
    "вами.</p><p>В этом месяце нам нужно {goal}; читатели уже собрали {raised}. Если вы цените "
    "нашу работу, поддержите нас сегодня — важен любой взнос.</p>"
)
INLINE_EN = (
    "<p>Our journalism is banned in Russia. We need your help to keep providing you "
    "with the truth.</p>"
)
INLINE_RU = (
    "<p>Нашу журналистику запретили в России. Нам нужна ваша помощь, чтобы и дальше "
    "говорить вам правду.</p>"
)

DEMO_APPEALS = [
    {
        "name": "Demo banner: ad-free costs",
        "fields": {"placement": Placement.BANNER, "priority": 10, "show_goal": True,
                   "max_views": 6, "per_days": 30},
        "variants": [
            {"key": "A", "weight": 1,
             "heading_en": "Enjoying ad-free content?", "text_en": BANNER_EN,
             "button_en": "Support us",
             "heading_ru": "Вам нравится читать без рекламы?", "text_ru": BANNER_RU,
             "button_ru": "Поддержать"},
            {"key": "B", "weight": 1,
             "heading_en": "No ads. No owners. Just readers.", "text_en": BANNER_EN,
             "button_en": "Support us",
             "heading_ru": "Без рекламы. Без владельцев. Только читатели.", "text_ru": BANNER_RU,
             "button_ru": "Поддержать"},
        ],
    },
    {
        "name": "Demo inline ask",
        "fields": {"placement": Placement.INLINE, "priority": 5, "after_paragraph": 2,
                   "max_views": 10, "per_days": 30},
        "variants": [
            {"key": "A", "weight": 1, "text_en": INLINE_EN, "button_en": "Support us",
             "text_ru": INLINE_RU, "button_ru": "Поддержать"},
        ],
    },
    {
        "name": "Demo letter",
        "fields": {"placement": Placement.LETTER, "priority": 5, "max_views": 0,
                   "remind_days": 30},
        "variants": [
            {"key": "A", "weight": 1, "text_en": LETTER_EN, "text_ru": LETTER_RU},
        ],
    },
]


def publish(appeal):
    revision = appeal.save_revision()
    revision.publish()
    appeal.refresh_from_db()
    return appeal


def create_appeal(name, fields, variants):
    appeal = Appeal(name=name, live=False, **fields)
    appeal.variants = [AppealVariant(**spec) for spec in variants]
    appeal.save()
    return publish(appeal)


@transaction.atomic
def ensure_demo_appeals():
    """The demo appeals, created and published once; returns them by name."""
    appeals = {}
    for spec in DEMO_APPEALS:
        appeal = Appeal.objects.filter(name=spec["name"]).first()
        if appeal is None:
            appeal = create_appeal(spec["name"], spec["fields"], spec["variants"])
        appeals[spec["name"]] = appeal
    return appeals
