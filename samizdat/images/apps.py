from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "samizdat.images"
    label = "images"
