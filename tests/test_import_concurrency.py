"""Issue 10, « concurrent edits »: two correspondents (or two tabs) import
into one session at the same moment. No line is lost, none is invited twice,
and the import that comes second is told, line by line, in French, which of
its lines another import had already invited.

Threads on real connections: PostgreSQL's own, or, on SQLite, a copy of the
test database in a file (WAL mode, as `make run` serves it) with one
connection per thread, as a threaded server has. The database's constraints
are tested on their own too: when an import cannot see what another one is
inserting, the constraint refuses, and nothing of the second file is stored.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from c2i.accounts.models import Membership, Role, User
from c2i.enrolment import importing
from c2i.enrolment.models import Invitation, InvitationStatus
from c2i.lib.errors import DomainError
from tests.concurrency_support import Threads

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"


def line(n: int, curriculum: str = "non") -> str:
    return f"Concurrent{n};Camille;0{n}/02/2001;Nantes;camille.{n}@example.fr;;etudiant;{curriculum}"


def csv_file(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


@pytest.fixture
def threads(demo, tmp_path: Path) -> Threads:
    return Threads(tmp_path)


def second_correspondent(demo) -> User:
    user = User.objects.create_user("correspondant-a2", "correspondant-a2@c2i-demo.fr", "motdepasse-solide-1")
    user.first_name, user.last_name = "Paul", "Renaud"
    user.save()
    Membership.objects.create(user=user, role=Role.CORRESPONDENT, institution=demo.institution("a"))
    return user


class TestTwoImportsAtOnce:
    def test_two_correspondents_lose_nothing_duplicate_nothing_and_the_second_is_told(
        self, demo, tmp_path: Path
    ) -> None:
        session = demo.institution_session("a")
        other = second_correspondent(demo)
        threads = Threads(tmp_path)  # after the second correspondent is made: the copy holds them
        people = [("correspondant-a", [1, 2, 3, 4]), (other.username, [3, 4, 5, 6])]

        def importer(username: str, numbers: list[int]) -> Callable[[], Any]:
            def post() -> Any:
                client = Client()
                client.force_login(User.objects.get(username=username))
                upload = io.BytesIO(csv_file(*(line(n) for n in numbers)))
                upload.name = "liste.csv"
                return client.post(f"/gestion/sessions/{session.pk}/import/", {"file": upload})

            return post

        responses = threads.run([importer(u, numbers) for u, numbers in people])
        assert all(getattr(r, "status_code", None) in (200, 302) for r in responses), responses
        # the first import is redirected to the session (nothing to report); the second shows its report
        (told,) = [r for r in responses if r.status_code == 200]
        html = told.content.decode()
        assert "2 invitation(s) créée(s), 2 candidat(s) déjà invité(s)" in html
        assert "Lignes sans effet" in html
        assert html.count("attend déjà sa réponse dans cette session") == 2
        first = User.objects.get(username="correspondant-a") if told is responses[1] else other
        winner = first.get_full_name()  # who imported the lines first
        assert f"par {winner}" in html

        counted = threads.run([lambda: self.invited_numbers(session)])[0]
        assert counted == [1, 2, 3, 4, 5, 6]  # each line once: none lost, none twice

    @staticmethod
    def invited_numbers(session) -> list[int]:
        emails = Invitation.objects.filter(
            institution_session=session, state=InvitationStatus.PENDING, email__startswith="camille."
        ).values_list("email", flat=True)
        return sorted(int(e.split(".")[1].split("@")[0]) for e in emails)

    def test_the_same_file_twice_at_once_invites_each_line_once(self, demo, threads: Threads) -> None:
        """Two tabs sending one file: one import invites, the other reports."""
        session = demo.institution_session("a")
        actor = demo.user("correspondant-a")
        data = csv_file(*(line(n) for n in range(1, 9)))
        reports = threads.run([lambda: importing.import_candidates(session, data, "liste.csv", actor)] * 2)
        assert all(isinstance(r, importing.ImportReport) for r in reports), reports
        assert sorted((r.invited, r.already) for r in reports) == [(0, 8), (8, 0)]
        loser = next(r for r in reports if r.already)
        assert [n.line for n in loser.notices] == list(range(2, 10))
        assert all("attend déjà sa réponse" in n.message for n in loser.notices)
        assert threads.run([lambda: TestTwoImportsAtOnce.invited_numbers(session)])[0] == list(range(1, 9))


class TestTheDatabaseHasTheLastWord:
    def test_an_import_that_could_not_see_the_other_is_refused_whole(self, demo, monkeypatch) -> None:
        """As if the other import's line were not yet visible: the unique
        constraint refuses, nothing of the file is kept, and the message says
        what happened and what to do."""
        session = demo.institution_session("a")
        actor = demo.user("correspondant-a")
        importing.import_candidates(session, csv_file(line(2)), "premier.csv", actor)
        monkeypatch.setattr(importing, "_already_here", lambda *args: None)
        with pytest.raises(DomainError) as refused:
            importing.import_candidates(session, csv_file(line(1), line(2), line(3)), "second.csv", actor)
        assert refused.value.code == "import_conflict"
        assert refused.value.message.startswith("Un autre import dans cette session était enregistré au même moment")
        assert "rien de votre fichier n'a été importé" in refused.value.message
        assert TestTwoImportsAtOnce.invited_numbers(session) == [2]
