from django.apps import AppConfig


class MirrorsConfig(AppConfig):
    name = "samizdat.mirrors"
    label = "mirrors"
