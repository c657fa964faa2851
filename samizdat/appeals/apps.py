from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "samizdat.appeals"
    label = "appeals"
