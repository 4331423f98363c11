"""Portfolio files: the type is decided from the bytes, a refused file gets its
reason in French and leaves nothing behind (no row, no file on disk), sizes
are limited, downloads are attachments that the browser does not sniff."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from c2i.accounts.models import AuditEntry
from c2i.portfolio import filetypes, services
from c2i.portfolio.models import Evidence, EvidenceFile, StoredFile
from tests.portfolio_support import (
    ELF,
    HTML,
    LINK,
    MZ,
    item_data,
    jpeg_bytes,
    new_item,
    odt_bytes,
    ooxml_bytes,
    pdf_bytes,
    png_bytes,
    portfolio_of,
    stored_files,
    upload,
    zip_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def compressed_mimetype_odt() -> bytes:
    """An ODF whose first member is compressed: it could hide a decompression bomb."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text" + " " * 10_000)
    return out.getvalue()


class TestFileTypes:
    """Detection from the bytes alone (pure module)."""

    @pytest.mark.parametrize(
        ("name", "data", "key"),
        [
            ("r.pdf", pdf_bytes(), "pdf"),
            ("t.odt", odt_bytes(), "odt"),
            ("d.docx", ooxml_bytes("word/document.xml"), "docx"),
            ("c.xlsx", ooxml_bytes("xl/workbook.xml"), "xlsx"),
            ("p.pptx", ooxml_bytes("ppt/presentation.xml"), "pptx"),
            ("i.png", png_bytes(), "png"),
            ("i.jpg", jpeg_bytes(), "jpeg"),
            ("notes.txt", "Bonjour, été 2026\n".encode(), "text"),
            ("a.zip", zip_bytes(), "zip"),
            ("sans-extension", pdf_bytes(), "pdf"),
            ("rapport v1.2", pdf_bytes(), "pdf"),
        ],
        ids=lambda v: v if isinstance(v, str) else "",
    )
    def test_it_recognises_each_accepted_type(self, name: str, data: bytes, key: str) -> None:
        assert filetypes.detect(data, name).key == key

    @pytest.mark.parametrize(
        ("name", "data", "code"),
        [
            ("rapport.pdf", ELF, "executable"),
            ("rapport.pdf", MZ, "executable"),
            ("script.txt", b"#!/bin/sh\nrm -rf /\n", "executable"),
            ("rapport.pdf", HTML, "markup"),
            ("page.txt", b"  <html><body>x</body></html>", "markup"),
            ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "markup"),
            ("vide.pdf", b"", "empty"),
            ("photo.png", pdf_bytes(), "extension_mismatch"),
            ("rapport.exe", pdf_bytes(), "extension_unknown"),
            ("latin1.txt", "été".encode("latin-1"), "not_utf8"),
            ("nul.txt", b"abc\x00def", "binary"),
            ("ancien.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "binary"),
            ("macros.docx", ooxml_bytes(macros=True), "macros"),
            ("casse.zip", b"PK\x03\x04garbage", "corrupt_zip"),
            ("bombe.odt", compressed_mimetype_odt(), "odf_unsupported"),
        ],
        ids=lambda v: v if isinstance(v, str) else "",
    )
    def test_it_refuses_what_is_not_accepted(self, name: str, data: bytes, code: str) -> None:
        with pytest.raises(filetypes.Refused) as refusal:
            filetypes.detect(data, name)
        assert refusal.value.code == code

    @pytest.mark.parametrize(
        ("name", "code"),
        [("../../etc/passwd.pdf", "name_path"), ("dossier\\x.pdf", "name_path"), ("a\x07b.pdf", "name_control")],
    )
    def test_it_refuses_names_with_paths_or_control_characters(self, name: str, code: str) -> None:
        with pytest.raises(filetypes.Refused) as refusal:
            filetypes.check_name(name)
        assert refusal.value.code == code

    def test_it_refuses_the_right_to_left_override_trick(self) -> None:
        with pytest.raises(filetypes.Refused):
            filetypes.check_name("rapport\u202efdp.exe")

    def test_it_limits_the_length_and_keeps_the_extension(self) -> None:
        name = filetypes.check_name("x" * 300 + ".pdf")
        assert len(name) == filetypes.MAX_NAME_LENGTH and name.endswith(".pdf")

    def test_sanitise_name_strips_paths_and_controls(self) -> None:
        assert filetypes.sanitise_name("../../a\x00b\r\n.pdf") == "ab.pdf"


