"""Two processes creating the same renditions end up linking the same stored files."""

import io
from unittest import mock

import pytest
from django.core.files.images import ImageFile
from PIL import Image

from samizdat.images.models import CustomImage, CustomRendition


def make_image():
    out = io.BytesIO()
    Image.new("RGB", (480, 320), "#884422").save(out, format="JPEG")
    return CustomImage.objects.create(
        title="Barges", file=ImageFile(io.BytesIO(out.getvalue()), name="barges.jpg"))


@pytest.mark.django_db
def test_losing_a_rendition_race_returns_the_stored_file_and_removes_the_orphan():
    image = make_image()
    other_process = CustomImage.objects.get(pk=image.pk)
    manager = CustomRendition.objects
    real_bulk_create = manager.bulk_create
    raced = []

    def bulk_create_after_another_process(objs, **kwargs):
        # The other process stores the same renditions between Wagtail's look-up for
        # existing ones and its insert: the window two export workers hit.
        if not raced:
            raced.append(True)
            other_process.get_renditions("width-120", "width-240")
        return real_bulk_create(objs, **kwargs)

    with mock.patch.object(manager, "bulk_create", bulk_create_after_another_process):
        mine = image.get_renditions("width-120", "width-240")

    assert raced
    stored = {r.filter_spec: r.file.name for r in CustomRendition.objects.filter(image=image)}
    assert {spec: r.file.name for spec, r in mine.items()} == stored
    storage = image.file.storage
    folder_files = storage.listdir("images")[1]
    assert sorted(f"images/{name}" for name in folder_files
                  if name.startswith("barges")) == sorted(stored.values())


@pytest.mark.django_db
def test_renditions_created_without_a_race_are_returned_as_created():
    image = make_image()
    created = image.get_renditions("width-120", "width-240")
    assert all(r.pk for r in created.values())
    assert {r.filter_spec for r in CustomRendition.objects.filter(image=image)} == {
        "width-120", "width-240"}
