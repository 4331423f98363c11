"""Certificates and attestations as accessible PDF (RULES.md R15). Pure: no Django import.

`render_pdf(data)` returns an A4 PDF, one page (two or more when the list of
domains is long), in French, drawn with ReportLab's canvas (about ten times
faster than an HTML-to-PDF engine, see BENCHMARKS.md).

Accessibility: ReportLab's open-source canvas does not write a structure tree,
so this module does it itself, in two passes:

1. Layout: the text is wrapped and placed into pages as drawing operations,
   each one belonging to a structure element (`_Elem`: Document, H1, H2, P, L,
   LI, Lbl, LBody, Figure) or marked as an artifact (decoration, page numbers).
2. Drawing: on each page, consecutive operations of the same element become one
   marked-content sequence ``/P <</MCID n>> BDC … EMC`` (artifacts:
   ``/Artifact BMC … EMC``); then the structure elements, the ParentTree
   (page → MCID → element), /StructTreeRoot, /MarkInfo, /Lang, /StructParents
   and /Tabs /S on each page, the XMP title and /DisplayDocTitle are added as
   ReportLab `pdfdoc` objects.

The content stream is written in reading order, so text extraction follows it;
the fonts (DejaVu Sans, or ReportLab's bundled Vera when DejaVu is missing) are
embedded as subsets with a ToUnicode map, so accents extract correctly. The QR
code encodes the verification URL and is drawn as vector rectangles (a Figure
with an alternative text).

Cached across documents: the font registration and the measures derived from it.
"""

from __future__ import annotations

import functools
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from c2i.credentials.document import DocumentData
from c2i.lib.dates import french_date

LEGAL_BASIS = "Circulaire n° 2011-0012 du 9-6-2011"
LANG = "fr-FR"
CREATOR = "Plateforme C2i"

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP = PAGE_HEIGHT - MARGIN
BOTTOM = MARGIN + 18  # room for the page number

INK = (0.086, 0.086, 0.086)  # #161616 (DSFR text)
BLUE = (0.0, 0.0, 0.569)  # #000091 (bleu France)
GREY = (0.33, 0.33, 0.33)
RULE = (0.8, 0.8, 0.86)
BLACK = (0.0, 0.0, 0.0)

QR_SIDE = 96.0  # points, quiet zone included (~34 mm)
SIDE_COLUMN = 176.0  # the QR code and the verification code, right of the introduction
GUTTER = 14.0


# -- fonts ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    code: str  # the verification code


_fonts: _Fonts | None = None
_fonts_lock = threading.Lock()


def _font_files() -> tuple[Path, Path, Path]:
    if (DEJAVU_DIR / "DejaVuSans.ttf").exists() and (DEJAVU_DIR / "DejaVuSans-Bold.ttf").exists():
        mono = DEJAVU_DIR / "DejaVuSansMono-Bold.ttf"
        bold = DEJAVU_DIR / "DejaVuSans-Bold.ttf"
        return DEJAVU_DIR / "DejaVuSans.ttf", bold, mono if mono.exists() else bold
    import reportlab

    bundled = Path(reportlab.__file__).resolve().parent / "fonts"
    return bundled / "Vera.ttf", bundled / "VeraBd.ttf", bundled / "VeraBd.ttf"


def fonts() -> _Fonts:
    """Register the fonts once per process (parsing a TrueType file takes tens of ms)."""
    global _fonts
    if _fonts is None:
        with _fonts_lock:
            if _fonts is None:
                registered = set(pdfmetrics.getRegisteredFontNames())
                names = []
                for path in _font_files():
                    name = f"C2i-{path.stem}"
                    if name not in registered:
                        pdfmetrics.registerFont(TTFont(name, str(path)))
                    names.append(name)
                _fonts = _Fonts(*names)
    return _fonts


@functools.lru_cache(maxsize=16384)
def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


