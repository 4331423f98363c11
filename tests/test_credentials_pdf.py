"""Certificates and attestations as PDF (RULES.md R15): content, QR code, tagging (accessibility)."""

from __future__ import annotations

import ctypes
import io
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, IndirectObject

from c2i.credentials import pdf as pdf_module
from c2i.credentials.document import DocumentData, DomainLine
from c2i.credentials.pdf import LEGAL_BASIS, render_pdf
from c2i.lib.dates import french_date

URL = "https://c2i.example.fr/verifier/7KQ2H-XD94M-RC0W7"

DOMAINS = (
    DomainLine(
        "D1",
        "Travailler dans un environnement numérique évolutif",
        (("D1.1", "Organiser un espace de travail complexe"), ("D1.2", "Sécuriser son espace de travail")),
    ),
    DomainLine(
        "D2",
        "Être responsable à l'ère du numérique",
        (("D2.1", "Maîtriser son identité numérique privée, institutionnelle et professionnelle"),),
        carried_over_from="Printemps 2025",
    ),
    DomainLine("D4", "Rechercher l'information", (("D4.1", "Rechercher de l'information avec une démarche adaptée"),)),
)


def sample(**changes: object) -> DocumentData:
    data = DocumentData(
        kind="attestation",
        holder_name="Éloïse Dupont-Lefèvre",
        holder_birth_date=date(2004, 3, 1),
        framework_code="C2i1",
        framework_title="Certificat informatique et internet de l'enseignement supérieur de niveau 1",
        institution_name="Université de Franche-Comté",
        institution_town="Besançon",
        session_name="Session de juin 2026",
        jury_date=date(2026, 6, 12),
        issued_on=date(2026, 6, 15),
        validated_domains=DOMAINS,
        all_domains_count=5,
        verification_code="7KQ2H-XD94M-RC0W7",
        verification_url=URL,
    )
    return replace(data, **changes)


def long_certificate() -> DocumentData:
    """Enough competencies to need a second page."""
    domains = tuple(
        DomainLine(
            f"D{d}",
            f"Domaine numéro {d} du référentiel, à l'intitulé volontairement assez long",
            tuple(
                (f"D{d}.{c}", f"Compétence {c} du domaine {d} : concevoir, réaliser et évaluer une activité " * 2)
                for c in range(1, 7)
            ),
        )
        for d in range(1, 8)
    )
    return sample(kind="certificate", framework_code="C2i2e", validated_domains=domains, all_domains_count=7)


@cache
def rendered(name: str) -> bytes:
    data = {"attestation": sample(), "certificate": sample(kind="certificate"), "long": long_certificate()}[name]
    return render_pdf(data)


def reader(name: str) -> PdfReader:
    return PdfReader(io.BytesIO(rendered(name)))


def text_of(name: str) -> str:
    return "\n".join(page.extract_text() for page in reader(name).pages)


# -- content ----------------------------------------------------------------------------------------------------------


def test_attestation_text_in_reading_order() -> None:
    text = text_of("attestation")
    expected_in_order = [
        "Attestation de domaines validés",
        "Certificat informatique et internet de l'enseignement supérieur de niveau 1",
        "Titulaire : Éloïse Dupont-Lefèvre",
        "Date de naissance : 1er mars 2004",
        "Établissement : Université de Franche-Comté (Besançon)",
        "Session : Session de juin 2026",
        "Date du jury : 12 juin 2026",
        "Code de vérification",
        "7KQ2H-XD94M-RC0W7",
        "Domaines validés",
        "3 domaines validés sur 5",
        "D1 Travailler dans un environnement numérique évolutif",
        "D1.1 Organiser un espace de travail complexe",
        "D2 Être responsable à l'ère du numérique",
        "Domaine acquis lors de la session « Printemps 2025 » (report)",
        "D4 Rechercher l'information",
        "Fait à Besançon, le 15 juin 2026.",
        URL,
        LEGAL_BASIS,
    ]
    position = 0
    for fragment in expected_in_order:
        found = text.find(fragment, position)
        assert found >= 0, f"{fragment!r} missing or out of order in:\n{text}"
        position = found + len(fragment)


