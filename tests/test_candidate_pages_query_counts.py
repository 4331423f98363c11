"""Pages on a nation's data (issue 16): the question bank, a candidate's space,
his result page, his documents and the public verification page ask the
database the same number of times whatever the size of what they list (a
bank of 5 or 40 questions with labels and reviews; a candidate with 1 or 4
enrolments, outcomes and documents). The data come from the national data
set's own generator (`c2i/demo/national.py`), at a small size."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from c2i.accounts.models import User
from c2i.assessment.models import Question, Review
from c2i.credentials.models import IssuedDocument
from c2i.demo import national
from c2i.demo.national import Params, generate, generate_bank
from c2i.enrolment.models import Enrolment, InstitutionSession, Invitation
from c2i.frameworks.models import Domain
from tests.query_support import queries

PARAMS = Params(enrolments=300, years=2, seed=11)


@pytest.fixture(scope="module")
def data_set(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """One small national data set for the module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        generate(PARAMS, replace=True, out=lambda _line: None)
        yield
        transaction.set_rollback(True)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the question bank --------------------------------------------------------------


def bank_of(size: int) -> None:
    """The generated bank, of `size` questions (the one before it removed)."""
    national._empty_bank()
    User.objects.filter(username__startswith=f"{national.USER_PREFIX}relecteur-").delete()
    User.objects.filter(username=f"{national.USER_PREFIX}admin").delete()
    summary = generate_bank(size, seed=3, out=lambda _line: None)
    assert summary.questions == size
    ours = Question.objects.filter(idnumber__startswith=national.BANK_PREFIX)
    assert ours.filter(labels__isnull=False).exists()
    assert Review.objects.filter(question__in=ours).exists()


@pytest.mark.django_db
class TestQuestionBank:
    URLS = ("", "?page=2", "?status=validated", "?framework=C2i1", "?q=tableur", "?to_review=on", "?label=facile")

    def domain(self) -> str:
        return str(Domain.objects.get(framework__code="C2i1", code="D1").pk)

    def counts(self) -> dict[tuple[str, str], tuple[int, bool]]:
        """Each page's queries, and whether it lists a question (an empty
        list skips the reading of labels and reviews)."""
        found = {}
        for who in ("admin", "relecteur-01"):
            client = signed_in(User.objects.get(username=f"{national.USER_PREFIX}{who}"))
            for query in (*self.URLS, f"?domain={self.domain()}"):
                url = reverse("assessment:bank") + query
                listed = re.search(r'href="/banque/questions/\d+/"', client.get(url).content.decode()) is not None
                found[who, query] = (queries(client, url), listed)
        return found

    def test_the_bank_asks_as_often_for_5_questions_as_for_40(self, data_set: None) -> None:
        bank_of(5)
        small = self.counts()
        bank_of(40)
        large = self.counts()
        both = [key for key in large if small[key][1] and large[key][1]]
        assert len(both) >= len(large) // 2, "most filters list questions at both sizes"
        assert {key: small[key][0] for key in both} == {key: large[key][0] for key in both}
        assert all(small[key][0] <= large[key][0] for key in large)  # an empty list asks less, never more
        assert max(count for count, _ in large.values()) <= 12

    def test_the_bank_lists_the_generated_questions_with_their_labels(self, data_set: None) -> None:
        bank_of(40)
        client = signed_in(User.objects.get(username=f"{national.USER_PREFIX}admin"))
        ours = Question.objects.filter(idnumber__startswith=national.BANK_PREFIX)
        label = ours.filter(labels__isnull=False).values_list("labels__name", flat=True).first()
        assert label
        content = client.get(reverse("assessment:bank"), {"label": label}).content.decode()
        tagged = ours.filter(labels__name=label)
        for question in tagged:
            assert reverse("assessment:question", args=[question.pk]) in content

    def test_the_domain_filter_and_the_approvals_of_questions_in_review(self, data_set: None) -> None:
        bank_of(40)
        client = signed_in(User.objects.get(username=f"{national.USER_PREFIX}relecteur-01"))
        ours = Question.objects.filter(idnumber__startswith=national.BANK_PREFIX)
        d1 = Domain.objects.get(framework__code="C2i1", code="D1")
        content = client.get(reverse("assessment:bank"), {"domain": d1.pk}).content.decode()
        shown = set(map(int, re.findall(r'href="/banque/questions/(\d+)/"', content)))
        assert shown
        assert all(Question.objects.get(pk=pk).competency.domain_id == d1.pk for pk in shown)
        waiting = ours.filter(status="in_review").first()
        assert waiting is not None
        waiting.reviews.filter(round=waiting.review_round).delete()
        Review.objects.create(
            question=waiting,
            reviewer=User.objects.get(username="nat-relecteur-02"),
            round=waiting.review_round,
            verdict="approve",
        )
        content = client.get(reverse("assessment:bank"), {"status": "in_review"}).content.decode()
        row = content.split(f'href="/banque/questions/{waiting.pk}/"', 1)[1].split("</tr>", 1)[0]
        assert "1 approval of 3" in row or "1 avis favorable sur 3" in row


