"""Uploaded photos and their renditions carry no EXIF, XMP or IPTC metadata."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from samizdat.images.models import CustomImage

GPS_IFD = 0x8825


def jpeg_with_metadata():
    image = Image.new("RGB", (640, 480), "#336699")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    exif[0x013B] = "Secret Photographer"  # Artist
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>Secret Photographer</rdf:RDF></x:xmpmeta>'
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, xmp=xmp, comment=b"shot at the safe house")
    data = out.getvalue()
    assert b"SERIAL-0042" in data and b"safe house" in data  # the fixture really has metadata
    return data


def assert_clean(data):
    for secret in (b"SpyCam", b"SERIAL-0042", b"Secret Photographer", b"safe house", b"Exif"):
        assert secret not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert not stored.getexif()
        assert "xmp" not in stored.info and "exif" not in stored.info


@pytest.fixture
def editor_client(client, django_user_model):
    from samizdat.users.testing import login_with_second_factor

    user = django_user_model.objects.create_superuser("ed", "ed@example.org", "pw")
    return login_with_second_factor(client, user)


@pytest.mark.django_db
def test_uploaded_jpeg_is_stored_without_gps_or_camera_metadata(editor_client):
    upload = SimpleUploadedFile("photo.jpg", jpeg_with_metadata(), content_type="image/jpeg")
    response = editor_client.post(
        reverse("wagtailimages:add"),
        {"title": "Protest", "file": upload, "description": "Crowd", "credit": "Staff"},
    )
    assert response.status_code == 302
    image = CustomImage.objects.get(title="Protest")
    with image.file.open("rb") as f:
        assert_clean(f.read())
    assert image.file_size == image.file.size

    rendition = image.get_rendition("width-320")
    with rendition.file.open("rb") as f:
        assert_clean(f.read())


@pytest.mark.django_db
def test_upload_that_is_not_an_image_is_refused(editor_client):
    upload = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho not an image\n")
    response = editor_client.post(reverse("wagtailimages:add"), {"title": "Fake", "file": upload})
    assert response.status_code == 200
    assert "Upload a valid image" in str(response.context["form"].errors["file"])
    assert not CustomImage.objects.exists()


@pytest.mark.django_db
def test_decompression_bomb_is_refused(editor_client):
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, format="PNG", optimize=True)
    upload = SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")
    response = editor_client.post(reverse("wagtailimages:add"), {"title": "Bomb", "file": upload})
    assert response.status_code == 200
    assert "too many pixels" in str(response.context["form"].errors["file"])
    assert not CustomImage.objects.exists()