@functools.lru_cache(maxsize=4096)  # competency titles recur in every document of a session
def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Greedy line breaking on spaces; a word wider than the line is cut."""
    lines: list[str] = []
    current = ""
    space = _width(" ", font, size)
    current_width = 0.0
    for word in text.split():
        w = _width(word, font, size)
        if current and current_width + space + w <= width:
            current += " " + word
            current_width += space + w
            continue
        if current:
            lines.append(current)
        while w > width and len(word) > 1:  # a URL or a very long word
            cut = len(word) - 1
            while cut > 1 and _width(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
            w = _width(word, font, size)
        current, current_width = word, w
    if current or not lines:
        lines.append(current)
    return tuple(lines)


# -- layout -----------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Elem:
    """A structure element; its kids are elements or marked-content references (page index, MCID)."""

    tag: str
    parent: _Elem | None = None
    alt: str = ""
    bbox: tuple[float, float, float, float] | None = None
    kids: list[_Elem | tuple[int, int]] = field(default_factory=list)

    def add(self, tag: str, alt: str = "") -> _Elem:
        child = _Elem(tag, self, alt)
        self.kids.append(child)
        return child


@dataclass(frozen=True)
class _Text:
    elem: _Elem | None  # None: an artifact
    font: str
    size: float
    x: float
    y: float  # baseline
    text: str
    color: tuple[float, float, float] = INK


@dataclass(frozen=True)
class _Rule:  # a decorative line: always an artifact
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    color: tuple[float, float, float]


@dataclass(frozen=True)
class _QR:
    elem: _Elem
    x: float  # bottom-left corner of the symbol, quiet zone included
    y: float
    side: float
    matrix: tuple[bytearray, ...]


_Op = _Text | _Rule | _QR


class _Layout:
    def __init__(self, data: DocumentData, f: _Fonts) -> None:
        self.data = data
        self.f = f
        self.pages: list[list[_Op]] = [[]]
        self.y = TOP
        self.root = _Elem("Document")

    @property
    def ops(self) -> list[_Op]:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP
        d = self.data
        running = f"{d.title} — {d.holder_name} — code {d.verification_code} (suite)"
        self.ops.append(_Text(None, self.f.regular, 8, MARGIN, self.y - 8, running, GREY))
        self.ops.append(_Rule(MARGIN, self.y - 13, PAGE_WIDTH - MARGIN, self.y - 13, 0.5, RULE))
        self.y -= 24

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def lines(self, text: str, font: str, size: float, width: float) -> tuple[str, ...]:
        return wrap(text, font, size, width)

    def para(
        self,
        elem: _Elem,
        lines: tuple[str, ...],
        font: str,
        size: float,
        leading: float,
        x: float,
        color: tuple[float, float, float] = INK,
    ) -> None:
        for line in lines:
            self.need(leading)
            self.ops.append(_Text(elem, font, size, x, self.y - size, line, color))
            self.y -= leading

    def text_block(
        self,
        parent: _Elem,
        tag: str,
        text: str,
        font: str,
        size: float,
        leading: float,
        x: float = MARGIN,
        width: float = CONTENT_WIDTH,
        color: tuple[float, float, float] = INK,
    ) -> _Elem:
        elem = parent.add(tag)
        self.para(elem, self.lines(text, font, size, width), font, size, leading, x, color)
        return elem

    # -- the document's parts --

    def build(self) -> None:
        d, f, root = self.data, self.f, self.root
        self.ops.append(_Rule(MARGIN, TOP, PAGE_WIDTH - MARGIN, TOP, 3, BLUE))
        self.y -= 14
        self.text_block(root, "H1", d.title, f.bold, 17, 21, color=BLUE)
        self.text_block(root, "P", d.framework_title, f.regular, 10.5, 13.5, color=BLUE)
        self.y -= 8
        if d.replaces_code:
            self.text_block(
                root,
                "P",
                f"Rectificatif : ce document annule et remplace le document de code de vérification {d.replaces_code}.",
                f.bold,
                9.5,
                12.5,
            )
            self.y -= 4
        self.introduction_and_verification()
        self.domains()
        self.closing()

    def introduction_and_verification(self) -> None:
        d, f, root = self.data, self.f, self.root
        top = self.y
        left_width = CONTENT_WIDTH - SIDE_COLUMN - GUTTER
        facts = [
            ("Titulaire", d.holder_name),
            ("Date de naissance", french_date(d.holder_birth_date)),
            (
                "Établissement",
                f"{d.institution_name} ({d.institution_town})" if d.institution_town else d.institution_name,
            ),
            ("Session", d.session_name),
            ("Date du jury", french_date(d.jury_date)),
        ]
        for label, value in facts:
            self.text_block(root, "P", f"{label} : {value}", f.regular, 10, 14, width=left_width)
        self.y -= 6
        if d.is_certificate:
            outcome = (
                f"Au vu des délibérations du jury, le certificat informatique et internet {d.framework_code} "
                f"est délivré au titulaire."
            )
        else:
            outcome = (
                "Le titulaire n'a pas obtenu le certificat. La présente attestation récapitule les domaines "
                "validés, qui lui restent acquis pour une session ultérieure (capitalisation)."
            )
        self.text_block(root, "P", outcome, f.regular, 10, 13, width=left_width)
        left_bottom = self.y

        # The right column: the QR code, then the verification code.
        x = PAGE_WIDTH - MARGIN - SIDE_COLUMN
        qr = segno.make(d.verification_url, error="m", micro=False, boost_error=False)
        figure = root.add("Figure", alt=f"Code QR menant à la page de vérification du document : {d.verification_url}")
        qx = x + (SIDE_COLUMN - QR_SIDE) / 2
        qy = top - QR_SIDE
        figure.bbox = (qx, qy, qx + QR_SIDE, qy + QR_SIDE)
        self.ops.append(_QR(figure, qx, qy, QR_SIDE, tuple(qr.matrix)))
        y = qy - 4
        caption = "Code de vérification"
        self.ops.append(
            _Text(
                root.add("P"), f.regular, 8.5, x + (SIDE_COLUMN - _width(caption, f.regular, 8.5)) / 2, y - 8.5, caption
            )
        )
        y -= 13
        code_size = 15.0
        while _width(d.verification_code, f.code, code_size) > SIDE_COLUMN and code_size > 8:
            code_size -= 0.5
        code = root.add("P")
        cx = x + (SIDE_COLUMN - _width(d.verification_code, f.code, code_size)) / 2
        self.ops.append(_Text(code, f.code, code_size, cx, y - code_size, d.verification_code, BLACK))
        y -= code_size + 6
        self.y = min(left_bottom, y) - 10
        self.ops.append(_Rule(MARGIN, self.y, PAGE_WIDTH - MARGIN, self.y, 0.5, RULE))
        self.y -= 10

    def domains(self) -> None:
        d, f, root = self.data, self.f, self.root
        heading = "Domaines et compétences validés" if d.is_certificate else "Domaines validés"
        # Keep the heading (and the count) with the first domain's title.
        self.need(16 + 13 + 28)
        self.text_block(root, "H2", heading, f.bold, 12, 16, color=BLUE)
        if not d.is_certificate:
            self.text_block(root, "P", f"{d.domains_summary}.", f.bold, 10, 13)
        self.y -= 2
        if not d.validated_domains:
            self.text_block(root, "P", "Aucun domaine validé.", f.regular, 10, 13)
            return
        label_width = max(
            [_width(dom.code, f.bold, 10) for dom in d.validated_domains]
            + [_width("D1.1", f.bold, 8.5)]
            + [_width(code, f.bold, 8.5) for dom in d.validated_domains for code, _ in dom.competencies]
        )
        indent = label_width + 8
        sub_indent = indent + label_width + 6
        domain_list = root.add("L")
        for dom in d.validated_domains:
            title_lines = self.lines(dom.title, f.bold, 10, CONTENT_WIDTH - indent)
            carried = (
                f"Domaine acquis lors de la session « {dom.carried_over_from} » (report)."
                if dom.carried_over_from
                else ""
            )
            carried_lines = self.lines(carried, f.regular, 8.5, CONTENT_WIDTH - indent) if carried else ()
            comp_lines = [
                self.lines(title, f.regular, 8.5, CONTENT_WIDTH - sub_indent) for _, title in dom.competencies
            ]
            first = len(comp_lines[0]) * 10.5 if comp_lines else 0
            self.y -= 5
            self.need(len(title_lines) * 13 + len(carried_lines) * 11 + first)
            item = domain_list.add("LI")
            lbl = item.add("Lbl")
            self.ops.append(_Text(lbl, f.bold, 10, MARGIN, self.y - 10, dom.code, BLUE))
            body = item.add("LBody")
            self.para(body.add("P"), title_lines, f.bold, 10, 13, MARGIN + indent)
            if carried_lines:
                self.para(body.add("P"), carried_lines, f.regular, 8.5, 11, MARGIN + indent, GREY)
            if not dom.competencies:
                continue
            self.y -= 1
            comp_list = body.add("L")
            for (code, _), lines in zip(dom.competencies, comp_lines, strict=True):
                self.need(len(lines) * 10.5 if len(lines) <= 3 else 10.5)
                comp = comp_list.add("LI")
                self.ops.append(_Text(comp.add("Lbl"), f.bold, 8.5, MARGIN + indent, self.y - 8.5, code))
                self.para(comp.add("LBody"), lines, f.regular, 8.5, 10.5, MARGIN + sub_indent)

    def closing(self) -> None:
        d, f, root = self.data, self.f, self.root
        self.y -= 8
        lines_needed = 3 * 13 + 12
        self.need(lines_needed)
        self.ops.append(_Rule(MARGIN, self.y, PAGE_WIDTH - MARGIN, self.y, 0.5, RULE))
        self.y -= 8
        place = f"Fait à {d.institution_town}, le" if d.institution_town else "Délivré le"
        self.text_block(root, "P", f"{place} {french_date(d.issued_on)}.", f.regular, 10, 13)
        self.text_block(
            root,
            "P",
            f"Authenticité vérifiable sur {d.verification_url} ou par le code QR.",
            f.regular,
            8.5,
            11,
        )
        self.text_block(root, "P", LEGAL_BASIS, f.regular, 8.5, 11, color=GREY)


# -- drawing ----------------------------------------------------------------------------------------------------------


def _rgb(color: tuple[float, float, float], op: str) -> str:
    return f"{color[0]:.3f} {color[1]:.3f} {color[2]:.3f} {op}"


def _qr_operators(qr: _QR) -> str:
    """The dark modules as rectangles, runs of a row merged: one path, filled once."""
    n = len(qr.matrix)
    module = qr.side / (n + 8)  # 4 modules of quiet zone on each side
    x0 = qr.x + 4 * module
    y_top = qr.y + qr.side - 4 * module
    parts = ["q", _rgb(BLACK, "rg")]
    for r, row in enumerate(qr.matrix):
        y = y_top - (r + 1) * module
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                parts.append(f"{x0 + start * module:.3f} {y:.3f} {(c - start) * module:.3f} {module:.3f} re")
            else:
                c += 1
    parts.append("f Q")
    return "\n".join(parts)


class _XmpStream(pdfdoc.PDFObject):
    """The XMP metadata stream, uncompressed so that any tool can read the title."""

    __RefOnly__ = 1

    def __init__(self, xml: bytes) -> None:
        self.xml = xml

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        content = document.encrypt.encode(self.xml)
        dictionary = pdfdoc.PDFDictionary(
            {"Type": pdfdoc.PDFName("Metadata"), "Subtype": pdfdoc.PDFName("XML"), "Length": len(content)}
        )
        return pdfdoc.format(dictionary, document) + b"\nstream\n" + content + b"\nendstream\n"


def _xmp(title: str, author: str) -> bytes:
    t, a = xml_escape(title), xml_escape(author)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{a}</rdf:li></rdf:Seq></dc:creator>
   <dc:language><rdf:Bag><rdf:li>{LANG}</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _draw_page(canvas: Canvas, ops: list[_Op], page_index: int, marked: list[_Elem]) -> None:
    """Draw one page; `marked` receives, in MCID order, the element of each marked-content sequence."""
    current: object = ()  # the open sequence's element (None: an artifact); () when none is open
    code = canvas._code  # the canvas's operator list (addLiteral without the str() round trip)

    def open_sequence(elem: _Elem | None) -> None:
        nonlocal current
        if current != ():
            code.append("EMC")
        if elem is None:
            code.append("/Artifact BMC")
        else:
            mcid = len(marked)
            marked.append(elem)
            elem.kids.append((page_index, mcid))
            code.append(f"/{elem.tag} <</MCID {mcid}>> BDC")
        current = elem

    for op in ops:
        if isinstance(op, _Text):
            if op.elem is not current:
                open_sequence(op.elem)
            text = canvas.beginText(op.x, op.y)
            text.setFont(op.font, op.size)
            text.setFillColorRGB(*op.color)
            text.textOut(op.text)
            canvas.drawText(text)
        elif isinstance(op, _Rule):
            if current is not None:
                open_sequence(None)
            code.append(
                f"q {_rgb(op.color, 'RG')} {op.width:.2f} w {op.x1:.2f} {op.y1:.2f} m {op.x2:.2f} {op.y2:.2f} l S Q"
            )
        else:
            open_sequence(op.elem)
            code.append(_qr_operators(op))
            current = op.elem
    if current != ():
        code.append("EMC")


def _page_number(canvas: Canvas, f: _Fonts, index: int, count: int) -> None:
    text = f"Page {index + 1} sur {count}"
    canvas._code.append("/Artifact <</Type /Pagination>> BDC")
    t = canvas.beginText(PAGE_WIDTH - MARGIN - _width(text, f.regular, 8), MARGIN)
    t.setFont(f.regular, 8)
    t.setFillColorRGB(*GREY)
    t.textOut(text)
    canvas.drawText(t)
    canvas._code.append("EMC")


def _structure(
    canvas: Canvas, root: _Elem, page_refs: list[pdfdoc.PDFObjectReference], marked: list[list[_Elem]]
) -> pdfdoc.PDFDictionary:
    """Write the structure tree objects and return the StructTreeRoot dictionary."""
    doc = canvas._doc
    name = pdfdoc.PDFName
    tree_root = pdfdoc.PDFDictionary({"Type": name("StructTreeRoot")})
    tree_root_ref = doc.Reference(tree_root)
    dicts: dict[int, pdfdoc.PDFDictionary] = {}
    refs: dict[int, pdfdoc.PDFObjectReference] = {}

    def register(elem: _Elem) -> None:
        dicts[id(elem)] = pdfdoc.PDFDictionary({})
        refs[id(elem)] = doc.Reference(dicts[id(elem)])
        for kid in elem.kids:
            if isinstance(kid, _Elem):
                register(kid)

    def fill(elem: _Elem, parent_ref: pdfdoc.PDFObjectReference) -> None:
        d = dicts[id(elem)]
        d["Type"] = name("StructElem")
        d["S"] = name(elem.tag)
        d["P"] = parent_ref
        kids: list[object] = []
        pages = [kid[0] for kid in elem.kids if isinstance(kid, tuple)]
        if pages:
            d["Pg"] = page_refs[pages[0]]
        for kid in elem.kids:
            if isinstance(kid, _Elem):
                kids.append(refs[id(kid)])
                fill(kid, refs[id(elem)])
            elif kid[0] == pages[0]:
                kids.append(kid[1])
            else:
                kids.append(pdfdoc.PDFDictionary({"Type": name("MCR"), "Pg": page_refs[kid[0]], "MCID": kid[1]}))
        if len(kids) == 1 and isinstance(kids[0], int):
            d["K"] = kids[0]
        elif kids:
            d["K"] = pdfdoc.PDFArray(kids)
        if elem.alt:
            d["Alt"] = pdfdoc.PDFString(elem.alt)
        if elem.bbox:
            layout = {"O": name("Layout"), "BBox": pdfdoc.PDFArray([round(v, 2) for v in elem.bbox])}
            d["A"] = pdfdoc.PDFDictionary(layout)
        if elem.tag == "Document":
            d["Lang"] = pdfdoc.PDFString(LANG)

    register(root)
    fill(root, tree_root_ref)
    nums: list[object] = []
    for index, elems in enumerate(marked):
        nums += [index, doc.Reference(pdfdoc.PDFArray([refs[id(e)] for e in elems]))]
    tree_root["K"] = refs[id(root)]
    tree_root["ParentTree"] = doc.Reference(pdfdoc.PDFDictionary({"Nums": pdfdoc.PDFArray(nums)}))
    tree_root["ParentTreeNextKey"] = len(marked)
    return tree_root


def render_pdf(data: DocumentData) -> bytes:
    """The document as a tagged, accessible A4 PDF (bytes)."""
    f = fonts()
    layout = _Layout(data, f)
    layout.build()

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, lang=LANG, initialFontName=f.regular)
    canvas.setTitle(data.title)
    canvas.setAuthor(data.institution_name)
    canvas.setSubject(f"{data.framework_title} — {data.holder_name} — code {data.verification_code}")
    canvas.setCreator(CREATOR)
    canvas.setViewerPreference("DisplayDocTitle", "true")

    doc = canvas._doc
    page_refs: list[pdfdoc.PDFObjectReference] = []
    marked: list[list[_Elem]] = []
    count = len(layout.pages)
    for index, ops in enumerate(layout.pages):
        page_refs.append(doc.thisPageRef())
        marked.append([])
        _draw_page(canvas, ops, index, marked[-1])
        if count > 1:
            _page_number(canvas, f, index, count)
        canvas.showPage()
        page = doc.Pages.pages[-1]
        page.__NoDefault__ = [*pdfdoc.PDFPage.__NoDefault__, "StructParents", "Tabs"]
        page.StructParents = index
        page.Tabs = pdfdoc.PDFName("S")

    catalog = doc.Catalog
    catalog.StructTreeRoot = _structure(canvas, layout.root, page_refs, marked)
    catalog.MarkInfo = pdfdoc.PDFDictionary({"Marked": "true"})
    catalog.Metadata = _XmpStream(_xmp(data.title, data.institution_name))
    canvas.save()
    return buffer.getvalue()
