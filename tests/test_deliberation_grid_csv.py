"""The CSV grid: export and import from the jury pages, and
`manage.py deliberate` (simulation with --json, recording with --session),
malformed grids refused with line and column, nothing stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from c2i.deliberation import grid, services
from c2i.deliberation.models import CandidateOutcome, CompetencyDecision
from c2i.deliberation.rules import deliberate
from c2i.enrolment.models import EnrolmentStatus
from c2i.frameworks.models import Framework
from tests.deliberation_support import codes, publish_session_tests, submit, submit_all

pytestmark = pytest.mark.django_db


def c2i1_codes() -> list[str]:
    return codes("C2i1")


def write(tmp_path: Path, text: str, name: str = "grille.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("deliberate", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines()


def all_v_line(name: str, *extra: str, sep: str = ";") -> str:
    return sep.join([name, *(["V"] * 20), *extra])


def counts() -> tuple[int, int]:
    return CompetencyDecision.objects.count(), CandidateOutcome.objects.count()


class TestSimulation:
    def test_it_prints_one_json_object_per_candidate(self, demo, tmp_path) -> None:
        header = ";".join(["candidate", *c2i1_codes(), *(f"QCM:D{i}" for i in range(1, 6)), "acquis:D5"])
        lines = [
            header,
            all_v_line("certifie@example.fr", "75", "60", "50", "80,5", "90", ""),
            ";".join(["incomplet", "", *(["V"] * 19), "75", "75", "75", "75", "75", ""]),
            all_v_line("echec-qcm", "75", "75", "49.5", "75", "75", ""),
            ";".join(["capitalise", *(["V"] * 17), "", "", "", "75", "75", "75", "75", "", "1"]),
        ]
        before = counts()
        output = run("--framework", "C2i1", "--grid", write(tmp_path, "\n".join(lines)), "--json")
        assert counts() == before  # a simulation stores nothing
        objects = [json.loads(line) for line in output]
        assert [list(o) for o in objects] == [["candidate", "certified", "validated_domains", "reasons"]] * 4
        assert [(o["candidate"], o["certified"]) for o in objects] == [
            ("certifie@example.fr", True),
            ("incomplet", None),
            ("echec-qcm", False),
            ("capitalise", True),
        ]
        assert objects[0]["validated_domains"] == ["D1", "D2", "D3", "D4", "D5"]
        assert objects[2]["validated_domains"] == ["D1", "D2", "D4", "D5"]
        assert "R11 : D3 non validé — contrôle de connaissances à 49,5 % (seuil 50 %)" in objects[2]["reasons"]
        assert "R14 : D5 validé lors d'une session antérieure (capitalisé)" in objects[3]["reasons"]
        # exactly the engine's outcome, reasons in the engine's order
        policy = services.policy_for(Framework.objects.get(code="C2i1"))
        rows = grid.read_grid("\n".join(lines).encode(), "g.csv", policy)
        expected = grid.outcome_json(rows[2].candidate, deliberate(policy, rows[2].file()))
        assert output[2] == json.dumps(expected, ensure_ascii=False)
        assert output[1].startswith('{"candidate": "incomplet", "certified": null, "validated_domains": [')

    def test_it_reads_a_comma_separated_grid_with_decimal_commas(self, demo, tmp_path) -> None:
        header = ",".join(["candidate", *c2i1_codes(), *(f"QCM:D{i}" for i in range(1, 6))])
        line = ",".join(["x", *(["V"] * 20), '"62,5"', "75", "75", "75", "75"])
        output = run("--framework", "C2i1", "--grid", write(tmp_path, f"{header}\n{line}\n"), "--json")
        assert json.loads(output[0])["certified"] is True

    def test_it_prints_a_readable_table_without_json(self, demo, tmp_path) -> None:
        header = ";".join(["candidate", *c2i1_codes()])
        output = run("--framework", "C2i1", "--grid", write(tmp_path, f"{header}\n{all_v_line('x')}\n"))
        assert output[0].split()[:3] == ["x", "non", "certifié"]  # no test result: R11


MALFORMED = [
    # (grid rows after the header, expected place in the message)
    ("D9.9", None, "Ligne 1, colonne 3 (D9.9)"),
    (None, "x;OK", "Ligne 2, colonne 2 (D1.1)"),
    (None, "x;V\nx;NV", "Ligne 3, colonne 1 (candidate)"),
    ("QCM:D1", "x;V;120", "Ligne 2, colonne 3 (QCM:D1)"),
    ("QCM:D1", "x;V;abc", "Ligne 2, colonne 3 (QCM:D1)"),
    ("acquis:D9", None, "Ligne 1, colonne 3 (acquis:D9)"),
    ("acquis:D2", "x;V;2", "Ligne 2, colonne 3 (acquis:D2)"),
]


class TestMalformed:
    @pytest.mark.parametrize(("extra_column", "body", "place"), MALFORMED)
    def test_it_refuses_with_line_and_column(self, demo, tmp_path, extra_column, body, place) -> None:
        header = "candidate;D1.1" + (f";{extra_column}" if extra_column else "")
        text = header + "\n" + (body or "x;V")
        before = counts()
        for session in ([], ["--session", str(demo.institution_session("a").pk)]):
            with pytest.raises(CommandError) as error:
                run("--framework", "C2i1", "--grid", write(tmp_path, text), *session)
            assert place in str(error.value)
        assert counts() == before

    def test_it_refuses_an_unknown_candidate_into_a_session(self, demo, tmp_path) -> None:
        a1 = demo.candidate("candidat-a1")
        text = f"candidate;D1.1\n{a1.ine};NV\ninconnu@example.fr;NV\n"
        before = counts()
        with pytest.raises(CommandError) as error:
            run(
                "--framework",
                "C2i1",
                "--grid",
                write(tmp_path, text),
                "--session",
                str(demo.institution_session("a").pk),
            )
        assert "Ligne 3, colonne 1 (candidate)" in str(error.value)
        assert counts() == before


class TestIntoSession:
    def test_it_records_and_checks_r10_per_cell(self, demo, tmp_path) -> None:
        publish_session_tests(demo.institution_session("a"))
        a1 = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
        a2 = demo.candidate("candidat-a2").enrolments.get(status=EnrolmentStatus.ACTIVE)
        submit_all(a1)
        submit(a2, {"D1.1": "a", "D1.2": "b"})
        session = str(demo.institution_session("a").pk)
        header = ";".join(["candidate", *c2i1_codes()])
        refused = f"{header}\n{all_v_line(a1.candidate.ine)}\n{a2.candidate.email};V;V\n"
        before = counts()
        with pytest.raises(CommandError) as error:
            run("--framework", "C2i1", "--grid", write(tmp_path, refused), "--session", session)
        assert "Ligne 3, colonne 3 (D1.2) : R10 : D1.2 ne peut être validée sur le seul contrôle" in str(error.value)
        assert counts() == before
        accepted = f"{header}\n{all_v_line(a1.candidate.ine)}\n{a2.candidate.email};V;NV\n"
        output = run("--framework", "C2i1", "--grid", write(tmp_path, accepted), "--session", session, "--json")
        assert CompetencyDecision.objects.filter(enrolment__in=[a1, a2]).count() == 22
        assert [json.loads(line)["certified"] for line in output] == [True, None]
        assert CandidateOutcome.objects.get(enrolment=a1).status == "certified"


class TestFromThePages:
    def test_export_then_import(self, demo) -> None:
        publish_session_tests(demo.institution_session("a"), 66.5)
        a1 = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
        submit_all(a1)
        pk = demo.institution_session("a").pk
        client = demo.client("jury-a")
        exported = client.get(f"/jury/sessions/{pk}/grille.csv").content.decode("utf-8-sig")
        lines = exported.splitlines()
        header = lines[0].split(";")
        assert header[:3] == ["candidate", "nom", "D1.1"]
        assert "QCM:D3" in header and "acquis:D1" in header
        row = next(line.split(";") for line in lines if line.startswith(a1.candidate.ine))
        assert row[header.index("QCM:D1")] == "66,5"
        for code in c2i1_codes():
            row[header.index(code)] = "V"
        text = "\n".join([lines[0], ";".join(row)])
        upload = SimpleUploadedFile("grille.csv", text.encode("utf-8"), content_type="text/csv")
        response = client.post(f"/jury/sessions/{pk}/grille/import/", {"file": upload})
        assert response.status_code == 302
        assert CandidateOutcome.objects.get(enrolment=a1).status == "certified"
        again = client.get(f"/jury/sessions/{pk}/grille.csv").content.decode("utf-8-sig")
        assert ";".join(row) in again.splitlines()

    def test_a_refused_import_stores_nothing(self, demo) -> None:
        pk = demo.institution_session("a").pk
        upload = SimpleUploadedFile("grille.csv", b"candidate;D1.1;D7.1\nx;V;V\n", content_type="text/csv")
        response = demo.client("jury-a").post(f"/jury/sessions/{pk}/grille/import/", {"file": upload}, follow=True)
        assert "Ligne 1, colonne 3 (D7.1)" in response.content.decode()
        assert not CompetencyDecision.objects.filter(institution_session_id=pk).exists()
