"""Removing EXIF, XMP, IPTC and comments from image files.

Staff of a persecuted newsroom must not publish where a photo was taken or
with which camera. Pillow re-encodes the pixels only, after turning them
upright by their EXIF orientation, so no metadata block survives.
"""

import io

from PIL import Image, ImageOps

SAVE_OPTIONS = {
    "JPEG": {"quality": 92, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90},
    "GIF": {},
}


def strip_metadata(data):
    """Return (bytes, format) of the same picture with no metadata at all.

    `data` is the file's bytes. Animated GIFs keep their frames; for them
    Pillow drops comments and application extensions on save.
    """
    with Image.open(io.BytesIO(data)) as image:
        fmt = image.format
        if fmt not in SAVE_OPTIONS:
            raise ValueError(f"Unsupported image format: {fmt}")
        if fmt == "GIF" and getattr(image, "is_animated", False):
            out = io.BytesIO()
            image.info.pop("comment", None)
            image.save(out, format="GIF", save_all=True)
            return out.getvalue(), fmt
        upright = ImageOps.exif_transpose(image)
        clean = upright.copy()
        keep = {k: v for k, v in image.info.items() if k in {"transparency", "dpi"}}
        clean.info = keep
        if fmt == "JPEG" and clean.mode not in {"RGB", "L", "CMYK"}:
            clean = clean.convert("RGB")
        out = io.BytesIO()
        clean.save(out, format=fmt, **SAVE_OPTIONS[fmt], **keep)
        return out.getvalue(), fmt