def test_the_bank_step_adds_a_bank_once_without_touching_the_enrolments(data_set: None, db: None) -> None:
    national._empty_bank()
    before = Enrolment.objects.count()
    lines: list[str] = []
    summary = generate(PARAMS, bank=30, out=lines.append)  # the same parameters: the data set is kept
    assert summary.reused and summary.bank is not None and summary.bank.questions == 30
    assert Enrolment.objects.count() == before
    again = generate(PARAMS, bank=30, out=lines.append)
    assert again.bank is not None and again.bank.reused
    assert Question.objects.filter(idnumber__startswith=national.BANK_PREFIX).count() == 30
    assert "déjà dans la base" in lines[-1]
    statuses = set(Question.objects.filter(idnumber__startswith=national.BANK_PREFIX).values_list("status", flat=True))
    assert {"validated", "draft"} <= statuses


# --- a candidate's pages --------------------------------------------------------------


def candidate_with(n: int) -> Enrolment:
    """A candidate of the data set given `n` enrolments of distinct C2i1
    sessions, each with its outcome and document: his latest enrolment."""
    c2i1 = Enrolment.objects.filter(session__framework__code="C2i1", status="active")
    first = (
        c2i1.filter(jury_outcome__isnull=False, documents__isnull=False, candidate__user__isnull=False)
        .annotate(n=Count("candidate__enrolments"))
        .filter(n=1)
        .order_by("pk")
        .first()
    )
    assert first is not None
    others = list(
        c2i1.filter(jury_outcome__isnull=False, documents__isnull=False)
        .exclude(candidate=first.candidate)
        .exclude(session=first.session)
        .order_by("session_id", "pk")
        .distinct()
    )
    sessions = {first.session_id}
    moved: list[int] = []
    for enrolment in others:
        if len(moved) == n - 1:
            break
        if enrolment.session_id not in sessions:
            sessions.add(enrolment.session_id)
            moved.append(enrolment.pk)
    assert len(moved) == n - 1
    Enrolment.objects.filter(pk__in=moved).update(candidate=first.candidate)
    assert first.candidate.enrolments.count() == n
    return first.candidate.enrolments.order_by("-created_at", "-pk").first()  # type: ignore[return-value]


def invite(enrolment: Enrolment, n: int) -> None:
    """`n` pending invitations sent to the candidate's address, from sessions that have none yet."""
    candidate = enrolment.candidate
    assert candidate.user is not None
    email = candidate.user.email
    sessions = InstitutionSession.objects.exclude(invitations__email=email).order_by("pk")[:n]
    for institution_session in sessions:
        Invitation.objects.create(
            institution_session=institution_session,
            email=email,
            last_name=candidate.last_name,
            first_names=candidate.first_names,
            birth_date=candidate.birth_date or dt.date(2000, 1, 1),
            birth_place="Caen",
            status=candidate.status,
        )


def candidate_pages(enrolment: Enrolment) -> dict[str, int]:
    assert enrolment.candidate.user is not None
    client = signed_in(enrolment.candidate.user)
    counts = {
        "space": queries(client, reverse("enrolment:my_space")),
        "documents": queries(client, reverse("credentials:mine")),
        "portfolio": queries(client, reverse("portfolio:mine", args=["C2i1"])),
    }
    # every result page of his asks as often as the others
    results = {
        queries(client, reverse("deliberation:my_result", args=[e.pk])) for e in enrolment.candidate.enrolments.all()
    }
    assert len(results) == 1, results
    counts["result"] = results.pop()
    document = IssuedDocument.objects.filter(enrolment=enrolment).first()
    assert document is not None
    public = Client(REMOTE_ADDR="192.0.2.10")
    counts["verify form"] = queries(public, reverse("credentials:verify"))
    counts["verify code"] = queries(public, reverse("credentials:verify_code", args=[document.code]))
    return counts


@pytest.mark.django_db
class TestCandidatePages:
    def test_one_or_four_enrolments_outcomes_and_documents_ask_as_often(self, data_set: None, settings: Any) -> None:
        settings.C2I_VERIFY_LIMIT = 1000
        one = candidate_with(1)
        small = candidate_pages(one)
        four = candidate_with(4)
        assert IssuedDocument.objects.filter(enrolment__candidate=four.candidate).count() >= 4
        large = candidate_pages(four)
        assert small == large, (small, large)

    def test_invitations_do_not_add_queries_either(self, data_set: None) -> None:
        enrolment = candidate_with(2)
        invite(enrolment, 1)
        assert enrolment.candidate.user is not None
        client = signed_in(enrolment.candidate.user)
        one = queries(client, reverse("enrolment:my_space"))
        invite(enrolment, 3)
        assert queries(client, reverse("enrolment:my_space")) == one
