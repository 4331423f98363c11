"""Helpers shared by the portfolio tests: real files of each accepted type,
the form data of an evidence item, a demo candidate's portfolio and items
made through the service. (The `media` fixture, a folder of uploads for one
test, is in conftest.py.)"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from c2i.accounts.models import Membership, Role, User
from c2i.demo.portfolio import odt_file, pdf_file, png_chart
from c2i.enrolment.models import Candidate
from c2i.frameworks.models import Competency, Framework
from c2i.institutions.models import Institution
from c2i.portfolio import services
from c2i.portfolio.models import Evidence, Portfolio


def pdf_bytes(title: str = "Rapport") -> bytes:
    return pdf_file(title, "Test", ["Un paragraphe."])


def odt_bytes() -> bytes:
    return odt_file("Titre", ["Un paragraphe."])


def png_bytes() -> bytes:
    return png_chart("Graphique", ["a", "b"], [1, 2])


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="JPEG")
    return out.getvalue()


def ooxml_bytes(part: str = "word/document.xml", macros: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr(part, "<document/>")
        if macros:
            zf.writestr("word/vbaProject.bin", b"\x00\x01")
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("notes.txt", "bonjour")
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 54
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def codes(*values: str) -> list[Competency]:
    return list(Competency.objects.filter(domain__framework__code="C2i1", code__in=values))


def item_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "a",
        "title": "Exposé sur la veille",
        "context": "UE Recherche documentaire",
        "activity_date": "2026-03-02",
        "competencies": [c.pk for c in codes("D4.1", "D4.4")],
        "link": "",
        "reflection": "Ce que j'ai appris.",
    }
    data.update(overrides)
    return data


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


LINK = "https://www.example.org/expose"


def portfolio_of(demo: Any, username: str = "candidat-a1") -> Portfolio:
    """The C2i1 portfolio the demo gives that candidate."""
    return Portfolio.objects.get(candidate=demo.candidate(username), framework__code="C2i1")


def draft(**fields: Any) -> services.EvidenceDraft:
    """An item of kind (a) titled « Un exposé », citing D1.1; any field changed."""
    values: dict[str, Any] = {"kind": "a", "title": "Un exposé", "competencies": codes("D1.1"), **fields}
    return services.EvidenceDraft(**values)


def new_item(portfolio: Portfolio, files: Sequence[tuple[str, bytes]] = (), **fields: Any) -> Evidence:
    """An item the candidate adds through the service: `draft(**fields)`
    with these files (name, bytes). It needs a file or a link."""
    uploads = [services.Upload.from_bytes(name, data) for name, data in files]
    return services.create_evidence(portfolio, portfolio.candidate.user, draft(**fields), uploads)


def own_portfolio(candidate: Candidate, framework: str = "C2i1") -> Portfolio:
    """A persona's portfolio (tests/persona_support.py), opened through the service."""
    return services.open_portfolio(candidate, Framework.objects.get(code=framework), candidate.user)


def new_assessor(institution: Institution, first_name: str = "Aline", last_name: str = "Morel") -> User:
    """An assessor (enseignant-tuteur) of the institution who exists only in
    the test that makes them (username: the e-mail address)."""
    email = f"{first_name}.{last_name}@example.fr".lower()
    user = User.objects.create_user(email, email, "un-mot-de-passe-de-test", first_name=first_name, last_name=last_name)
    Membership.objects.create(user=user, role=Role.ASSESSOR, institution=institution)
    return user
