"""One place decides what a PNG or a JPEG is (`c2i.lib.images`): a portfolio
upload (`portfolio.filetypes.detect`) and a question's image
(`assessment.services.check_image`) agree on every sample; the question bank
also has Pillow decode the image, and says in French what is wrong."""

from __future__ import annotations

import pytest

from c2i.assessment import services
from c2i.lib import images
from c2i.lib.errors import DomainError
from c2i.portfolio import filetypes
from tests.portfolio_support import jpeg_bytes, png_bytes

BROKEN_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class TestImageTypes:
    @pytest.mark.parametrize(("data", "kind"), [(png_bytes(), "png"), (jpeg_bytes(), "jpeg")])
    def test_it_accepts_the_same_png_and_jpeg_everywhere(self, data: bytes, kind: str) -> None:
        assert images.sniff(data) == kind
        assert filetypes.detect(data, f"image.{kind}").key == kind
        assert services.check_image(data) == kind

    @pytest.mark.parametrize("data", [b"GIF89a pas du tout", b"%PDF-1.7\n", b"du texte"])
    def test_it_refuses_what_is_neither(self, data: bytes) -> None:
        assert images.sniff(data) is None
        with pytest.raises(DomainError) as refused:
            services.check_image(data)
        assert refused.value.code == "image_type"
        assert refused.value.message.startswith("L'image doit être un fichier PNG ou JPEG")

    def test_a_damaged_image_is_a_png_the_question_bank_cannot_decode(self) -> None:
        assert filetypes.detect(BROKEN_PNG, "schema.png") is filetypes.PNG  # a portfolio keeps the bytes as sent
        assert not images.decodes(BROKEN_PNG, "png")
        with pytest.raises(DomainError) as refused:
            services.check_image(BROKEN_PNG)
        assert (refused.value.code, refused.value.message) == ("image_broken", "Le fichier image est endommagé.")

    def test_an_empty_image_is_told_so(self) -> None:
        with pytest.raises(DomainError) as refused:
            services.check_image(b"")
        assert (refused.value.code, refused.value.message) == ("image_empty", "L'image est vide.")