class TestUploadRefusals:
    """Through the item page: each refusal says why, in French, and stores nothing."""

    @pytest.mark.parametrize(
        ("name", "data", "reason"),
        [
            ("rapport.pdf", ELF, "programme exécutable"),
            ("rapport.pdf", MZ, "programme exécutable"),
            ("rapport.pdf", HTML, "page web"),
            ("vide.pdf", b"", "vide"),
            ("photo.png", pdf_bytes(), "se termine par .png"),
        ],
        ids=["elf", "mz", "html", "empty", "mismatch"],
    )
    def test_it_refuses_a_file_with_its_reason_and_stores_nothing(
        self, demo, media: Path, name: str, data: bytes, reason: str
    ) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        before = (StoredFile.objects.count(), EvidenceFile.objects.count(), AuditEntry.objects.count())
        response = demo.client("candidat-a1").post(
            f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/", {"files": upload(name, data)}
        )
        assert response.status_code == 400
        text = response.content.decode()
        assert f"« {name} » est refusé" in text and reason in text
        assert (StoredFile.objects.count(), EvidenceFile.objects.count(), AuditEntry.objects.count()) == before
        assert stored_files(media) == []

    def test_an_oversize_file_is_refused_before_it_is_read(self, demo, media: Path) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        with override_settings(C2I_MAX_FILE_BYTES=1000):
            response = demo.client("candidat-a1").post(
                f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/",
                {"files": upload("gros.pdf", pdf_bytes() + b"\n%" + b"x" * 2000)},
            )
        assert response.status_code == 400
        assert "plus que les 1000" in response.content.decode()
        assert not EvidenceFile.objects.filter(evidence=item).exists() and stored_files(media) == []

    def test_the_portfolio_limit_holds_across_files(self, demo, media: Path) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        data = pdf_bytes()
        with override_settings(C2I_MAX_PORTFOLIO_BYTES=item.portfolio.stored_bytes() + len(data) + 10):
            services.add_files(item, [services.Upload.from_bytes("un.pdf", data)], None)
            with pytest.raises(services.FileRefused) as error:
                services.add_files(item, [services.Upload.from_bytes("deux.pdf", data)], None)
        assert error.value.code == "portfolio_full" and "dépasserait" in error.value.message
        assert EvidenceFile.objects.filter(evidence=item).count() == 1 and len(stored_files(media)) == 1

    @pytest.mark.parametrize("name", ["../../etc/rapport.pdf", "..\\rapport.pdf", "rap\x1bport.pdf", "rap\nport.pdf"])
    def test_names_with_a_path_or_control_characters_are_refused(self, demo, media: Path, name: str) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        with pytest.raises(services.FileRefused) as error:
            services.add_files(item, [services.Upload.from_bytes(name, pdf_bytes())], demo.user("candidat-a1"))
        assert "est refusé" in error.value.message
        assert "chemin" in error.value.message or "caractères de contrôle" in error.value.message
        assert not EvidenceFile.objects.filter(evidence=item).exists() and stored_files(media) == []

    def test_over_http_a_path_in_the_name_never_reaches_the_disk(self, demo, media: Path) -> None:
        # Django's multipart parser keeps only the last component; the stored name is plain.
        item = new_item(portfolio_of(demo), link=LINK)
        demo.client("candidat-a1").post(
            f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/",
            {"files": upload("../../x/rapport.pdf", pdf_bytes())},
        )
        stored = EvidenceFile.objects.get(evidence=item)
        assert stored.original_name == "rapport.pdf"
        assert all(media in p.parents for p in stored_files(media))
        assert "rapport" not in stored.blob.storage_name

    def test_one_bad_file_among_several_stores_none(self, demo, media: Path) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        response = demo.client("candidat-a1").post(
            f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/",
            {"files": [upload("bon.pdf", pdf_bytes()), upload("mauvais.pdf", ELF)]},
        )
        assert response.status_code == 400
        assert not EvidenceFile.objects.filter(evidence=item).exists() and stored_files(media) == []

    def test_a_failure_after_writing_removes_the_written_file(self, demo, media: Path, monkeypatch) -> None:
        item = new_item(portfolio_of(demo), link=LINK)

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("database gone")

        monkeypatch.setattr(services, "audit", broken)
        with pytest.raises(RuntimeError):
            services.add_files(item, [services.Upload.from_bytes("rapport.pdf", pdf_bytes())], None)
        assert not EvidenceFile.objects.filter(evidence=item).exists()
        assert stored_files(media) == []

    def test_a_refused_file_at_creation_creates_no_item(self, demo, media: Path) -> None:
        count = Evidence.objects.count()
        response = demo.client("candidat-a1").post(
            "/mon-espace/dossier/C2i1/elements/ajouter/", {**item_data(), "files": [upload("x.pdf", HTML)]}
        )
        assert response.status_code == 400 and "page web" in response.content.decode()
        assert Evidence.objects.count() == count and stored_files(media) == []


