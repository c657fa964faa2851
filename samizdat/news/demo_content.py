"""Demo copy written for this project: a fictional outlet in exile.

Every story, name and place here is invented for the demo.
"""

OUTLET = {
    "name": "The Northern Ledger",
    "tagline": "Independent news, funded by readers",
    "tagline_ru": "Независимые новости на деньги читателей",
    "legal_name": "Northern Ledger Media Foundation",
    "postal_address": "Postbus 1000, 1000 AA Amsterdam, Netherlands",
    "contact_email": "desk@northern-ledger.example",
}

SECTIONS = [
    {"slug": "news", "title": {"en": "News", "ru": "Новости"},
     "intro": {"en": "Reporting from home and abroad.", "ru": "Репортажи из страны и из-за рубежа."}},
    {"slug": "opinion", "title": {"en": "Opinion", "ru": "Мнения"},
     "intro": {"en": "Argument and analysis.", "ru": "Споры и аналитика."}},
    {"slug": "business", "title": {"en": "Business", "ru": "Экономика"},
     "intro": {"en": "Money, work and the state.", "ru": "Деньги, работа и государство."}},
    {"slug": "culture", "title": {"en": "Culture", "ru": "Культура"},
     "intro": {"en": "Books, stage, screen and song.", "ru": "Книги, театр, кино и музыка."}},
]

AUTHORS = [
    {"slug": "staff", "name": "Staff", "role": "Newsroom", "bio": "Reporting by our newsroom.",
     "bio_ru": "Материал редакции."},
    {"slug": "anna-weiss", "name": "Anna Weiss", "role": "Correspondent",
     "bio": "Covers courts and prisons.", "bio_ru": "Пишет о судах и тюрьмах."},
    {"slug": "k-north", "name": "K. North", "role": "Columnist", "is_pseudonym": True,
     "bio": "Writes under a pseudonym for safety.",
     "bio_ru": "Пишет под псевдонимом ради безопасности."},
]

ARTICLES = [
    {
        "slug": "river-port-strike-enters-third-week",
        "section": "news",
        "title": "River port strike enters its third week",
        "standfirst": "Dockers in a northern river port refuse to load grain barges until back pay arrives.",
        "authors": ["anna-weiss"],
        "tags": ["labour", "ports"],
        "image": {"title": "Cranes over the river port", "credit": "Ledger photo desk",
                  "caption": "Idle cranes at the grain terminal."},
        "subheading": "What the dockers want",
        "quote": "We loaded their grain for twenty years. Now we wait for our own wages.",
        "quote_by": "A crane operator",
        "body": [
            "The cranes at the grain terminal have not moved since the first Monday of the month.",
            "About four hundred dockers stopped work after three months without full pay.",
            "The port authority says the money is held up by the regional treasury.",
            "Barge captains anchored downstream say they can wait another week at most.",
            "Union organisers asked reporters not to publish their names.",
        ],
    },
    {
        "slug": "why-we-publish-from-abroad",
        "section": "opinion",
        "title": "Why we publish from abroad",
        "standfirst": "Our newsroom left the country. Our readers did not. A note on what that means.",
        "authors": ["k-north"],
        "tags": ["press freedom", "exile"],
        "image": {"title": "An empty newsroom desk", "credit": "K. North",
                  "caption": "The desk we left behind."},
        "body": [
            "Two years ago the last of our staff crossed the border with laptops and little else.",
            "We still write for the people at home, and most of our readers are still there.",
            "They reach us through mirrors, messengers and copies passed from hand to hand.",
            "Every one of those routes costs money, and our readers pay for it.",
        ],
    },
    {
        "slug": "river-port-strike-enters-third-week",
        "translation_of": "river-port-strike-enters-third-week",
        "language": "ru",
        "section": "news",
        "title": "Забастовка в речном порту идёт третью неделю",
        "standfirst": "Докеры северного речного порта отказываются грузить баржи с зерном, пока не получат долги по зарплате.",
        "authors": ["anna-weiss"],
        "tags": ["труд", "порты"],
        "image": {"title": "Cranes over the river port", "credit": "Ledger photo desk",
                  "caption": "Idle cranes at the grain terminal."},
        "body": [
            "Краны на зерновом терминале не двигаются с первого понедельника месяца.",
            "Около четырёхсот докеров прекратили работу после трёх месяцев без полной зарплаты.",
            "Администрация порта говорит, что деньги задерживает областное казначейство.",
        ],
    },
]
