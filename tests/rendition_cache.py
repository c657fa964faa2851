"""Rendition files drawn once per test run, not once per test.

Every page with a picture asks Wagtail for its renditions (WebP and JPEG, at three
widths): for the demo that is 532 files, and drawing them took most of an export's time
(40-100 s of a first export, against 10-15 s for the next one). Tests start from a fresh
database and MEDIA_ROOT, so each test that rendered the demo drew them all again.

The pixels of a rendition depend only on the original file, the filter and the focal
point, so the first drawing of each is kept (in a folder the xdist workers share) and
handed out again when the same original file asks for the same filter. Everything else
still happens as in production: the rendition row, the stored file and its name, the
race between processes creating the same renditions. The first drawing of any picture
goes through the real code (Wagtail's filter, then the metadata stripping), so tests of
renditions with their own pictures test the real thing.
"""

import hashlib
import os
import tempfile
import threading
from pathlib import Path

ENV = "SAMIZDAT_TEST_RENDITION_CACHE"


def make_folder(config):
    """The run's cache folder: made by the first process (the xdist controller, whose
    environment the workers inherit), removed by it at the end (see cleanup)."""
    if not os.environ.get(ENV):
        os.environ[ENV] = tempfile.mkdtemp(prefix="samizdat-renditions-")
        config._rendition_cache_owner = True


def cleanup(config):
    if getattr(config, "_rendition_cache_owner", False):
        import shutil

        shutil.rmtree(os.environ.pop(ENV), ignore_errors=True)


def install(monkeypatch):
    """Wrap CustomImage.generate_rendition_file with the run's cache."""
    from samizdat.images.models import CustomImage

    folder = Path(os.environ[ENV])
    real = CustomImage.generate_rendition_file

    def generate_rendition_file(image, filter, *, source=None):
        stem = os.path.splitext(os.path.basename(image.file.name))[0]
        if not image.file_hash or (
            source is None and not image.file.storage.exists(image.file.name)
        ):  # a lost original fails as it does in production
            return real(image, filter, source=source)
        key = "\n".join((image.file_hash, filter.spec, filter.get_cache_key(image)))
        entry = folder / hashlib.sha256(key.encode()).hexdigest()
        try:
            suffix, data = entry.read_bytes().split(b"\n", 1)
        except FileNotFoundError:
            generated = real(image, filter, source=source)
            generated.seek(0)
            data = generated.read()
            generated.seek(0)
            if generated.name.startswith(stem + "."):  # else Wagtail shortened the name
                # Wagtail draws renditions in threads: a file per thread, then renamed.
                partial = entry.with_suffix(f".{os.getpid()}-{threading.get_ident()}")
                partial.write_bytes(generated.name[len(stem) + 1 :].encode() + b"\n" + data)
                os.replace(partial, entry)
            return generated
        from django.core.files.base import ContentFile

        extension = suffix.decode()  # named as Wagtail names it, from this image's file
        return ContentFile(data, name=stem[: 59 - len(extension)] + "." + extension)

    monkeypatch.setattr(CustomImage, "generate_rendition_file", generate_rendition_file)
