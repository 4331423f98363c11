"""Files in object storage (issue 16): with the S3 backend chosen by
settings, portfolio files, issued documents and question images go to a
private bucket of an S3-compatible server (moto's, started by the tests on
127.0.0.1, tests/s3_server.py), come back byte for byte through the
access-checked views only, travel in the personal-data archive, go with an
erasure, and /sante/ sees the store."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.config import Config
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from c2i.assessment.models import Question
from c2i.credentials import services as credentials
from c2i.deliberation.models import Deliberation, OutcomeStatus
from c2i.enrolment.models import CandidateStatus, EnrolmentStatus
from c2i.portfolio import services
from c2i.portfolio.models import EvidenceFile, StoredFile
from c2i.privacy import services as privacy
from tests.credentials_support import ALL, enrolment_of, publish, set_outcome
from tests.persona_support import new_candidate, submitted_portfolio
from tests.portfolio_support import HTML, LINK, new_item, pdf_bytes, portfolio_of, upload
from tests.s3_server import S3Server, start_s3_server
from tests.test_assessment_bank import form_data

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with start_s3_server(bucket="c2i-fichiers", prefix="media") as server:
        yield server


@pytest.fixture
def bucket(demo: Any, s3: S3Server, settings: Any, tmp_path: Path) -> S3Server:
    """The default storage in the (emptied) bucket for one test; the demo is
    loaded before, so its own files stay on the local disk."""
    s3.empty()
    settings.STORAGES = s3.settings_override()
    settings.C2I_KEYS_DIR = tmp_path / "keys"
    settings.SITE_URL = "https://c2i.example.fr"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    return s3


def key(s3: S3Server, name: str | None) -> str:
    """The object key of a storage name (under the prefix)."""
    return f"{s3.prefix}/{name}"


def unsigned_get(url: str) -> int:
    """The HTTP status of a GET without credentials."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def uploaded_file(demo: Any, data: bytes, name: str = "rapport.pdf") -> EvidenceFile:
    """A file candidat-a1 adds to a new item of their portfolio through the page."""
    item = new_item(portfolio_of(demo), link=LINK)
    response = demo.client("candidat-a1").post(
        f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/", {"files": upload(name, data)}
    )
    assert response.status_code == 302
    return EvidenceFile.objects.select_related("blob").get(evidence=item)


