"""GIFT import and export (Moodle's text format), for multiple-choice and true/false questions.

Pure: no Django import. The parser is hand-written and follows Moodle's own
importer (question/format/gift/format.php):

- questions are blocks of lines separated by blank lines; lines are trimmed;
  a line starting with ``//`` is a comment; ``[id:…]`` and ``[tag:…]`` in the
  comments of a block give the question's idnumber and tags (Moodle 4; ``\\]``
  escapes a bracket there, ``\\\\`` a backslash; values up to 255 characters);
- ``$CATEGORY: path`` switches the category of the following questions
  (``$course$/`` and ``top/`` stripped, see ``model.normalise_category``);
- ``::name::`` is the name; ``[html]``, ``[moodle]``, ``[plain]`` or ``[markdown]``
  at the start of a text gives its format (options and feedback default to the
  format of the stem, the stem to ``moodle``);
- escapes: ``\\~ \\= \\# \\{ \\} \\:`` give the character, ``\\\\`` a backslash, ``\\n``
  a line break; a backslash before a space or at the end of a line is kept as
  is (as Moodle does); any other escape (``\\d``, ``\\(`` …) is an error;
- the type is decided as Moodle does: ``{}`` essay, ``{#…}`` numerical, any ``~``
  multiple choice, ``=`` with ``->`` matching, ``T``/``TRUE``/``F``/``FALSE``
  (case-insensitive here) true/false, anything else short answer;
- multiple choice: ``=`` marks a 100 % answer and makes the question a
  single-answer one (Moodle's radio buttons); ``~%50%`` gives a weight; without
  any ``=`` the question has several answers and the positive weights must add
  up to 100 %; ``#`` starts an answer's feedback, ``####`` the general feedback;
- true/false: ``{TRUE#wrong#right}``: the first feedback is the one shown for a
  wrong answer, the second for the right one (Moodle's order).

Rejected, with the line of the question and a French reason, parsing going on
with the next block: essays, short answers, numerical, matching, descriptions,
missing-word questions (text after the answer block) and every syntax error
(unclosed ``{``, ``}`` without ``{``, several answer blocks, unknown escape,
unclosed ``::name``, text before the first answer, empty answer, fewer than two
answers, no correct answer, weights that are not Moodle grades or that do not
add up to 100 %, a weight after ``=`` other than 100 %). A text over
``MAX_CHARS`` is refused as a whole (``Rejected(where="fichier")``).

Export (``dump_gift``) writes what Moodle's exporter writes, always with the
stem's format (``[moodle]``, ``[html]`` …), ``[html]`` before options and
feedback unless the stem is HTML already, ``$CATEGORY: $course$/top/<path>``
when the category changes and ``// [id:…]`` / ``// [tag:…]`` comments; parsing
its output gives back the same questions. It raises ``ValueError`` for a
question that ``model.check_question`` refuses.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from .model import (
    FALSE_LABEL,
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

__all__ = ["MAX_CHARS", "dump_gift", "parse_gift"]

# Escaped control characters are replaced by Unicode noncharacters while the
# structure is parsed, then put back (Moodle does the same with "&&058;" …).
_CONTROL = "~=#{}:"
_PLACEHOLDERS = {c: chr(0xFDD0 + i) for i, c in enumerate(_CONTROL)}
_RESTORE = {ord(p): c for c, p in _PLACEHOLDERS.items()}
_NONCHARACTERS = {cp: None for cp in range(0xFDD0, 0xFDF0)}
_FORMATS = ("html", "moodle", "plain", "markdown")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_WEIGHT = re.compile(r"%\s*(-?\d+(?:[.,]\d+)?)\s*%")
_BAD_WEIGHT = re.compile(r"%[-+\s]*[\d.,]")
# Values are at most 255 characters long: this keeps the search linear.
_COMMENT_FIELD = re.compile(r"\[(id|tag):((?:\\.|[^\]\\]){0,255})\]")
MAX_CHARS = 20 * 1024 * 1024


class _GiftError(Exception):
    pass


class _Block:
    """The non-comment lines of a question (joined by newlines) and their line numbers."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.text = "\n".join(line for _, line in lines)
        self.numbers = [n for n, _ in lines]
        self.starts: list[int] = []
        offset = 0
        for _, line in lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def line_at(self, offset: int) -> int:
        return self.numbers[max(bisect.bisect_right(self.starts, offset) - 1, 0)]