class TestUploadAccepted:
    @pytest.mark.parametrize(
        ("name", "data", "content_type"),
        [
            ("rapport.pdf", pdf_bytes(), "application/pdf"),
            ("compte-rendu.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
        ],
        ids=["pdf", "odt"],
    )
    def test_a_valid_pdf_and_odt_are_stored_and_downloaded(
        self, demo, media: Path, name: str, data: bytes, content_type: str
    ) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        client = demo.client("candidat-a1")
        response = client.post(f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/", {"files": upload(name, data)})
        assert response.status_code == 302
        stored = EvidenceFile.objects.get(evidence=item)
        assert stored.original_name == name and stored.blob.size == len(data)
        assert (media / stored.blob.storage_name).read_bytes() == data
        assert AuditEntry.objects.filter(action="portfolio.file_add", object_id=str(stored.pk)).exists()
        download = client.get(f"/dossiers/fichiers/{stored.pk}/")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == data
        assert download["Content-Type"] == content_type
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Disposition"].startswith("attachment;")
        assert f"filename*=UTF-8''{name}" in download["Content-Disposition"]

    def test_the_download_name_keeps_accents_in_rfc_5987_form(self, demo, media: Path) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        (stored,) = services.add_files(item, [services.Upload.from_bytes("Synthèse « été ».pdf", pdf_bytes())], None)
        response = demo.client("candidat-a1").get(f"/dossiers/fichiers/{stored.pk}/")
        disposition = response["Content-Disposition"]
        assert 'filename="Synthese ete .pdf"' in disposition
        assert "filename*=UTF-8''Synth%C3%A8se%20%C2%AB%20%C3%A9t%C3%A9%20%C2%BB.pdf" in disposition

    def test_a_name_without_extension_gets_the_detected_one(self, demo, media: Path) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        (stored,) = services.add_files(item, [services.Upload.from_bytes("scan", png_bytes())], None)
        assert stored.original_name == "scan.png" and stored.blob.filetype == "png"

    def test_removing_a_file_deletes_its_bytes_when_nothing_else_refers_to_them(
        self, demo, media: Path, django_capture_on_commit_callbacks
    ) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        (stored,) = services.add_files(item, [services.Upload.from_bytes("a.pdf", pdf_bytes())], None)
        path = media / stored.blob.storage_name
        with django_capture_on_commit_callbacks(execute=True):
            response = demo.client("candidat-a1").post(f"/mon-espace/dossier/C2i1/fichiers/{stored.pk}/supprimer/")
        assert response.status_code == 302
        assert not EvidenceFile.objects.filter(pk=stored.pk).exists() and not path.exists()
        assert AuditEntry.objects.filter(action="portfolio.file_remove", object_id=str(stored.pk)).exists()

    def test_another_candidate_cannot_download_or_remove_it(self, demo, media: Path) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        (stored,) = services.add_files(item, [services.Upload.from_bytes("a.pdf", pdf_bytes())], None)
        other = demo.client("candidat-b1")
        assert other.get(f"/dossiers/fichiers/{stored.pk}/").status_code == 404
        assert other.post(f"/mon-espace/dossier/C2i1/fichiers/{stored.pk}/supprimer/").status_code == 404
        assert demo.client("correspondant-b").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 404
        assert demo.client("tuteur-a").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 200
        assert EvidenceFile.objects.filter(pk=stored.pk).exists()