class TestPortfolioFiles:
    def test_an_uploaded_file_lands_in_the_bucket_and_only_its_readers_get_it(self, demo, bucket) -> None:
        data = pdf_bytes("Rapport de stage")
        stored = uploaded_file(demo, data)
        object_key = key(bucket, stored.blob.storage_name)
        assert bucket.keys() == [object_key]
        assert bucket.read(object_key) == data

        download = demo.client("candidat-a1").get(f"/dossiers/fichiers/{stored.pk}/")
        assert download.status_code == 200
        assert download["Content-Length"] == str(len(data))
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
        assert b"".join(download.streaming_content) == data
        assert demo.client("tuteur-a").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 200
        # the same refusals as on the local disk: another candidate, another institution
        assert demo.client("candidat-b1").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 404
        assert demo.client("correspondant-b").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 404

    def test_a_large_file_is_streamed_from_the_store_and_zipped_in_the_copy(self, demo, bucket) -> None:
        data = pdf_bytes("Gros rapport") + b"\n%" + bytes(range(256)) * (3 * 1024 * 4)  # over 3 MB
        item = new_item(portfolio_of(demo), link=LINK)
        (stored,) = services.add_files(item, [services.Upload.from_bytes("gros.pdf", data)], None)
        with services.open_stored(stored.blob.storage_name) as body:  # the object's body, not a local copy
            assert not body.seekable()
        client = demo.client("candidat-a1")
        download = client.get(f"/dossiers/fichiers/{stored.pk}/")
        assert download["Content-Length"] == str(len(data))
        chunks = list(download.streaming_content)
        assert len(chunks) > 1 and b"".join(chunks) == data
        # the candidate's own copy of the portfolio reads the bucket too
        copy = client.get("/mon-espace/dossier/C2i1/export/")
        assert copy.status_code == 200
        with zipfile.ZipFile(io.BytesIO(b"".join(copy.streaming_content))) as zf:
            assert data in [zf.read(name) for name in zf.namelist() if name.endswith("gros.pdf")]

    def test_the_object_is_not_public(self, demo, bucket) -> None:
        stored = uploaded_file(demo, pdf_bytes())
        object_key = key(bucket, stored.blob.storage_name)
        # An unsigned GET of the object's address is refused (moto, like S3,
        # answers 403 for an object without a public ACL)...
        assert unsigned_get(f"{bucket.endpoint_url}/{bucket.bucket}/{object_key}") == 403
        # ...and neither the object nor the bucket grants anything to everyone.
        client = bucket.client()
        public = (
            "http://acs.amazonaws.com/groups/global/AllUsers",
            "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
        )
        for acl in (
            client.get_object_acl(Bucket=bucket.bucket, Key=object_key),
            client.get_bucket_acl(Bucket=bucket.bucket),
        ):
            assert all(grant["Grantee"].get("URI") not in public for grant in acl["Grants"])

    def test_a_refused_upload_leaves_nothing_in_the_bucket(self, demo, bucket) -> None:
        item = new_item(portfolio_of(demo), link=LINK)
        client = demo.client("candidat-a1")
        url = f"/mon-espace/dossier/C2i1/elements/{item.pk}/fichiers/"
        assert client.post(url, {"files": upload("page.pdf", HTML)}).status_code == 400
        assert client.post(url, {"files": [upload("bon.pdf", pdf_bytes()), upload("x.pdf", HTML)]}).status_code == 400
        assert bucket.keys() == []
        assert not EvidenceFile.objects.filter(evidence=item).exists()

    def test_a_removed_file_leaves_the_bucket(self, demo, bucket, django_capture_on_commit_callbacks) -> None:
        stored = uploaded_file(demo, pdf_bytes())
        with django_capture_on_commit_callbacks(execute=True):
            response = demo.client("candidat-a1").post(f"/mon-espace/dossier/C2i1/fichiers/{stored.pk}/supprimer/")
        assert response.status_code == 302
        assert bucket.keys() == []

    def test_with_signed_urls_the_view_checks_access_then_redirects(self, demo, bucket, settings) -> None:
        settings.STORAGES = bucket.settings_override(querystring_expire=1)
        settings.C2I_S3_SIGNED_URLS = True
        data = pdf_bytes("Synthèse")
        stored = uploaded_file(demo, data, name="Synthèse été.pdf")
        assert demo.client("candidat-b1").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 404  # no URL given

        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        response = demo.client("candidat-a1").get(f"/dossiers/fichiers/{stored.pk}/")
        assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
        url = response["Location"]
        assert url.startswith(f"{bucket.endpoint_url}/{bucket.bucket}/{key(bucket, stored.blob.storage_name)}?")
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert answer.read() == data
            assert answer.headers["Content-Type"] == "application/pdf"
            disposition = answer.headers["Content-Disposition"]
        assert (
            disposition.startswith("attachment;")
            and "filename*=UTF-8''Synth%C3%A8se%20%C3%A9t%C3%A9.pdf" in disposition
        )
        # The URL is signed and says it expires 1 s after it was made. moto
        # does not check the expiry (a real S3 store answers 403 after it):
        # what is checked here is what the store is told.
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Expires"] == ["1"] and query["X-Amz-Signature"][0]
        signed_at = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        assert before - dt.timedelta(seconds=1) <= signed_at <= dt.datetime.now(dt.UTC)
        # Without the signature, the same address is refused.
        assert unsigned_get(url.split("?")[0]) == 403

    def test_streaming_stays_the_default(self, demo, bucket, settings) -> None:
        settings.C2I_S3_SIGNED_URLS = False
        stored = uploaded_file(demo, pdf_bytes())
        assert demo.client("candidat-a1").get(f"/dossiers/fichiers/{stored.pk}/").status_code == 200