def _blocks(text: str) -> Iterable[list[tuple[int, str]]]:
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(WS)
        if line:
            current.append((number, line))
        elif current:
            yield current
            current = []
    if current:
        yield current


def _escape(block: _Block) -> tuple[str, list[int]]:
    """The block's text with escapes resolved (escaped control characters as
    placeholders), and for each of its characters the offset it comes from."""
    text = block.text
    out: list[str] = []
    origin: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        origin.append(i)
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "\\":
            out.append("\\")
            i += 2
        elif nxt and nxt in _PLACEHOLDERS:
            out.append(_PLACEHOLDERS[nxt])
            i += 2
        elif nxt == "n":
            out.append("\n")
            i += 2
        elif nxt in ("", " ", "\t", "\n"):
            out.append("\\")
            i += 1
        else:
            raise _GiftError(
                f"séquence d'échappement inconnue « \\{nxt} » (ligne {block.line_at(i)}) ; "
                "seuls \\~ \\= \\# \\{ \\} \\: \\\\ et \\n existent, une barre oblique inverse s'écrit \\\\"
            )
    return "".join(out), origin


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _with_format(raw: str, default: str) -> tuple[str, str]:
    """(format, text) of a text that may start with ``[html]`` …; the text unescaped and trimmed."""
    raw = raw.strip(WS)
    if raw.startswith("["):
        end = raw.find("]")
        if end > 0 and raw[1:end] in _FORMATS:
            return raw[1:end], _restore(raw[end + 1 :]).strip(WS)
    return default, _restore(raw).strip(WS)


def _comment_fields(comments: list[str]) -> tuple[str, list[str]]:
    idnumber = ""
    tags: list[str] = []
    for comment in comments:
        for match in _COMMENT_FIELD.finditer(comment):
            value = re.sub(r"\\([\\\]])", r"\1", match.group(2)).strip(WS)
            if match.group(1) == "id":
                idnumber = idnumber or value
            elif value and value not in tags:
                tags.append(value)
    return idnumber, tags


def _answer_type(answers: str) -> str:
    """Moodle's choice of question type from the answer block (general feedback removed)."""
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return "multichoice"
    if "=" in answers and "->" in answers:
        return "match"
    if answers.split("#", 1)[0].strip(WS).upper() in _TF:
        return "truefalse"
    return "shortanswer"


def _weight(body: str, position: int) -> tuple[float | None, str]:
    """(fraction, rest) when the answer starts with ``%n%``; (None, body) when it has no weight."""
    match = _WEIGHT.match(body)
    if match:
        raw = match.group(1).replace(",", ".")
        fraction = normalise_fraction(float(raw))
        if fraction is None:
            raise _GiftError(invalid_fraction_reason(position, raw.replace(".", ",")))
        return fraction, body[match.end() :]
    if _BAD_WEIGHT.match(body):
        raise _GiftError(f"réponse n° {position} : poids mal écrit (forme attendue : ~%50%texte)")
    return None, body


def _multichoice(answers: str, stem_format: str) -> tuple[list[OptionData], bool]:
    positions = [i for i, c in enumerate(answers) if c in "~="]
    head = answers[: positions[0]].strip(WS)
    if head:
        raise _GiftError(
            f"texte avant la première réponse : « {_restore(head)[:40]} » (chaque réponse commence par = ou ~)"
        )
    single = "=" in answers
    options: list[OptionData] = []
    for number, start in enumerate(positions, start=1):
        end = positions[number] if number < len(positions) else len(answers)
        marker, body = answers[start], answers[start + 1 : end].strip(WS)
        fraction, body = _weight(body, number)
        if marker == "=":
            if fraction is not None and fraction != 100.0:
                raise _GiftError(
                    f"réponse n° {number} : « = » marque une réponse à 100 % ; "
                    f"écrire « ~%{format_fraction(fraction)}% » pour un poids partiel"
                )
            fraction = 100.0
        elif fraction is None:
            fraction = 0.0
        text, _, feedback = body.partition("#")
        text_format, text = _with_format(text, stem_format)
        feedback_format, feedback = _with_format(feedback, stem_format)
        html_text = to_html(text, text_format)
        if not html_text:
            raise _GiftError(f"réponse n° {number} vide")
        options.append(OptionData(html_text, fraction, to_html(feedback, feedback_format)))
    return options, single


