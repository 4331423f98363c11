"""What an uploaded file really is, decided from its bytes, never from its name.

Pure: imports nothing from Django. `detect()` returns the accepted type or
raises `Refused` with a machine-readable code; the caller turns the code into
the user's message (see `services.FILE_REFUSALS`). The name only has to agree
with the content: a PDF may not be called `photo.png`, an HTML page may not be
called `rapport.pdf`.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from c2i.lib import images


@dataclass(frozen=True)
class FileType:
    key: str
    label: str  # the format's name, the same in every language
    content_type: str
    extensions: tuple[str, ...]  # the first one is added to a name that has none

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = FileType("pdf", "PDF", "application/pdf", (".pdf",))
ODT = FileType("odt", "ODT", "application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileType("ods", "ODS", "application/vnd.oasis.opendocument.spreadsheet", (".ods",))
ODP = FileType("odp", "ODP", "application/vnd.oasis.opendocument.presentation", (".odp",))
DOCX = FileType("docx", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = FileType("pptx", "PPTX", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",))
PNG = FileType("png", "PNG", "image/png", (".png",))
JPEG = FileType("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe"))
TEXT = FileType("text", "TXT", "text/plain; charset=utf-8", (".txt", ".text", ".md", ".csv"))
ZIP = FileType("zip", "ZIP", "application/zip", (".zip",))

ALL = (PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, PNG, JPEG, TEXT, ZIP)
BY_KEY = {t.key: t for t in ALL}
KNOWN_EXTENSIONS = {ext: t for t in ALL for ext in t.extensions}

ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}
OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))

# Executable formats recognised to give a precise refusal.
EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux, BSD
    b"MZ",  # Windows PE / DOS
    b"\xfe\xed\xfa\xce",  # Mach-O 32
    b"\xfe\xed\xfa\xcf",  # Mach-O 64
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
)
MARKUP = re.compile(
    rb"^\s*<(?:!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|meta|a\s|img\s|div|p>)", re.I
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MAX_NAME_LENGTH = 120


class Refused(Exception):
    """A file the platform does not accept; `code` says why, `params` fill the message."""

    def __init__(self, code: str, **params: str) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


# --- names ------------------------------------------------------------------


def check_name(name: str) -> str:
    """The original name, checked: no path component, no control character;
    its length is limited (the extension is kept). Raises `Refused`."""
    if "/" in name or "\\" in name or name.strip() in {".", ".."}:
        raise Refused("name_path")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in name):
        raise Refused("name_control")
    name = unicodedata.normalize("NFC", name).strip().lstrip(".")
    if not name:
        raise Refused("name_empty")
    return shorten(name)


def shorten(name: str, limit: int = MAX_NAME_LENGTH) -> str:
    if len(name) <= limit:
        return name
    stem, ext = os.path.splitext(name)
    ext = ext[:16]
    return stem[: limit - len(ext)].rstrip() + ext


def sanitise_name(name: str) -> str:
    """A harmless name for any string (downloads, ZIP members): last path
    component, no control or format character, limited length."""
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = unicodedata.normalize("NFC", name).strip().lstrip(".")
    return shorten(name or "fichier")


def extension(name: str) -> str:
    """The name's extension, lower case; "" when what follows the last dot does
    not look like one (« rapport v1.2 » has none)."""
    ext = os.path.splitext(name)[1].lower()
    return ext if re.fullmatch(r"\.[a-z][a-z0-9]{0,5}", ext) else ""


def name_with_extension(name: str, filetype: FileType) -> str:
    """Give the name the detected type's extension when it has none."""
    ext = extension(name)
    if ext in filetype.extensions:
        return name
    return shorten(name, MAX_NAME_LENGTH - len(filetype.extension)) + filetype.extension


# --- content ----------------------------------------------------------------


def detect(data: bytes, name: str = "") -> FileType:
    """The type of `data`, if accepted; the name's extension must agree with it."""
    if not data:
        raise Refused("empty")
    filetype = _detect_content(data)
    ext = extension(name)
    claimed = KNOWN_EXTENSIONS.get(ext)
    if ext and claimed is not filetype and not (claimed is None and filetype is TEXT and _text_extension_ok(ext)):
        if claimed is None:
            raise Refused("extension_unknown", extension=ext, detected=filetype.label)
        raise Refused("extension_mismatch", extension=ext, detected=filetype.label)
    return filetype


def _text_extension_ok(ext: str) -> bool:
    return ext in {".log", ".tex", ".bib", ".json", ".py", ".r"}


def _detect_content(data: bytes) -> FileType:
    if data.startswith(b"%PDF-"):
        return PDF
    image = images.sniff(data)  # the one place that tells PNG and JPEG
    if image is not None:
        return BY_KEY[image]
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _detect_zip(data)
    if any(data.startswith(magic) for magic in EXECUTABLE_MAGIC):
        raise Refused("executable")
    return _detect_text(data)


# What Python's zipfile raises on a damaged or crafted archive (a header
# asking for an unknown zip version or compression gives NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError)


def _detect_zip(data: bytes) -> FileType:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except ZIP_ERRORS as error:
        raise Refused("corrupt_zip") from error
    names = [i.filename for i in infos]
    # ODF: the first member is `mimetype`, stored uncompressed (ODF 1.2, part 3, 3.3).
    if infos and infos[0].filename == "mimetype" and data[30:38] == b"mimetype":
        if infos[0].compress_type != zipfile.ZIP_STORED or infos[0].file_size > 100:
            raise Refused("odf_unsupported")  # never decompress a large first member
        try:
            declared = archive.read("mimetype").strip()
        except ZIP_ERRORS as error:
            raise Refused("corrupt_zip") from error
        if declared in ODF_MIMETYPES:
            return ODF_MIMETYPES[declared]
        raise Refused("odf_unsupported")
    if "[Content_Types].xml" in names:
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise Refused("macros")
        for prefix, filetype in OOXML_PARTS:
            if any(n.startswith(prefix) for n in names):
                return filetype
        raise Refused("ooxml_unsupported")
    return ZIP


def _detect_text(data: bytes) -> FileType:
    if b"\x00" in data:
        raise Refused("binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refused("not_utf8") from error
    if CONTROL.search(text):
        raise Refused("binary")
    if MARKUP.match(data.removeprefix(b"\xef\xbb\xbf")):
        raise Refused("markup")
    return TEXT
