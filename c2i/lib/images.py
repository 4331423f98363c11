"""What an image file is, decided from its bytes, never from its name: the one
place that tells a PNG or a JPEG from anything else, for portfolio uploads
(`c2i.portfolio.filetypes`) and question images (the question bank).

Pure: imports nothing from Django; Pillow is imported only to decode.
"""

from __future__ import annotations

import io

# Each accepted kind (its key, as stored) and the bytes its files begin with.
SIGNATURES = (
    ("png", b"\x89PNG\r\n\x1a\n"),
    ("jpeg", b"\xff\xd8\xff"),
)
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG"}


def sniff(data: bytes) -> str | None:
    """The kind, "png" or "jpeg", from the file's first bytes; None for anything else."""
    for kind, signature in SIGNATURES:
        if data.startswith(signature):
            return kind
    return None


def decodes(data: bytes, kind: str) -> bool:
    """Whether Pillow reads `data` whole as an image of this kind."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != _PILLOW_FORMATS[kind]:
                return False
            image.verify()
    except Exception:  # Pillow raises many kinds on a broken file
        return False
    return True