def test_certificate_title_and_codes() -> None:
    text = text_of("certificate")
    assert "Certificat informatique et internet — C2i1" in text
    assert "le certificat informatique et internet C2i1" in text.replace("\n", " ")
    assert "domaines validés sur" not in text  # the count is the attestation's
    for code in ("D1", "D2", "D4", "D1.1", "D1.2", "D2.1", "D4.1", "7KQ2H-XD94M-RC0W7", "Éloïse Dupont-Lefèvre"):
        assert code in text


def test_rectification_names_the_replaced_code() -> None:
    pdf = render_pdf(sample(replaces_code="3M9TA-QW2XE-F4C7K"))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "annule et remplace le document de code de vérification 3M9TA-QW2XE-F4C7K" in text.replace("\n", " ")


def test_singular_and_no_domain() -> None:
    assert sample(validated_domains=DOMAINS[:1]).domains_summary == "1 domaine validé sur 5"
    assert sample(validated_domains=()).domains_summary == "0 domaine validé sur 5"
    text = PdfReader(io.BytesIO(render_pdf(sample(validated_domains=())))).pages[0].extract_text()
    assert "Aucun domaine validé." in text


def test_document_data_is_checked() -> None:
    with pytest.raises(ValueError):
        sample(kind="diplome")
    with pytest.raises(ValueError):
        sample(all_domains_count=2)
    assert french_date(date(2011, 6, 9)) == "9 juin 2011"
    assert french_date(date(2026, 8, 1)) == "1er août 2026"


def test_long_document_takes_two_pages_and_keeps_everything() -> None:
    r = reader("long")
    assert len(r.pages) == 2
    text = text_of("long")
    for d in range(1, 8):
        for c in range(1, 7):
            assert f"D{d}.{c} " in text
    assert "Page 1 sur 2" in text and "Page 2 sur 2" in text
    assert LEGAL_BASIS in r.pages[-1].extract_text()


# -- QR code ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["attestation", "certificate", "long"])
def test_qr_code_on_page_one_decodes_to_the_verification_url(name: str) -> None:
    page = pdfium.PdfDocument(rendered(name))[0]
    image = page.render(scale=150 / 72).to_pil()
    found = [(b.text, b.format) for b in zxingcpp.read_barcodes(image)]
    assert found == [(URL, zxingcpp.BarcodeFormat.QRCode)]


# -- tagging ----------------------------------------------------------------------------------------------------------


def resolve(obj: object) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def struct_elements(root: Any) -> list[Any]:
    """Every structure element, in document (pre-)order."""
    out: list[Any] = []

    def walk(elem: Any) -> None:
        out.append(elem)
        kids = resolve(elem.get("/K", []))
        kids = kids if isinstance(kids, ArrayObject) else [kids]
        for kid in kids:
            kid = resolve(kid)
            if isinstance(kid, DictionaryObject) and kid.get("/Type") == "/StructElem":
                walk(kid)

    walk(resolve(root["/K"]))
    return out


@pytest.mark.parametrize("name", ["attestation", "long"])
def test_catalog_and_pages_carry_the_tagging_entries(name: str) -> None:
    r = reader(name)
    catalog: Any = r.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert catalog["/Lang"] == "fr-FR"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    title = (
        "Attestation de domaines validés" if name == "attestation" else "Certificat informatique et internet — C2i2e"
    )
    assert r.metadata is not None and r.metadata.title == title
    assert r.xmp_metadata is not None and r.xmp_metadata.dc_title == {"x-default": title}
    tree = catalog["/StructTreeRoot"]
    assert tree["/Type"] == "/StructTreeRoot"
    assert tree["/ParentTreeNextKey"] == len(r.pages)
    for index, page in enumerate(r.pages):
        assert page["/StructParents"] == index
        assert page["/Tabs"] == "/S"


def test_structure_tree_has_the_expected_elements() -> None:
    r = reader("attestation")
    catalog: Any = r.trailer["/Root"]
    elements = struct_elements(catalog["/StructTreeRoot"])
    tags = [e["/S"] for e in elements]
    assert tags[0] == "/Document" and tags[1] == "/H1"
    assert {"/P", "/H2", "/L", "/LI", "/Lbl", "/LBody", "/Figure"} <= set(tags)
    # 3 domains and 4 competencies: 7 list items, in 1 + 3 lists
    assert tags.count("/LI") == 7 and tags.count("/L") == 4
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert len(figures) == 1 and URL in figures[0]["/Alt"]
    assert figures[0]["/A"]["/O"] == "/Layout" and len(figures[0]["/A"]["/BBox"]) == 4
    # every element points to its parent
    for elem in elements[1:]:
        assert resolve(elem["/P"])["/Type"] == "/StructElem"