def _truefalse(answers: str, stem_format: str) -> list[OptionData]:
    bits = answers.split("#", 2)
    is_true = _TF[bits[0].strip(WS).upper()]
    wrong_format, wrong = _with_format(bits[1] if len(bits) > 1 else "", stem_format)
    right_format, right = _with_format(bits[2] if len(bits) > 2 else "", stem_format)
    wrong, right = to_html(wrong, wrong_format), to_html(right, right_format)
    return [
        OptionData(TRUE_LABEL, 100.0 if is_true else 0.0, right if is_true else wrong),
        OptionData(FALSE_LABEL, 0.0 if is_true else 100.0, wrong if is_true else right),
    ]


def _question(block: _Block, comments: list[str], category: str, where: str) -> QuestionData:
    text, origin = _escape(block)
    name, base = "", 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _GiftError("nom de question non fermé : « :: » manquant (un « : » littéral s'écrit \\:)")
        name = _restore(text[2:end]).strip(WS)
        rest = text[end + 2 :]
        base = end + 2 + len(rest) - len(rest.lstrip(WS))
        text = rest.strip(WS)
    open_, close = text.find("{"), text.find("}")
    if open_ < 0 and close < 0:
        raise _GiftError(unsupported_type_reason("description") + " ; aucun bloc de réponses { }")
    if close < 0:
        raise _GiftError(
            f"accolade « {{ » non fermée (ligne {block.line_at(origin[base + open_])}) ; "
            "une accolade littérale s'écrit \\{"
        )
    if open_ < 0 or close < open_:
        raise _GiftError("accolade fermante « } » sans accolade ouvrante « { » ; une accolade littérale s'écrit \\}")
    inner_open = text.find("{", open_ + 1)
    if 0 <= inner_open < close:
        raise _GiftError("accolade « { » ouverte deux fois ; une accolade littérale s'écrit \\{")
    trailing = text[close + 1 :].strip(WS)
    if "{" in trailing or "}" in trailing:
        raise _GiftError("plusieurs blocs de réponses { } dans une même question (non pris en charge)")
    answers = text[open_ + 1 : close]
    general = ""
    separator = answers.rfind("####")
    if separator >= 0:
        answers, general = answers[:separator], answers[separator + 4 :]
    answers = answers.strip(WS)
    kind = _answer_type(answers)
    if kind not in ("multichoice", "truefalse"):
        raise _GiftError(unsupported_type_reason(kind))
    if trailing:
        raise _GiftError(
            unsupported_type_reason("missingword")
            + f" ; du texte suit le bloc de réponses : « {_restore(trailing)[:40]} »"
        )
    stem_format, stem = _with_format(text[:open_], "moodle")
    stem = stem_text(stem, stem_format)
    if not stem:
        raise _GiftError("énoncé vide")
    if kind == "multichoice":
        options, single = _multichoice(answers, stem_format)
    else:
        options, single = _truefalse(answers, stem_format), True
    problem = check_choices(kind, options, single)
    if problem:
        raise _GiftError(problem)
    general_format, general = _with_format(general, stem_format)
    idnumber, tags = _comment_fields(comments)
    question = QuestionData(
        kind=kind,
        name=name or default_name(stem, stem_format),
        stem=stem,
        stem_format=stem_format,
        options=options,
        single=single,
        general_feedback=to_html(general, general_format),
        category=category,
        tags=tags,
        idnumber=idnumber,
        where=where,
    )
    too_long = check_lengths(question)
    if too_long:
        raise _GiftError(too_long)
    return question


