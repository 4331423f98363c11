"""Moodle XML import and export, for multiple-choice and true/false questions.

Pure: no Django import. The file is read with defusedxml's SAX parser:

- a DTD (``<!DOCTYPE``), entity declarations or external references refuse the
  whole file (no expansion happens: "billion laughs" and XXE documents are
  stopped at their ``<!DOCTYPE``), as do a file over ``MAX_BYTES`` (20 MB), a
  question of more than ``MAX_ELEMENTS`` elements, malformed XML (reason with
  line and column) and a root other than ``<quiz>``; such a file gives one
  ``Rejected(where="fichier")`` and no question. Questions are built and
  checked one at a time, so memory stays bounded by one question;
- ``<question type="category">`` sets the category of the questions that follow;
- ``multichoice``: ``<name>``, ``<questiontext format=…>``, ``<generalfeedback>``,
  ``<idnumber>``, ``<tags>``, ``<single>`` (default true) and ``<answer fraction=…
  format=…>`` with ``<text>`` and ``<feedback>``; fractions must be Moodle grades
  (``fraction="33"`` is refused), a single-answer question needs an answer at
  100 % and the positive fractions of a multiple-answer one must add up to 100 %;
  empty answers are refused (Moodle drops them silently);
- ``truefalse``: the answers whose text is ``true`` and ``false`` (in that order
  otherwise), one at 100 %, the other at 0 %;
- every other type (shortanswer, matching, essay, numerical, multianswer/cloze,
  description, calculated, ddwtos …) is rejected with its position and type;
- **the question's image**: a question keeps one image, the bank's own
  (``Question.image``). It is the first ``<file name=… encoding="base64">`` of
  ``<questiontext>`` that an ``<img src="@@PLUGINFILE@@/name">`` of the stem
  shows, else its first file that nothing in the stem refers to, else the
  legacy ``<image>``/``<image_base64>`` pair (Moodle 1.9). Its bytes are
  handed over unchecked (``QuestionData.image``): the importer applies the
  bank's checks (PNG or JPEG from the bytes, 2 MB) and refuses the question
  otherwise. The ``<img>`` showing it is taken out of the stem (the bank shows
  the image after the stem); unreadable base64 refuses the question. Every
  other file (a second image, a sound in a link, a file of an answer or a
  feedback) is not kept and is reported; ``@@PLUGINFILE@@`` references
  without files are kept as written (the image will not show), as in GIFT,
  which cannot carry files;
- **what the bank does not keep is reported** per question
  (``QuestionData.not_kept``): hints, combined feedback, « show the number of
  correct responses », a penalty, default grade, numbering or shuffling other
  than Moodle's defaults, a hidden question, files other than the image.

Positions are written « question n° 3 (<question type="multichoice"> ligne 40) »,
counting the questions of the file, categories excluded.

Export (``dump_moodle_xml``) writes Moodle's own layout (a category question
``$course$/top/<path>`` when the category changes, texts escaped, options and
feedback as ``format="html"``, the image as a ``<file>`` of the question text
that an ``<img src="@@PLUGINFILE@@/image.png">`` ends an HTML stem with, the
tags); parsing its output gives back the same questions. It raises ``ValueError`` for a question that
``model.check_question`` refuses.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

from defusedxml import DefusedXmlException
from defusedxml.sax import parseString

from .model import (
    FALSE_LABEL,
    INVALID_CHARS,
    TRUE_LABEL,
    WS,
    OptionData,
    ParseResult,
    QuestionData,
    Rejected,
    check_choices,
    check_lengths,
    check_question,
    default_name,
    format_fraction,
    invalid_fraction_reason,
    moodle_category,
    normalise_category,
    normalise_fraction,
    stem_text,
    to_html,
    unsupported_type_reason,
)

__all__ = ["MAX_BYTES", "MAX_ELEMENTS", "dump_moodle_xml", "parse_moodle_xml"]

MAX_BYTES = 20 * 1024 * 1024
MAX_ELEMENTS = 10_000  # per question (Moodle's questions have tens to hundreds)
FILE = "fichier"

_FORMAT_IN = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain", "markdown": "markdown"}
_FORMAT_OUT = {v: k for k, v in _FORMAT_IN.items()}

# expat's messages, in French (every message expat can give on a document;
# one it adds later is shown as « erreur XML » with its own words).
_EXPAT_FR = {
    "out of memory": "mémoire insuffisante",
    "syntax error": "erreur de syntaxe",
    "no element found": "document vide ou incomplet",
    "not well-formed (invalid token)": "caractère ou balise invalide",
    "unclosed token": "balise non fermée",
    "partial character": "caractère incomplet (encodage)",
    "mismatched tag": "balise fermante qui ne correspond pas à la balise ouverte",
    "duplicate attribute": "attribut en double",
    "junk after document element": "contenu après l'élément racine",
    "illegal parameter entity reference": "référence d'entité paramètre interdite",
    "undefined entity": "entité non définie",
    "recursive entity reference": "référence d'entité récursive",
    "asynchronous entity": "entité asynchrone",
    "reference to invalid character number": "référence à un numéro de caractère interdit en XML (&#…;)",
    "reference to binary entity": "référence à une entité binaire",
    "reference to external entity in attribute": "référence à une entité externe dans un attribut",
    "XML or text declaration not at start of entity": "déclaration XML ailleurs qu'au début du fichier",
    "unknown encoding": "encodage inconnu",
    "encoding specified in XML declaration is incorrect": "encodage déclaré incorrect",
    "unclosed CDATA section": "section CDATA non fermée",
    "error in processing external entity reference": "erreur dans une référence d'entité externe",
    "document is not standalone": "document non autonome",
    "entity declared in parameter entity": "entité déclarée dans une entité paramètre",
    "unbound prefix": "préfixe d'espace de noms non déclaré",
    "must not undeclare prefix": "un préfixe d'espace de noms ne peut pas être retiré",
    "incomplete markup in parameter entity": "balisage incomplet dans une entité paramètre",
    "XML declaration not well-formed": "déclaration XML mal formée",
    "text declaration not well-formed": "déclaration de texte mal formée",
    "illegal character(s) in public id": "caractère interdit dans un identifiant public",
    "reserved prefix (xml) must not be undeclared or bound to another namespace name": (
        "le préfixe réservé xml ne peut pas être redéfini"
    ),
    "reserved prefix (xmlns) must not be declared or undeclared": "le préfixe réservé xmlns ne peut pas être déclaré",
    "prefix must not be bound to one of the reserved namespace names": (
        "un préfixe ne peut pas désigner un espace de noms réservé"
    ),
    "limit on input amplification factor (from DTD and entities) breached": (
        "facteur d'amplification des entités dépassé"
    ),
}


class _XmlError(Exception):
    pass


# --- a small tree with line numbers, built from SAX events ------------------------


@dataclass(slots=True)
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, tag: str) -> _Node | None:
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list[_Node]:
        return [child for child in self.children if child.tag == tag]

    def child_text(self, tag: str) -> str:
        """The trimmed ``<text>`` of child ``tag`` (or its own text), "" when absent."""
        node = self.find(tag)
        if node is None:
            return ""
        text = node.find("text")
        return (text.text if text is not None else node.text).strip(WS)

    def descendants(self, tag: str) -> list[_Node]:
        found, stack = [], list(reversed(self.children))
        while stack:
            node = stack.pop()
            if node.tag == tag:
                found.append(node)
            stack.extend(reversed(node.children))
        return found


class _TreeBuilder(ContentHandler):
    """Builds one ``<question>`` (child of the root) at a time and hands it to
    ``on_question`` when it closes, so memory stays bounded by one question."""

    def __init__(self, on_question: Callable[[_Node], None]) -> None:
        super().__init__()
        self.on_question = on_question
        self.root: _Node | None = None
        self.stack: list[_Node] = []
        self.locator: Locator | None = None
        self.count = 0  # elements of the current child of the root

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        line = (self.locator.getLineNumber() or 0) if self.locator is not None else 0
        node = _Node(name, dict(attrs.items()), line)
        if not self.stack:
            if name != "quiz":
                raise _XmlError(f"l'élément racine doit être <quiz> et non <{name[:40]}> (format XML de Moodle)")
            self.root = node
        else:
            if len(self.stack) == 1:
                self.count = 0
            self.count += 1
            if self.count > MAX_ELEMENTS:
                raise _XmlError(
                    f"fichier refusé : l'élément commençant ligne {self.stack[1].line} "
                    f"compte plus de {MAX_ELEMENTS:,} éléments XML".replace(",", " ")
                )
            self.stack[-1].children.append(node)
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        node = self.stack.pop()
        if len(self.stack) == 1:  # a child of <quiz> is complete
            self.stack[0].children.clear()
            if node.tag == "question":
                self.on_question(node)

    def characters(self, content: str) -> None:
        if len(self.stack) > 1:  # text directly inside <quiz> is ignored
            self.stack[-1].parts.append(content)


def _read(data: bytes, on_question: Callable[[_Node], None]) -> None:
    if len(data) > MAX_BYTES:
        raise _XmlError(
            f"fichier trop volumineux : {len(data) / 1048576:.1f} Mo (maximum {MAX_BYTES // 1048576} Mo)".replace(
                ".", ","
            )
        )
    builder = _TreeBuilder(on_question)
    try:
        parseString(data, builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise _XmlError(
            "fichier refusé : les DTD, déclarations d'entités et références externes "
            f"(<!DOCTYPE …>, <!ENTITY …>) ne sont pas acceptées ({type(error).__name__})"
        ) from error
    except SAXParseException as error:
        message = error.getMessage()
        detail = _EXPAT_FR.get(message) or f"erreur XML ({message})"
        raise _XmlError(
            f"XML mal formé, ligne {error.getLineNumber()}, colonne {(error.getColumnNumber() or 0) + 1} : {detail}"
        ) from error
    except LookupError as error:  # an encoding Python does not know
        raise _XmlError(
            "fichier XML illisible : l'encodage déclaré ligne 1 est inconnu (enregistrer le fichier en UTF-8)"
        ) from error
    except ValueError as error:
        raise _XmlError(f"fichier XML illisible ({error})") from error
    if builder.root is None:
        raise _XmlError("document XML vide")


# --- questions ------------------------------------------------------------------


def _format(node: _Node | None, default: str) -> str:
    if node is None or "format" not in node.attrs:
        return default
    return _FORMAT_IN.get(node.attrs["format"].strip(WS), "moodle")


def _fraction(answer: _Node, position: int) -> float:
    raw = answer.attrs.get("fraction", "0").strip(WS)
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise _XmlError(f"réponse n° {position} : note « {raw} » illisible") from None
    fraction = normalise_fraction(value)
    if fraction is None:
        raise _XmlError(invalid_fraction_reason(position, raw))
    return fraction


def _answers(question: _Node, stem_format: str) -> list[tuple[str, float, str]]:
    """(text as written, fraction, feedback as HTML) of each ``<answer>``."""
    result = []
    for position, answer in enumerate(question.findall("answer"), start=1):
        text_format = _format(answer, stem_format)
        text = answer.child_text("text") if answer.find("text") is not None else answer.text.strip(WS)
        feedback_node = answer.find("feedback")
        feedback = to_html(answer.child_text("feedback"), _format(feedback_node, text_format))
        result.append((to_html(text, text_format), _fraction(answer, position), feedback))
    return result


def _single(question: _Node) -> bool:
    node = question.find("single")
    raw = node.text.strip(WS).lower() if node is not None else "true"
    if raw in ("true", "1", ""):
        return True
    if raw in ("false", "0"):
        return False
    raise _XmlError(f"valeur de <single> invalide : « {raw} » (true ou false attendu)")


def _multichoice(question: _Node, stem_format: str) -> tuple[list[OptionData], bool]:
    options = []
    for position, (text, fraction, feedback) in enumerate(_answers(question, stem_format), start=1):
        if not text:
            raise _XmlError(f"réponse n° {position} vide")
        options.append(OptionData(text, fraction, feedback))
    return options, _single(question)


def _truefalse(question: _Node, stem_format: str) -> list[OptionData]:
    answers = question.findall("answer")
    if len(answers) != 2:
        raise _XmlError(f"vrai/faux : 2 réponses attendues, {len(answers)} trouvée(s)")
    parsed = _answers(question, stem_format)
    labels = [a.child_text("text").lower() for a in answers]
    order = [0, 1]
    if set(labels) == {"true", "false"} or set(labels) == {"vrai", "faux"}:
        order = [0, 1] if labels[0] in ("true", "vrai") else [1, 0]
    true_answer, false_answer = parsed[order[0]], parsed[order[1]]
    return [
        OptionData(TRUE_LABEL, true_answer[1], true_answer[2]),
        OptionData(FALSE_LABEL, false_answer[1], false_answer[2]),
    ]


def _tags(question: _Node) -> list[str]:
    tags: list[str] = []
    holder = question.find("tags")
    for tag in holder.findall("tag") if holder is not None else []:
        value = tag.child_text("text") if tag.find("text") is not None else tag.text.strip(WS)
        if value and value not in tags:
            tags.append(value)
    return tags


# --- the image and what is not kept ---------------------------------------------

PLUGINFILE = "@@PLUGINFILE@@/"
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?@@PLUGINFILE@@/([^"'\s>?#]+)""", re.IGNORECASE)
_REFERENCE = re.compile(r"@@PLUGINFILE@@/([^\"'\s<>?#)]+)")