def marks(page: pdfium.PdfPage) -> list[tuple[int, str, int]]:
    """(object type, first mark name, MCID) of every page object, as pdfium reads the content stream."""
    out = []
    for obj in page.get_objects():
        count = pdfium_c.FPDFPageObj_CountMarks(obj.raw)
        name = ""
        if count:
            mark = pdfium_c.FPDFPageObj_GetMark(obj.raw, 0)
            length = ctypes.c_ulong()
            pdfium_c.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(length))
            buffer = (ctypes.c_ushort * (length.value // 2))()
            pdfium_c.FPDFPageObjMark_GetName(mark, buffer, length.value, ctypes.byref(length))
            name = bytes(buffer)[: length.value - 2].decode("utf-16-le")
        out.append((obj.type, name, pdfium_c.FPDFPageObj_GetMarkedContentID(obj.raw)))
    return out


@pytest.mark.parametrize("name", ["attestation", "long"])
def test_every_page_object_is_tagged_or_an_artifact_and_the_parent_tree_matches(name: str) -> None:
    r = reader(name)
    catalog: Any = r.trailer["/Root"]
    parent_tree = resolve(catalog["/StructTreeRoot"]["/ParentTree"])
    nums = parent_tree["/Nums"]
    by_page = {nums[i]: resolve(nums[i + 1]) for i in range(0, len(nums), 2)}
    document = pdfium.PdfDocument(rendered(name))
    for index, page in enumerate(document):
        seen = marks(page)
        assert seen, "empty page"
        for _type, mark, mcid in seen:
            assert mark, "page object outside any marked content"
            if mark == "Artifact":
                assert mcid == -1
                continue
            elem = resolve(by_page[index][mcid])
            assert elem["/S"] == f"/{mark}"
        used = {mcid for _t, mark, mcid in seen if mark != "Artifact"}
        assert used == set(range(len(by_page[index])))


def test_pdfium_reads_the_structure_tree() -> None:
    document = pdfium.PdfDocument(rendered("attestation"))
    assert pdfium_c.FPDFCatalog_IsTagged(document.raw)
    page = document[0]  # kept alive while the tree is read
    tree = pdfium_c.FPDF_StructTree_GetForPage(page.raw)
    try:
        assert pdfium_c.FPDF_StructTree_CountChildren(tree) == 1
        root = pdfium_c.FPDF_StructTree_GetChildAtIndex(tree, 0)

        def element_type(elem: object) -> str:
            size = pdfium_c.FPDF_StructElement_GetType(elem, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pdfium_c.FPDF_StructElement_GetType(elem, buffer, size)
            return buffer.raw[: size - 2].decode("utf-16-le")

        assert element_type(root) == "Document"
        first = pdfium_c.FPDF_StructElement_GetChildAtIndex(root, 0)
        assert element_type(first) == "H1"
    finally:
        pdfium_c.FPDF_StructTree_Close(tree)


def test_fonts_are_embedded_with_unicode_maps() -> None:
    r = reader("long")
    fonts: dict[str, Any] = {}
    for page in r.pages:
        resources: Any = page["/Resources"]
        for name, ref in resources["/Font"].items():
            fonts[name] = resolve(ref)
    assert fonts
    for font in fonts.values():
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in resolve(font["/FontDescriptor"])
        assert "/ToUnicode" in font


def test_falls_back_to_reportlab_fonts_without_dejavu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pdf_module, "DEJAVU_DIR", tmp_path)
    monkeypatch.setattr(pdf_module, "_fonts", None)
    data = render_pdf(sample())
    r = PdfReader(io.BytesIO(data))
    text = r.pages[0].extract_text()
    assert "Titulaire : Éloïse Dupont-Lefèvre" in text and "Être responsable à l'ère du numérique" in text
    resources: Any = r.pages[0]["/Resources"]
    assert all("Vera" in resolve(font)["/BaseFont"] for font in resources["/Font"].values())
