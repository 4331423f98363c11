"""The correspondent's import of candidates (R6: invitations), CSV and XLSX,
and the exports of the enrolments. An import makes invitations holding what
the institution typed, never candidate records (issue 10: see
test_import_privacy.py)."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus, Invitation, InvitationStatus

pytestmark = pytest.mark.django_db

HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"
GOOD = [
    "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non",
    "N'Diaye;Moussa;2002-11-30;Dakar (Sénégal);moussa.ndiaye@etu.example.fr;1234567890V;étudiant;oui",
    "Roche;Pascale;05/07/1978;Brest;pascale.roche@example.fr;;formation_continue;",
]


def post(demo, lines: list[str], *, only_valid: bool = False, name: str = "liste.csv", raw: bytes | None = None):
    data = raw if raw is not None else ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")
    upload = io.BytesIO(data)
    upload.name = name
    payload = {"file": upload}
    if only_valid:
        payload["only_valid"] = "on"
    return demo.client("correspondant-a").post(f"/gestion/sessions/{demo.institution_session('a').pk}/import/", payload)


class TestImport:
    def test_it_invites_every_line_of_a_valid_csv(self, demo) -> None:
        response = post(demo, GOOD)
        assert response.status_code == 302
        invited = Invitation.objects.filter(
            institution_session=demo.institution_session("a"),
            state=InvitationStatus.PENDING,
            email__endswith="example.fr",
        )
        assert invited.filter(last_name__in=["Lambert", "N'Diaye", "Roche"]).count() == 3
        assert invited.get(last_name="N'Diaye").special_curriculum
        assert not Candidate.objects.filter(email__endswith="example.fr").exists()  # nobody's record is made

    def test_it_reports_every_wrong_line_and_imports_nothing(self, demo) -> None:
        before = Candidate.objects.count(), Enrolment.objects.count(), Invitation.objects.count()
        bad = [
            *GOOD,
            "Martin;;31/02/2001;Lyon;pas-un-email;12345;stagiaire;peut-être",
            "Lambert;Océane;12/03/2003;Annecy;autre@example.fr;;etudiant;non",
        ]
        response = post(demo, bad)
        assert response.status_code == 400
        html = response.content.decode()
        for column in ("prenoms", "date_naissance", "email", "ine", "statut", "cursus_particulier"):
            assert f'<td class="c2i-num">5</td><td>{column}</td>' in html, column
        assert '<td class="c2i-num">6</td><td>—</td><td>même candidat qu&#x27;à la ligne 2</td>' in html
        assert (Candidate.objects.count(), Enrolment.objects.count(), Invitation.objects.count()) == before

    def test_it_imports_only_the_valid_lines_when_asked(self, demo) -> None:
        response = post(demo, [*GOOD, "Martin;Paul;01/01/2001;Lyon;pas-un-email;;etudiant;non"], only_valid=True)
        assert response.status_code == 200
        assert '<td class="c2i-num">5</td><td>email</td>' in response.content.decode()
        assert (
            Invitation.objects.filter(email__in=["oceane.lambert@etu.example.fr", "pascale.roche@example.fr"]).count()
            == 2
        )
        assert not Invitation.objects.filter(last_name="Martin", first_names="Paul").exists()

    def test_it_reads_an_xlsx_file(self, demo) -> None:
        book = Workbook()
        sheet = book.active
        for line in [HEADER, *GOOD]:
            sheet.append(line.split(";"))
        buffer = io.BytesIO()
        book.save(buffer)
        response = post(demo, [], name="liste.xlsx", raw=buffer.getvalue())
        assert response.status_code == 302
        assert Invitation.objects.filter(email="pascale.roche@example.fr").exists()

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b"", "Le fichier soumis est vide"),
            (b"nom;prenoms\nDupont;Jean\n", "colonne(s) manquante(s)"),
            (HEADER.encode() + b"\n", "aucune ligne"),
            (b"PK\x03\x04garbage", "XLSX"),
        ],
    )
    def test_it_refuses_an_unreadable_file_with_a_reason(self, demo, raw: bytes, message: str) -> None:
        before = Invitation.objects.count()
        response = post(demo, [], raw=raw)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert Invitation.objects.count() == before

    def test_an_imported_candidate_confirms_from_their_space(self, demo) -> None:
        post(demo, GOOD)
        from c2i.enrolment.registration import register_candidate

        user = register_candidate(
            email="oceane.lambert@etu.example.fr",
            password="motdepasse-solide-1",
            last_name="Lambert",
            first_names="Océane",
            birth_date=dt.date(2003, 3, 12),
            birth_place="Annecy",
            ine="",
            status="student",
        )
        invitation = Invitation.objects.get(email="oceane.lambert@etu.example.fr")
        client = demo.client(user.username)
        assert "Confirmer mon inscription" in client.get("/mon-espace/certification/").content.decode()
        client.post(f"/mon-espace/invitations/{invitation.pk}/confirmer/")
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.CONFIRMED
        assert invitation.enrolment is not None and invitation.enrolment.candidate == user.candidate
        assert invitation.enrolment.status == EnrolmentStatus.ACTIVE


class TestExport:
    def test_it_exports_the_filtered_enrolments_as_csv(self, demo) -> None:
        url = f"/gestion/sessions/{demo.institution_session('a').pk}/?status=active&export=csv"
        response = demo.client("correspondant-a").get(url)
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][0] == "nom"
        active = Enrolment.objects.filter(institution_session=demo.institution_session("a"), status="active")
        assert sorted(r[0] for r in rows[1:]) == sorted(e.candidate.last_name for e in active)
        assert all(r[8] == "inscrit" for r in rows[1:])

    def test_it_exports_xlsx(self, demo) -> None:
        url = f"/gestion/sessions/{demo.institution_session('a').pk}/?export=xlsx"
        response = demo.client("correspondant-a").get(url)
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet["A1"].value == "nom"
        assert sheet.max_row > 10