def _decode(name: str, data: str) -> bytes:
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _XmlError(f"fichier intégré « {name[:80]} » : contenu base64 illisible") from None


def _names(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [unquote(m.group(1)) for m in pattern.finditer(text)]


def _image(question: _Node, raw_stem: str, not_kept: list[str]) -> tuple[bytes | None, str]:
    """The question's image (bytes, name) as the module docstring says; what
    else the question's files were goes to ``not_kept``."""
    questiontext = question.find("questiontext")
    files = [f for f in questiontext.findall("file")] if questiontext is not None else []
    shown, referred = _names(raw_stem, _IMG_SRC), _names(raw_stem, _REFERENCE)
    chosen = next((f for name in shown for f in files if f.attrs.get("name", "") == name), None)
    if chosen is None:
        chosen = next((f for f in files if f.attrs.get("name", "") not in referred), None)
    image: bytes | None = None
    name = ""
    if chosen is not None:
        name = chosen.attrs.get("name", "").strip(WS) or "image"
        image = _decode(name, chosen.text)
    legacy_name = question.child_text("image")
    legacy = question.find("image_base64")
    if legacy is not None and legacy.text.strip(WS):
        if image is None:
            name = legacy_name or "image"
            image = _decode(name, legacy.text)
        else:
            not_kept.append(f"image « {legacy_name or 'image_base64'} » non reprise (une seule image par question)")
    elif legacy_name:
        not_kept.append(f"image « {legacy_name[:80]} » non reprise (son contenu n'est pas dans le fichier)")
    others = [f for f in question.descendants("file") if f is not chosen]
    if others:
        listed = ", ".join(f"« {f.attrs.get('name', '?')[:80]} »" for f in others[:5])
        more = f" et {len(others) - 5} autre(s)" if len(others) > 5 else ""
        not_kept.append(
            f"fichiers intégrés non repris ({listed}{more}) : la banque garde une seule image (PNG ou JPEG) par "
            "question, celle de l'énoncé"
        )
    return image, name


def _without_image(stem: str, name: str) -> str:
    """The stem without the ``<img>`` showing the image the bank now keeps
    (its paragraph too when the image was alone in it)."""
    names = "|".join(re.escape(n) for n in dict.fromkeys([name, quote(name), quote(name, safe="/")]))
    img = rf"""<img\b[^>]*?\bsrc="@@PLUGINFILE@@/(?:{names})"[^>]*>"""
    stem = re.sub(rf"<p>\s*{img}\s*</p>", "", stem)
    return re.sub(img, "", stem).strip(WS)


def _number(node: _Node | None) -> float | None:
    if node is None:
        return None
    try:
        return float(node.text.strip(WS).replace(",", "."))
    except ValueError:
        return None


def _fr(value: float) -> str:
    return format_fraction(round(value, 7)).replace(".", ",")


_COMBINED = (
    ("correctfeedback", "pour une réponse correcte"),
    ("partiallycorrectfeedback", "pour une réponse partiellement correcte"),
    ("incorrectfeedback", "pour une réponse incorrecte"),
)


def _settings_not_kept(question: _Node, qtype: str) -> list[str]:
    """What the question says that the bank does not keep, Moodle's defaults
    (those ``dump_moodle_xml`` writes) excepted."""
    found = []
    hints = question.findall("hint")
    if hints:
        found.append(f"indices non repris ({len(hints)})")
    combined = [label for tag, label in _COMBINED if question.child_text(tag)]
    if combined:
        found.append("feedbacks combinés non repris (" + ", ".join(combined) + ")")
    if question.find("shownumcorrect") is not None:
        found.append("option « afficher le nombre de réponses correctes » non reprise (jamais affiché, R18)")
    penalty = _number(question.find("penalty"))
    default_penalty = 1.0 if qtype == "truefalse" else 0.3333333
    if penalty is not None and abs(penalty - default_penalty) > 1e-6:
        found.append(f"pénalité pour un nouvel essai non reprise ({_fr(penalty)})")
    grade = _number(question.find("defaultgrade"))
    if grade is not None and abs(grade - 1.0) > 1e-6:
        found.append(f"note par défaut non reprise ({_fr(grade)})")
    if question.child_text("hidden") in ("1", "true"):
        found.append("question cachée dans Moodle : importée sans ce statut")
    shuffles = [node.text.strip(WS).lower() for node in question.findall("shuffleanswers")]
    if any(value in ("0", "false") for value in shuffles):
        found.append("« ne pas mélanger les réponses » non repris (la plateforme mélange toujours les réponses)")
    numbering = question.child_text("answernumbering")
    if numbering and numbering != "abc":
        found.append(f"numérotation des réponses « {numbering[:20]} » non reprise")
    if question.child_text("showstandardinstruction") in ("1", "true"):
        found.append("consigne standard (« Veuillez choisir… ») non reprise")
    return found


def _question(question: _Node, qtype: str, category: str, where: str) -> QuestionData:
    if qtype not in ("multichoice", "truefalse"):
        raise _XmlError(unsupported_type_reason(qtype))
    questiontext = question.find("questiontext")
    stem_format = _format(questiontext, "moodle")
    raw_stem = question.child_text("questiontext")
    not_kept: list[str] = []
    image, image_name = _image(question, raw_stem, not_kept)
    stem = stem_text(raw_stem, stem_format)
    if image is not None and stem_format in ("html", "moodle"):
        stem = _without_image(stem, image_name)
    if not stem:
        raise _XmlError("énoncé vide" if image is None else "énoncé vide (en dehors de son image)")
    if qtype == "multichoice":
        options, single = _multichoice(question, stem_format)
    else:
        options, single = _truefalse(question, stem_format), True
    problem = check_choices(qtype, options, single)
    if problem:
        raise _XmlError(problem)
    general_format = _format(question.find("generalfeedback"), stem_format)
    name = question.child_text("name")
    parsed = QuestionData(
        kind=qtype,
        name=name or default_name(stem, stem_format),
        stem=stem,
        stem_format=stem_format,
        options=options,
        single=single,
        general_feedback=to_html(question.child_text("generalfeedback"), general_format),
        category=category,
        tags=_tags(question),
        idnumber=question.child_text("idnumber"),
        where=where,
        image=image,
        image_name=image_name,
        not_kept=not_kept + _settings_not_kept(question, qtype),
    )
    too_long = check_lengths(parsed)
    if too_long:
        raise _XmlError(too_long)
    return parsed


class _Importer:
    def __init__(self) -> None:
        self.result = ParseResult([], [])
        self.category = ""
        self.number = 0

    def question(self, question: _Node) -> None:
        qtype = question.attrs.get("type", "").strip(WS)[:40]
        if qtype == "category":
            self.category = normalise_category(question.child_text("category"))
            return
        self.number += 1
        where = f'question n° {self.number} (<question type="{qtype}"> ligne {question.line})'
        try:
            if not qtype:
                raise _XmlError("attribut type manquant sur <question>")
            self.result.questions.append(_question(question, qtype, self.category, where))
        except _XmlError as error:
            self.result.rejected.append(Rejected(where, str(error)))


def parse_moodle_xml(data: bytes) -> ParseResult:
    """Parse a Moodle XML file: the accepted questions and where and why the others were rejected."""
    importer = _Importer()
    try:
        _read(data, importer.question)
    except _XmlError as error:
        return ParseResult([], [Rejected(FILE, str(error))])
    return importer.result


# --- export ---------------------------------------------------------------------


def _x(text: str) -> str:
    text = INVALID_CHARS.sub("", text)  # XML 1.0 cannot carry them
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _text_element(tag: str, text: str, fmt: str | None, indent: str) -> list[str]:
    fmt_attr = f' format="{fmt}"' if fmt else ""
    return [f"{indent}<{tag}{fmt_attr}>", f"{indent}  <text>{_x(text)}</text>", f"{indent}</{tag}>"]


def _answer(fraction: float, text: str, text_format: str, feedback: str) -> list[str]:
    return [
        f'    <answer fraction="{format_fraction(fraction)}" format="{text_format}">',
        f"      <text>{_x(text)}</text>",
        *_text_element("feedback", feedback, "html", "      "),
        "    </answer>",
    ]


def _dump_question(q: QuestionData) -> list[str]:
    lines = [f'  <question type="{q.kind}">']
    lines += _text_element("name", q.name, None, "    ")
    if q.image is None:
        lines += _text_element("questiontext", q.stem, _FORMAT_OUT[q.stem_format], "    ")
    else:
        name = q.image_name or "image"
        stem = q.stem
        if q.stem_format in ("html", "moodle"):
            stem += f'<p><img src="{PLUGINFILE}{quote(name)}" alt=""></p>'
        lines += [
            f'    <questiontext format="{_FORMAT_OUT[q.stem_format]}">',
            f"      <text>{_x(stem)}</text>",
            f'      <file name="{_x(name).replace(chr(34), "&quot;")}" path="/" encoding="base64">'
            f"{base64.b64encode(q.image).decode('ascii')}</file>",
            "    </questiontext>",
        ]
    lines += _text_element("generalfeedback", q.general_feedback, "html", "    ")
    lines += [
        "    <defaultgrade>1.0000000</defaultgrade>",
        f"    <penalty>{'1.0000000' if q.kind == 'truefalse' else '0.3333333'}</penalty>",
        "    <hidden>0</hidden>",
        f"    <idnumber>{_x(q.idnumber)}</idnumber>",
    ]
    if q.kind == "truefalse":
        lines += _answer(q.options[0].fraction, "true", "moodle_auto_format", q.options[0].feedback)
        lines += _answer(q.options[1].fraction, "false", "moodle_auto_format", q.options[1].feedback)
    else:
        lines += [
            f"    <single>{'true' if q.single else 'false'}</single>",
            "    <shuffleanswers>true</shuffleanswers>",
            "    <answernumbering>abc</answernumbering>",
            "    <showstandardinstruction>0</showstandardinstruction>",
        ]
        for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
            lines += _text_element(tag, "", "html", "    ")
        for option in q.options:
            lines += _answer(option.fraction, option.text, "html", option.feedback)
    if q.tags:
        lines.append("    <tags>")
        lines += [f"      <tag><text>{_x(tag)}</text></tag>" for tag in q.tags]
        lines.append("    </tags>")
    lines.append("  </question>")
    return lines


def dump_moodle_xml(questions: Iterable[QuestionData]) -> bytes:
    """Moodle XML (UTF-8) for the questions; raises ValueError for a question that is not valid."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    category: str | None = None
    for q in questions:
        problem = check_question(q)
        if problem:
            raise ValueError(f"question « {q.name} » : {problem}")
        if q.category != category and (category is not None or q.category):
            lines += ['  <question type="category">', "    <category>"]
            lines += [f"      <text>{_x(moodle_category(q.category))}</text>", "    </category>", "  </question>"]
        category = q.category
        lines += [*_dump_question(q), ""]
    lines.append("</quiz>")
    return ("\n".join(lines) + "\n").encode("utf-8")
