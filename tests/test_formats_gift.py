"""GIFT import/export (c2i.assessment.formats.gift): Moodle's and gift-pegjs's files
as an outside oracle (read from ../shared/fixtures), hand-written bad cases and a
round-trip property. Pure: no database."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2i.assessment.formats.gift import dump_gift, parse_gift
from c2i.assessment.formats.model import (
    FALSE_LABEL,
    STEM_FORMATS,
    TRUE_LABEL,
    WS,
    OptionData,
    ParseResult,
    QuestionData,
    competency_code,
    normalise_fraction,
    stem_text,
    to_html,
)

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
MOODLE_GIFT = FIXTURES / "moodle-gift"
PEGJS = FIXTURES / "gift-pegjs" / "questions"


def summary(result: ParseResult) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    return (
        [(q.where, q.kind, q.name) for q in result.questions],
        [(r.where, r.reason) for r in result.rejected],
    )


def unsupported(label: str) -> str:
    return f"type de question non pris en charge : {label}"


# --- Moodle's own GIFT files --------------------------------------------------------


def test_moodle_questions_gift() -> None:
    result = parse_gift((MOODLE_GIFT / "questions.gift.txt").read_text(encoding="utf-8"))
    accepted, rejected = summary(result)
    assert accepted == [
        ("ligne 14", "multichoice", "Q2"),
        ("ligne 22", "multichoice", "colours"),
        ("ligne 46", "truefalse", "2-08 TSL"),
        ("ligne 49", "truefalse", "2-08 TSL"),
    ]
    assert [(where, reason.split(" ; ")[0]) for where, reason in rejected] == [
        ("ligne 2", unsupported("rédaction (essay)")),
        ("ligne 5", unsupported("appariement (matching)")),
        ("ligne 31", unsupported("numérique (numerical)")),
        ("ligne 34", unsupported("réponse courte (short answer)")),
        # the true/false question is followed by a stray `";`: a missing-word question
        ("ligne 41", unsupported("mot manquant (missing word)")),
    ]
    assert '« "; »' in rejected[-1][1]

    q2, colours, tsl, _ = result.questions
    assert q2.single and q2.stem == "What's between orange and green in the spectrum?"
    assert [(o.text, o.fraction, o.feedback) for o in q2.options] == [
        ("yellow", 100.0, "right; good!"),
        ("red", 0.0, "wrong, it's yellow"),  # [html] feedback
        ("blue", 0.0, "wrong, it's yellow"),  # [plain] answer
    ]
    assert q2.correct == {0}
    assert not colours.single
    assert [(o.text, o.fraction) for o in colours.options] == [
        ("yellow", 50.0),
        ("red", -100.0),
        ("off-beige", 50.0),
        ("blue", -100.0),
    ]
    assert colours.correct == {0, 2}
    assert [(o.text, o.fraction) for o in tsl.options] == [(TRUE_LABEL, 100.0), (FALSE_LABEL, 0.0)]
    assert tsl.correct == {0}


def test_moodle_questions_in_category_gift() -> None:
    result = parse_gift((MOODLE_GIFT / "questions_in_category.gift.txt").read_text(encoding="utf-8"))
    accepted, rejected = summary(result)
    assert accepted == [("ligne 14", "multichoice", "Greeting"), ("ligne 27", "truefalse", "Moodle acronym")]
    assert rejected == [
        ("ligne 5", unsupported("appariement (matching)")),
        ("ligne 22", unsupported("réponse courte (short answer)")),  # {=%100%Moodler#}
    ]
    greeting, acronym = result.questions
    assert {q.category for q in result.questions} == {"Default for New Features"}  # "$course$/" stripped
    assert greeting.stem_format == "html"
    assert greeting.stem.startswith('<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3"')  # \= \: unescaped
    assert "Listen to this greeting:</a>" in greeting.stem
    assert [o.text for o in greeting.options] == ["English", "French", "German", "Spanish"]
    assert greeting.correct == {1}
    assert '<span style="font-style:italic">' in acronym.stem
    assert acronym.options[0].fraction == 100.0


# --- gift-pegjs: 51 inputs with the parse expected by another parser --------------------

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def norm(text: str | None) -> str:
    """Visible text, whitespace collapsed: sanitised HTML and raw HTML compare equal."""
    if not text:
        return ""
    return " ".join(html.unescape(_TAG.sub(" ", _COMMENT.sub("", text))).split())


def expected_fraction(choice: dict[str, Any]) -> float:
    if choice["weight"] is not None:
        return float(choice["weight"])
    return 100.0 if choice["isCorrect"] else 0.0


def is_imported(entry: dict[str, Any]) -> bool:
    return entry["type"] in ("MC", "TF") and not entry.get("hasEmbeddedAnswers")


def check_against_pegjs(q: QuestionData, expected: dict[str, Any]) -> None:
    assert q.kind == {"MC": "multichoice", "TF": "truefalse"}[expected["type"]]
    if expected["title"] is not None:
        assert q.name == expected["title"]
    assert q.stem_format == expected["stem"]["format"]
    assert norm(q.stem) == norm(expected["stem"]["text"])
    assert norm(q.general_feedback) == norm((expected.get("globalFeedback") or {}).get("text"))
    assert q.idnumber == (expected["id"] or "")
    assert q.tags == (expected["tags"] or [])
    if expected["type"] == "MC":
        assert [norm(o.text) for o in q.options] == [norm(c["text"]["text"]) for c in expected["choices"]]
        for option, choice in zip(q.options, expected["choices"], strict=True):
            assert normalise_fraction(expected_fraction(choice)) == option.fraction
            assert norm(option.feedback) == norm((choice["feedback"] or {}).get("text"))
    else:
        right = 0 if expected["isTrue"] else 1
        assert q.correct == {right}
        # gift-pegjs names the feedbacks by position: {T#first#second}. Moodle shows the
        # first to a candidate who chose the wrong answer, the second to one who chose the right one.
        assert norm(q.options[1 - right].feedback) == norm((expected["trueFeedback"] or {}).get("text"))
        assert norm(q.options[right].feedback) == norm((expected["falseFeedback"] or {}).get("text"))


PEGJS_FILES = sorted(PEGJS.glob("*.gift"))


def test_all_pegjs_pairs_are_there() -> None:
    assert len(PEGJS_FILES) == 51
    assert all(path.with_suffix(".json").exists() for path in PEGJS_FILES)


@pytest.mark.parametrize("path", PEGJS_FILES, ids=lambda p: p.stem)
def test_gift_pegjs_pair(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    result = parse_gift(path.read_text(encoding="utf-8"))
    imported = [e for e in expected if is_imported(e)]
    others = [e for e in expected if not is_imported(e) and e["type"] != "Category"]
    # MC/TF questions agree with the expected parse; every other question is a rejection, not a crash.
    assert len(result.questions) == len(imported), [r.reason for r in result.rejected]
    assert len(result.rejected) == len(others)
    for q, e in zip(result.questions, imported, strict=True):
        check_against_pegjs(q, e)
    for rejected, e in zip(result.rejected, others, strict=True):
        assert rejected.where.startswith("ligne ")
        assert rejected.reason.startswith("type de question non pris en charge"), (e["type"], rejected.reason)


def test_pegjs_only_mc_tf_files_are_fully_accepted() -> None:
    only_mc_tf = []
    for path in PEGJS_FILES:
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if expected and all(is_imported(e) for e in expected):
            result = parse_gift(path.read_text(encoding="utf-8"))
            assert not result.rejected, path.name
            only_mc_tf.append(path.stem)
    assert len(only_mc_tf) == 21


def test_pegjs_categories() -> None:
    text = (PEGJS / "categorySpecialCharacter.gift").read_text(encoding="utf-8") + "\n\nQ ?{T}\n"
    assert parse_gift(text).questions[0].category == "Default for Unit 1: Topic"  # "$course$/top/" stripped


def test_pegjs_escapes() -> None:
    q = parse_gift((PEGJS / "escapeAll.gift").read_text(encoding="utf-8")).questions[0]
    assert [o.text for o in q.options] == ["~", "=", "#", "{", "}", ":", "\\"]  # "\ " stays a backslash
    assert q.correct == {6}
    q = parse_gift((PEGJS / "multipleAnswersFloat.gift").read_text(encoding="utf-8")).questions[0]
    assert [o.fraction for o in q.options] == [33.33333, 33.33333, -100.0, 33.33333, -100.0]
    assert not q.single and q.correct == {0, 1, 3}
    q = parse_gift((PEGJS / "escapeColon.gift").read_text(encoding="utf-8")).questions[0]
    assert q.single and q.correct == {0, 1, 2, 3}  # several "=": Moodle's radio, each fully right


# --- hand-written cases ---------------------------------------------------------------


def one(text: str) -> QuestionData:
    result = parse_gift(text)
    assert not result.rejected, result.rejected
    assert len(result.questions) == 1
    return result.questions[0]


def reason(text: str) -> str:
    result = parse_gift(text)
    assert not result.questions
    assert len(result.rejected) == 1
    return result.rejected[0].reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q {=a ~b", "accolade « { » non fermée (ligne 1)"),
        ("Q\n{=a\n~b", "accolade « { » non fermée (ligne 2)"),
        ("Q =a ~b}", "accolade fermante « } » sans accolade ouvrante"),
        ("Q } {=a ~b}", "accolade fermante « } » sans accolade ouvrante"),
        ("Q {=a {~b}", "accolade « { » ouverte deux fois"),
        ("Q {=a ~b} et {=c ~d}", "plusieurs blocs de réponses"),
        ("::sans fin Q {=a ~b}", "nom de question non fermé"),
        ("Q {~ ~b =c}", "réponse n° 1 vide"),
        ("Q {~[html]<script>x</script> =c}", "réponse n° 1 vide"),
        ("Q {~a}", "au moins 2 réponses"),
        ("Q {~a ~b ~c}", "aucune réponse correcte"),
        ("Q {~%-50%a ~b}", "aucune réponse correcte"),
        ("Q {~%50%a ~%25%b ~c}", "les poids positifs totalisent 75 % au lieu de 100 %"),
        ("Q {~%33%a ~%33%b ~%34%c}", "réponse n° 1 : note « 33 % » invalide"),
        ("Q {=a ~%45%b}", "réponse n° 2 : note « 45 % » invalide"),
        ("Q {~%5O%a ~%50%b}", "réponse n° 1 : poids mal écrit"),
        ("Q {=%50%a ~b}", "« = » marque une réponse à 100 %"),
        ("Q {a ~b =c}", "texte avant la première réponse : « a »"),
        ("Q \\d {=a ~b}", "séquence d'échappement inconnue « \\d » (ligne 1)"),
        ("Q\nligne deux \\( x \\) {=a ~b}", "séquence d'échappement inconnue « \\( » (ligne 2)"),
        ("[html]<script>alert(1)</script>{=a ~b}", "énoncé vide"),
        ("::seul titre::{=a ~b}", "énoncé vide"),
        ("Q {}", unsupported("rédaction (essay)")),
        ("Q {####retour}", unsupported("rédaction (essay)")),
        ("Q {#12:1}", unsupported("numérique (numerical)")),
        ("Q {=a -> b =c -> d}", unsupported("appariement (matching)")),
        ("Q {=oui =si}", unsupported("réponse courte (short answer)")),
        ("Q {oui}", unsupported("réponse courte (short answer)")),
        ("Juste un texte", unsupported("description (texte sans réponse)")),
        ("Q {~a =b} suite.", unsupported("mot manquant (missing word)")),
        ("Q {T}.", unsupported("mot manquant (missing word)")),
    ],
)
def test_bad_questions_are_rejected_with_a_reason(text: str, expected: str) -> None:
    assert expected in reason(text)


def test_parsing_goes_on_after_an_error() -> None:
    text = """// un fichier mêlé
