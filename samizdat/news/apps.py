from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "samizdat.news"
    label = "news"