def parse_gift(text: str) -> ParseResult:
    """Parse a GIFT file: the accepted questions and, for each other block, where and why it was rejected."""
    if len(text) > MAX_CHARS:
        return ParseResult([], [Rejected("fichier", f"fichier trop volumineux (maximum {MAX_CHARS // 1048576} Mo)")])
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").translate(_NONCHARACTERS)
    result = ParseResult([], [])
    category = ""
    for lines in _blocks(text):
        comments = [line for _, line in lines if line.startswith("//")]
        content = [(n, line) for n, line in lines if not line.startswith("//")]
        if content and content[0][1].startswith("$CATEGORY:"):
            category = normalise_category(content[0][1][len("$CATEGORY:") :])
            content = content[1:]
        if not content:
            continue
        where = f"ligne {content[0][0]}"
        try:
            result.questions.append(_question(_Block(content), comments, category, where))
        except _GiftError as error:
            result.rejected.append(Rejected(where, str(error)))
    return result


# --- export ---------------------------------------------------------------------

_ESCAPES = str.maketrans(
    {"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}", ":": "\\:", "\n": "\\n", "\r": ""}
)


def _escaped(text: str) -> str:
    return text.translate(_ESCAPES)


def _html_part(text: str, stem_format: str) -> str:
    """An option or feedback (HTML) as GIFT: ``[html]`` unless the stem's format makes it HTML already."""
    prefix = "[html]" if stem_format != "html" or text.startswith("[") else ""
    return prefix + _escaped(text)


def _comment_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]").replace("\n", " ")


def _dump_question(q: QuestionData) -> list[str]:
    lines: list[str] = []
    if q.idnumber:
        lines.append(f"// [id:{_comment_value(q.idnumber)}]")
    if q.tags:
        lines.append("// " + " ".join(f"[tag:{_comment_value(tag)}]" for tag in q.tags))
    head = (f"::{_escaped(q.name)}::" if q.name else "") + f"[{q.stem_format}]{_escaped(q.stem)}"
    general = f"####{_html_part(q.general_feedback, q.stem_format)}" if q.general_feedback else ""
    if q.kind == "truefalse":
        is_true = q.options[0].fraction > 0
        right = q.options[0 if is_true else 1].feedback
        wrong = q.options[1 if is_true else 0].feedback
        answer = "TRUE" if is_true else "FALSE"
        if wrong or right:
            answer += "#" + (_html_part(wrong, q.stem_format) if wrong else "")
        if right:
            answer += "#" + _html_part(right, q.stem_format)
        lines.append(f"{head}{{{answer}{general}}}")
        return lines
    lines.append(head + "{")
    # Without any "~" the block would read as a short answer: when every option
    # is at 100 %, only the first is written "=", the others "~%100%".
    all_right = all(option.fraction == 100.0 for option in q.options)
    for position, option in enumerate(q.options):
        text = _html_part(option.text, q.stem_format)
        if option.fraction == 100.0 and q.single and not (all_right and position > 0):
            marker = "=%100%" if text.startswith("%") else "="
        elif option.fraction == 0.0 and not text.startswith("%"):
            marker = "~"
        else:
            marker = f"~%{format_fraction(option.fraction)}%"
        feedback = f"#{_html_part(option.feedback, q.stem_format)}" if option.feedback else ""
        lines.append(f"\t{marker}{text}{feedback}")
    if general:
        lines.append("\t" + general)
    lines.append("}")
    return lines


def dump_gift(questions: Iterable[QuestionData]) -> str:
    """GIFT text for the questions; raises ValueError for a question that is not valid."""
    out: list[str] = []
    category = ""
    for q in questions:
        problem = check_question(q)
        if problem:
            raise ValueError(f"question « {q.name} » : {problem}")
        if q.category != category:
            out += [f"$CATEGORY: {moodle_category(q.category)}", ""]
            category = q.category
        out += [*_dump_question(q), ""]
    return "\n".join(out)
