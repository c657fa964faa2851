"""The shared filters and the export's rendition index still see every change:
a new rendition, a moved focal point, another process's rendition in the cache."""

import io

import pytest
from django.core.files.images import ImageFile
from django.template import Context, Template
from PIL import Image
from wagtail.images.models import Filter

from samizdat.images import bulk, filters
from samizdat.images.models import CustomImage, CustomRendition


def make_image(title="Barges"):
    out = io.BytesIO()
    Image.new("RGB", (480, 320), "#884422").save(out, format="JPEG")
    return CustomImage.objects.create(
        title=title, file=ImageFile(io.BytesIO(out.getvalue()), name="barges.jpg")
    )


def picture(image):
    template = Template("{% load wagtailimages_tags %}{% picture image fill-{120x80,60x40} %}")
    return template.render(Context({"image": image}))


def test_one_parsed_filter_per_spec():
    assert filters.shared("fill-120x80") is filters.shared(Filter("fill-120x80"))
    assert filters.shared("fill-120x80").operations is filters.shared("fill-120x80").operations


@pytest.mark.django_db
def test_a_moved_focal_point_gets_its_own_rendition_through_the_shared_filter():
    image = make_image()
    before = image.get_renditions("fill-120x80")["fill-120x80"]
    image.focal_point_x, image.focal_point_y = 400, 100
    image.focal_point_width, image.focal_point_height = 40, 40
    image.save()
    image = CustomImage.objects.get(pk=image.pk)
    after = image.get_renditions("fill-120x80")["fill-120x80"]
    assert after.focal_point_key != before.focal_point_key
    assert after.file.name != before.file.name
    assert after.file.name in picture(image)
    assert before.file.name not in picture(image)


@pytest.mark.django_db
def test_the_export_index_sees_new_renditions_and_moved_focal_points():
    image = make_image()
    first = image.get_renditions("fill-120x80")["fill-120x80"]
    with bulk.renditions_fetched_once():
        found = image.get_renditions("fill-120x80", "fill-60x40")
        assert found["fill-120x80"].pk == first.pk
        made = found["fill-60x40"]  # made inside: added to the index
        assert (
            CustomImage.objects.get(pk=image.pk).get_renditions("fill-60x40")["fill-60x40"].pk
            == made.pk
        )
        image.focal_point_x, image.focal_point_y = 400, 100
        image.focal_point_width, image.focal_point_height = 40, 40
        image.save()
        moved = image.get_renditions("fill-120x80")["fill-120x80"]
        assert moved.pk != first.pk
        assert moved.focal_point_key == Filter("fill-120x80").get_cache_key(image)
        assert moved.image is image
    assert CustomRendition.objects.filter(image=image).count() == 3


@pytest.mark.django_db
def test_a_rendition_from_the_cache_is_used_and_not_written_back(django_assert_num_queries):
    image = make_image()
    made = image.get_renditions("fill-120x80")["fill-120x80"]
    backend = CustomRendition.cache_backend
    writes = []
    real_set_many = backend.set_many
    backend.set_many = lambda data, *a, **k: writes.append(data) or real_set_many(data, *a, **k)
    try:
        fresh = CustomImage.objects.get(pk=image.pk)
        with django_assert_num_queries(0):
            again = fresh.get_renditions("fill-120x80")["fill-120x80"]
        assert again.pk == made.pk and again.image is fresh
        assert writes == []
        CustomRendition.objects.filter(pk=made.pk).delete()  # Wagtail drops the cache entry
        fresh = CustomImage.objects.get(pk=image.pk)
        remade = fresh.get_renditions("fill-120x80")["fill-120x80"]
        assert remade.pk != made.pk
    finally:
        del backend.set_many