class TestDocumentsAndImages:
    def test_an_issued_document_is_in_the_bucket_and_downloads_whole(self, demo, bucket) -> None:
        enrolment = enrolment_of(demo, "candidat-a1")
        set_outcome(enrolment, OutcomeStatus.CERTIFIED, ALL)
        publish(enrolment.institution_session)
        _action, document = credentials.produce_document(enrolment, None, notify=False)
        assert document is not None
        object_key = key(bucket, document.pdf.name)
        listed = bucket.keys()
        assert object_key in listed
        pdf = bucket.read(object_key)
        assert pdf.startswith(b"%PDF")
        response = demo.client("candidat-a1").get(f"/documents/{document.pk}/pdf/")
        assert response.status_code == 200 and response.content == pdf
        assert demo.client("candidat-b1").get(f"/documents/{document.pk}/pdf/").status_code in (403, 404)

    def test_a_question_image_is_in_the_bucket_and_served_by_its_view(self, demo, bucket) -> None:
        client = demo.client("correspondant-a")
        picture = SimpleUploadedFile("schema.png", png_bytes(), content_type="image/png")
        assert client.post("/banque/questions/nouvelle/", form_data(image=picture)).status_code == 302
        question = Question.objects.latest("id")
        object_key = key(bucket, question.image.name)
        assert bucket.keys() == [object_key] and bucket.read(object_key) == png_bytes()
        served = client.get(f"/banque/questions/{question.pk}/image/")
        assert served.status_code == 200 and served.content == png_bytes()
        assert demo.client("correspondant-b").get(f"/banque/questions/{question.pk}/image/").status_code == 404


class TestPersonalData:
    def test_the_archive_reads_the_bucket_and_the_erasure_empties_it(
        self, demo, bucket, django_capture_on_commit_callbacks
    ) -> None:
        person = new_candidate(
            demo.institution_session("a"), status=CandidateStatus.STUDENT, first_names="Inès", last_name="Boyer"
        )
        enrolment = person.enrolments.get(status=EnrolmentStatus.ACTIVE)
        submitted_portfolio(enrolment)
        set_outcome(enrolment, OutcomeStatus.CERTIFIED, ALL)
        deliberation = publish(enrolment.institution_session)
        document = credentials.produce_document(enrolment, None, notify=False)[1]
        assert document is not None
        blobs = list(StoredFile.objects.filter(evidence_files__evidence__portfolio__candidate=person).distinct())
        listed = bucket.keys()
        assert blobs and all(key(bucket, b.storage_name) in listed for b in blobs)

        user = person.user
        assert user is not None
        response = demo.client(user.username).get("/mon-espace/donnees/archive.zip")
        assert response.status_code == 200
        zf = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        data = json.loads(zf.read("personal-data.json"))
        files = [f for p in data["portfolios"] for e in p["evidence"] for f in e["files"]]
        assert files
        for f in files:
            assert hashlib.sha256(zf.read(f["archive_path"])).hexdigest() == f["sha256"]
        (enrolment_data,) = data["enrolments"]
        assert zf.read(enrolment_data["documents"][0]["archive_path"]) == bucket.read(key(bucket, document.pdf.name))

        # past the appeal period, the erasure takes the portfolio's objects (the document stays)
        Deliberation.objects.filter(pk=deliberation.pk).update(published_at=timezone.now() - dt.timedelta(days=90))
        with django_capture_on_commit_callbacks(execute=True):
            privacy.erase(user, demo.user("admin"))
        assert bucket.keys() == [key(bucket, document.pdf.name)]


class TestHealth:
    def test_health_reports_the_store_and_503_when_it_is_gone(self, demo, bucket, client, settings) -> None:
        response = client.get("/sante/")
        assert response.status_code == 200 and response.json()["checks"]["storage"] == {"ok": True}
        with start_s3_server(bucket="c2i-arrete") as other:
            settings.STORAGES = other.settings_override(
                client_config=Config(
                    s3={"addressing_style": "path"}, connect_timeout=1, retries={"mode": "standard", "max_attempts": 1}
                )
            )
            assert client.get("/sante/").status_code == 200
            other.stop()
            response = client.get("/sante/")
        assert response.status_code == 503
        assert response.json()["checks"]["storage"]["ok"] is False