$CATEGORY: $course$/top/C2i1/D1/D1.2

::Bonne::Quelle est la bonne réponse ?{=oui ~non ~peut-être}

::Ouverte::Q {=a ~b

::Suivante::Q2 {=c ~d}

::Rédaction::Expliquez. {}

::Appariement::Associez.{=a -> 1 =b -> 2}

::Poids::Q3 {~%50%a ~%40%b ~c}

::VF::La Terre est plate.{F#Non, elle est ronde.#Exact.}
"""
    result = parse_gift(text)
    accepted, rejected = summary(result)
    assert accepted == [
        ("ligne 4", "multichoice", "Bonne"),
        ("ligne 8", "multichoice", "Suivante"),
        ("ligne 16", "truefalse", "VF"),
    ]
    assert [where for where, _ in rejected] == ["ligne 6", "ligne 10", "ligne 12", "ligne 14"]
    assert "non fermée" in rejected[0][1]
    assert "90 %" in rejected[3][1]
    assert {q.category for q in result.questions} == {"C2i1/D1/D1.2"}
    assert {competency_code(q) for q in result.questions} == {"D1.2"}
    vf = result.questions[2]
    # {F#wrong#right}: "Non…" is shown to whoever answered « Vrai », "Exact." to whoever answered « Faux ».
    assert [(o.text, o.fraction, o.feedback) for o in vf.options] == [
        (TRUE_LABEL, 0.0, "Non, elle est ronde."),
        (FALSE_LABEL, 100.0, "Exact."),
    ]


HOSTILE = ("{", "}", "{{{{", "}}}}", "::", "::::", "\\", "\\\\\\", "~=#", "{~}", "{=}", "{#}", "%%%", "\x00\ufdd0")


def test_hostile_input_never_crashes() -> None:
    for text in HOSTILE:
        result = parse_gift(text)
        assert not result.questions or all(q.kind in ("multichoice", "truefalse") for q in result.questions)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}~=#:\\%[]->/ \naTFbé\t*_0123456789$")), max_size=120))
def test_any_text_parses_without_crash(text: str) -> None:
    result = parse_gift(text)
    for q in result.questions:
        assert q.kind in ("multichoice", "truefalse")
        assert len(q.options) >= 2 and q.correct
    for r in result.rejected:
        assert r.where.startswith("ligne ") and r.reason


def test_size_limit_and_linear_comment_search(monkeypatch: pytest.MonkeyPatch) -> None:
    from c2i.assessment.formats import gift

    assert gift.MAX_CHARS == 20 * 1024 * 1024
    many = "// " + "[tag:" * 200_000 + "\nQ ?{T}\n"
    assert one(many).tags == []  # no closing bracket: nothing, and quickly
    monkeypatch.setattr(gift, "MAX_CHARS", 100)
    result = parse_gift("Q ?{T}\n" * 20)
    assert [(r.where, r.reason) for r in result.rejected] == [("fichier", "fichier trop volumineux (maximum 0 Mo)")]


def test_comments_id_tags_and_lines() -> None:
    text = (
        "// en-tête\n\n// [id:C2i-001]\n// [tag:competence:d1.2] [tag:facile] [tag:a\\]b] [tag:C:\\dir\\\\]\n"
        "::Q1::Combien ?{\n=deux#bien\n~trois\n####Parce que.\n}\n"
    )
    q = one(text)
    assert q.where == "ligne 5"
    assert q.idnumber == "C2i-001"
    assert q.tags == ["competence:d1.2", "facile", "a]b", "C:\\dir\\"]  # Moodle escapes only "]"
    assert competency_code(q) == "D1.2"
    assert q.general_feedback == "Parce que."
    assert q.options[0].feedback == "bien"


def test_windows_line_endings_and_bom() -> None:
    q = one("\ufeff// c\r\n::N::Énoncé\r\n{\r\n=a\r\n~b\r\n}\r\n")
    assert (q.name, q.stem, q.where) == ("N", "Énoncé", "ligne 2")


def test_escapes_and_newlines() -> None:
    q = one("::A\\:B::Ligne 1\\nLigne 2 \\\\ \\{x\\} \\~ \\= \\#{=a\\#b ~c}")
    assert q.name == "A:B"
    assert q.stem == "Ligne 1\nLigne 2 \\ {x} ~ = #"
    assert q.options[0].text == "a#b"


def test_formats() -> None:
    q = one("[plain]a < b ?{=[markdown]**x** & y ~[html]<b>z</b> ~w}")
    assert (q.stem_format, q.stem) == ("plain", "a < b ?")  # plain stems are kept as given
    assert [o.text for o in q.options] == ["**x** &amp; y", "<b>z</b>", "w"]  # options are HTML
    q = one("[markdown]Un *mot* ?{T}")
    assert (q.stem_format, q.stem) == ("markdown", "Un *mot* ?")
    assert one("[unknown]Q ?{T}").stem == "[unknown]Q ?"  # not a format: part of the text
    assert one("Q ?{T}").stem_format == "moodle"


def test_html_is_sanitised() -> None:
    q = one(
        '[html]<p onclick="steal()">Q <script>alert(1)</script><img src="https://ex.fr/a.png" alt="a" '
        'onerror="x()"><style>p\\{\\}</style></p>{=<a href\\="javascript\\:alert(1)">a</a>'
        '#<iframe src\\="x"></iframe>ok '
        "~<b>gras</b>}"
    )
    assert q.stem == '<p>Q <img src="https://ex.fr/a.png" alt="a"></p>'
    assert q.options[0].text == '<a rel="noopener noreferrer">a</a>'
    assert q.options[0].feedback == "ok"
    assert q.options[1].text == "<b>gras</b>"


def test_default_name_from_stem() -> None:
    assert one("[html]<p>Quelle   est la <b>capitale</b> ?</p>{=Paris ~Lyon}").name == "Quelle est la capitale ?"


def test_lowercase_true_false_and_weights_rounded() -> None:
    assert one("Q ?{true}").correct == {0}
    q = one("Q {~%33.33%a ~%33.333%b ~%33,33333%c ~%-100%d}")
    assert [o.fraction for o in q.options] == [33.33333, 33.33333, 33.33333, -100.0]


def test_competency_code_rule() -> None:
    def q(category: str = "", tags: list[str] | None = None) -> QuestionData:
        return QuestionData("truefalse", "n", "s", "plain", [], True, category=category, tags=tags or [])

    assert competency_code(q("C2i1/D1/D1.2")) == "D1.2"
    assert competency_code(q("C2i2e/A/a2.3")) == "A2.3"
    assert competency_code(q("C2i1-2008/B1-4")) == "B1-4"
    assert competency_code(q("C2i2e/A.1-1")) == "A.1-1"
    assert competency_code(q("C2i1/D1")) is None
    assert competency_code(q("Default for C1")) is None
    assert competency_code(q("")) is None
    assert competency_code(q("C2i1/D1/D1.2", ["facile", "Compétence: d3.1 "])) == "D3.1"
    assert competency_code(q("", ["competency:B1.1"])) == "B1.1"


def test_dump_refuses_invalid_questions() -> None:
    bad = QuestionData("multichoice", "n", "s", "plain", [OptionData("a", 0.0), OptionData("b", 0.0)], False)
    with pytest.raises(ValueError, match="aucune réponse correcte"):
        dump_gift([bad])
    with pytest.raises(ValueError, match="non pris en charge"):
        dump_gift([dataclasses.replace(bad, kind="essay")])


def test_dump_looks_like_moodle() -> None:
    q = QuestionData(
        "multichoice",
        "Q: 1",
        "Combien font 1+1 = ?",
        "moodle",
        [OptionData("2", 100.0, "oui"), OptionData("{3}", 0.0), OptionData("%4", 0.0)],
        True,
        general_feedback="Calcul.",
        category="C2i1/D1/D1.2",
        tags=["competence:D1.2"],
        idnumber="x1",
    )
    assert dump_gift([q]) == (
        "$CATEGORY: $course$/top/C2i1/D1/D1.2\n\n"
        "// [id:x1]\n// [tag:competence:D1.2]\n"
        "::Q\\: 1::[moodle]Combien font 1+1 \\= ?{\n"
        "\t=[html]2#[html]oui\n\t~[html]\\{3\\}\n\t~[html]%4\n\t####[html]Calcul.\n}\n"
    )


# --- round trip -------------------------------------------------------------------------

SPECIALS = list("~=#{}:\\<>&\"'%[]/-*_\n\t éèêàçùôîœÉÈÀÇ«»’…")
SNIPPETS = [
    "<b>gras</b>",
    "<p>para</p>",
    "<script>alert(1)</script>",
    '<a href="https://exemple.fr/?a=1&b=2">lien</a>',
    '<img src="https://exemple.fr/i.png" alt="i">',
    "a < b && c > d",
    "// pas un commentaire",
    "[html]",
    "%50%",
    "$CATEGORY: x",
    "::",
    "####",
    "->",
]
chars = st.one_of(st.sampled_from(SPECIALS), st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")))
raw_text = st.lists(st.one_of(st.text(chars, min_size=1, max_size=15), st.sampled_from(SNIPPETS)), max_size=4).map(
    "".join
)
label = st.text(st.sampled_from(list("abcdeéèABC012 -_.:[]\\")), min_size=1, max_size=10).map(lambda s: s.strip(WS))
segment = st.text(st.sampled_from(list("abcDéè12 .-_")), min_size=1, max_size=8).map(lambda s: s.strip(WS))
category = st.lists(segment.filter(lambda s: s not in ("", "top")), max_size=3).map("/".join)
WRONG = [0.0, 0.0, -100.0, -50.0, -33.33333, -14.28571]
MULTI_RIGHT = [[100.0], [50.0, 50.0], [33.33333] * 3, [25.0] * 4, [40.0, 60.0], [83.33333, 16.66667], [14.28571] * 7]


@st.composite
def question(draw: st.DrawFn) -> QuestionData:
    stem_format = draw(st.sampled_from(STEM_FORMATS))
    kind = draw(st.sampled_from(["multichoice", "truefalse"]))

    def html_text(fallback: str = "") -> str:
        return to_html(draw(raw_text), "html") or fallback

    if kind == "truefalse":
        is_true = draw(st.booleans())
        options = [
            OptionData(TRUE_LABEL, 100.0 if is_true else 0.0, html_text()),
            OptionData(FALSE_LABEL, 0.0 if is_true else 100.0, html_text()),
        ]
        single = True
    else:
        single = draw(st.booleans())
        if single:
            right = [100.0] * draw(st.integers(1, 2))
            others = draw(st.lists(st.sampled_from([*WRONG, 50.0, 12.5]), max_size=4))
        else:
            right = draw(st.sampled_from(MULTI_RIGHT))
            others = draw(st.lists(st.sampled_from(WRONG), max_size=3))
        fractions = draw(st.permutations(right + others + ([0.0] if len(right + others) < 2 else [])))
        options = [OptionData(html_text("x"), fraction, html_text()) for fraction in fractions]
    return QuestionData(
        kind=kind,
        name=draw(raw_text).strip(WS) or "nom",
        stem=stem_text(draw(raw_text), stem_format) or "énoncé",
        stem_format=stem_format,
        options=options,
        single=single,
        general_feedback=html_text(),
        category=draw(category),
        tags=draw(st.lists(label.filter(bool), unique=True, max_size=3)),
        idnumber=draw(label),
    )


questions = st.lists(question(), min_size=1, max_size=4)


def without_where(qs: list[QuestionData]) -> list[QuestionData]:
    return [dataclasses.replace(q, where="") for q in qs]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions)
def test_round_trip(qs: list[QuestionData]) -> None:
    text = dump_gift(qs)
    result = parse_gift(text)
    assert not result.rejected, (text, result.rejected)
    assert without_where(result.questions) == qs


@pytest.mark.parametrize("name", ["questions.gift.txt", "questions_in_category.gift.txt"])
def test_round_trip_of_moodle_files(name: str) -> None:
    first = parse_gift((MOODLE_GIFT / name).read_text(encoding="utf-8")).questions
    again = parse_gift(dump_gift(first))
    assert not again.rejected
    assert without_where(again.questions) == without_where(first)


@pytest.mark.parametrize("path", PEGJS_FILES, ids=lambda p: p.stem)
def test_round_trip_of_pegjs_files(path: Path) -> None:
    first = parse_gift(path.read_text(encoding="utf-8")).questions
    again = parse_gift(dump_gift(first))
    assert not again.rejected
    assert without_where(again.questions) == without_where(first)
