"""The access matrix, generated from the URL configuration: every URL pattern
of the site (its pages, its API, its admin) x every demo role x an own and a
foreign object x GET and POST, with the expected answer, and for every answer
what it must not contain (another institution's or another person's data) and,
for exports, what it must contain and that no cell is a formula.

The rules are in tests/access_rules.py (one per URL name; a pattern without a
rule fails `test_every_url_pattern_has_a_rule`), the world they run in (the
demo data plus the hostile steps of issue 10) in tests/access_world.py. The
admin site and the API get generic rules: only the national administrator
enters the admin (everyone else is sent to its login page); the API's
operations are those of its OpenAPI schema.

The world is built once, in a transaction rolled back at the end of the
module; each case runs in a savepoint rolled back after it, so that a POST by
one role does not change what the next one sees. Cases of a finding of issue
10 that is not fixed yet are `xfail(strict=True)`: they pass once it is fixed,
and must then lose their mark (KNOWN).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.access_rules import ADMIN_LOGIN, EXTRAS, LOGIN, NOT_ALLOWED, RULES, Extra, Rule, admin_rule
from tests.access_world import ADMIN, ANON, ROLES, World, build_world

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST")
ROOT = Path(__file__).resolve().parent.parent
FORMULA = re.compile(r"^[=+\-@\t\r]")  # what a spreadsheet runs, in a CSV cell
PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")

# Cases that trip a finding of issue 10 not fixed when this was written:
# (rule key, object, method, role) -> finding. "*" matches any object or method.
KNOWN: dict[tuple[str, str, str, str], int] = {}
KNOWN_EXTRAS: dict[str, int] = {}  # explicit case name -> finding


# --- the URL configuration --------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name, or the route for a pattern without one
    route: str
    callback: Any

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns: Any, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            yield Pattern(namespace + p.name if p.name else route, route, p.callback)


def url_patterns() -> list[Pattern]:
    return list(_walk(get_resolver().url_patterns))


# --- cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    method: str
    role: str
    expected: str
    rule_index: int

    @property
    def id(self) -> str:
        return f"{self.method} {self.key} [{self.label}] as {self.role}"


def rules_for(pattern: Pattern) -> tuple[Rule, ...]:
    if pattern.is_admin:
        return (admin_rule(pattern.route),)
    rule = RULES.get(pattern.key)
    if rule is None:
        return ()
    return rule if isinstance(rule, tuple) else (rule,)


def cases_for(pattern: Pattern) -> list[Case]:
    out = []
    for index, rule in enumerate(rules_for(pattern)):
        for label in rule.paths:
            for method in METHODS:
                for role in ROLES:
                    if pattern.is_admin and method == "POST" and role == ADMIN and pattern.route != "admin/logout/":
                        continue
                    out.append(Case(pattern.key, label, method, role, rule.expect(method, role, label), index))
    return out


def known(case: Case) -> int | None:
    for key in (
        (case.key, case.label, case.method, case.role),
        (case.key, "*", case.method, case.role),
        (case.key, case.label, "*", case.role),
        (case.key, "*", "*", case.role),
    ):
        if key in KNOWN:
            return KNOWN[key]
    return None


PATTERNS = url_patterns()
ALL_CASES = {p.key: cases_for(p) for p in PATTERNS}


def _params() -> list[Any]:
    params = []
    for pattern in PATTERNS:
        cases = ALL_CASES[pattern.key]
        plain = [c for c in cases if known(c) is None]
        if plain:
            params.append(pytest.param(pattern.key, tuple(plain), id=pattern.key))
        for c in cases:
            finding = known(c)
            if finding is not None:
                mark = pytest.mark.xfail(strict=True, reason=f"issue 10, finding {finding}")
                params.append(pytest.param(pattern.key, (c,), id=c.id, marks=mark))
    return params


# --- the world ------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The demo data and the hostile steps, in a transaction rolled back at the
    end of the module (each test's own transaction is a savepoint in it)."""
    from tests.conftest import ensure_loaded

    quiet = logging.getLogger("django.request")  # thousands of 403, 404 and 405: said in the failures only
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    with django_db_blocker.unblock(), override_settings(C2I_REQUIRE_2FA=True):  # as in production
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_loaded()
            built = build_world(FastClient())  # one handler (its middleware loaded once) for every case
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            quiet.setLevel(level)


class FastClient(Client):
    """The test client without its record of rendered templates (the matrix
    reads answers only): a third faster on large pages."""

    def request(self, **request: Any) -> Any:
        return self.handler(self._base_environ(**request))


def classify(response: Any) -> str:
    if response.status_code == 302:
        location = response.get("Location", "")
        if location.startswith("/connexion/"):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
    return str(response.status_code)


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        # reading it to the end closes it (the test handler's wrapper); closing it here would
        # close the database connection too (request_finished), and end the matrix's transaction
        return b"".join(response.streaming_content)
    return bytes(response.content)


def tables_of(response: Any, data: bytes) -> tuple[list[list[str]], list[str]] | None:
    """The cells of a CSV or XLSX answer and those a spreadsheet would run as
    formulas; None for anything else. In CSV a cell is a formula when it starts
    with = + - @ (or a tab, a carriage return) and is not a plain number; in
    XLSX when it is stored as one (a text cell with a quote prefix is text)."""
    kind = response.get("Content-Type", "")
    if kind.startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        return rows, [c for row in rows for c in row if FORMULA.match(c) and not PLAIN_NUMBER.match(c)]
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
        rows = [["" if cell.value is None else str(cell.value) for cell in cells]]
        return rows, [str(cell.value) for cell in cells if cell.data_type == "f"]
    return None


def text_of(response: Any, data: bytes, tables: list[list[str]] | None) -> str:
    if tables is not None:
        return "\n".join("\t".join(row) for row in tables)
    kind = response.get("Content-Type", "")
    if kind.startswith(("text/", "application/json", "application/ld+json", "application/javascript")):
        return data.decode("utf-8", "replace")
    if kind.startswith("application/zip"):
        parts = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                parts.append(name)
                if name.endswith((".json", ".html", ".txt", ".csv", ".xml", ".md")):
                    parts.append(archive.read(name).decode("utf-8", "replace"))
        return "\n".join(parts)
    return ""  # PDF, images, office files: their text is compressed


def problems_in(world: World, rule: Rule, case: Case, response: Any) -> list[str]:
    data = body_of(response)
    table = tables_of(response, data)
    text = text_of(response, data, table[0] if table else None).casefold()
    found = []
    for secret in world.secrets:
        if case.role in secret.seen_by or secret.key in rule.public_secrets:
            continue
        if secret.text.casefold() in text:
            found.append(f"shows {secret.key} ({secret.text!r}) to {case.role}")
    if table is not None:
        found.extend(f"a cell is a formula: {cell!r}" for cell in table[1])
    if response.status_code == 200:
        for key in (k.format(role=case.role) for k in rule.contains.get(case.label, ())):
            if world.markers[key].casefold() not in text:
                found.append(f"the answer lacks {key} ({world.markers[key]!r})")
    return found


def run_case(world: World, rule: Rule, case: Case) -> tuple[str, list[str]]:
    path = rule.paths[case.label]
    path = path if isinstance(path, str) else path(world)
    client = world.client
    client.cookies = SimpleCookie()
    if case.role != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[case.role]
    with transaction.atomic():
        send = getattr(client, case.method.lower())
        if case.method in ("GET", "DELETE"):
            response = send(path)
        elif rule.json:
            response = send(path, json.dumps(rule.data or {}), content_type="application/json")
        else:
            response = send(path, dict(rule.data or {}))
        actual = classify(response)
        problems = problems_in(world, rule, case, response)
        transaction.set_rollback(True)
    return actual, problems


@pytest.mark.parametrize(("key", "cases"), _params())
def test_access(world: World, key: str, cases: tuple[Case, ...]) -> None:
    pattern = next(p for p in PATTERNS if p.key == key)
    rules = rules_for(pattern)
    failures = []
    for case in cases:
        rule = rules[case.rule_index]
        actual, problems = run_case(world, rule, case)
        if actual != case.expected:
            failures.append(f"{case.id}: expected {case.expected}, got {actual}")
        failures.extend(f"{case.id}: {p}" for p in problems)
    assert not failures, "\n".join(failures)


OTHER_METHODS = ("PUT", "PATCH", "DELETE")


def test_other_methods_write_nothing(world: World) -> None:
    """PUT, PATCH and DELETE on every pattern (but the admin's), by a role that
    reaches its first object: 405 (pages accept GET, HEAD, POST and OPTIONS
    only, c2i/lib/security.py; the API declares its own methods). Any other
    answer is a failure; those that answered as a GET would go to
    test-artifacts/access-matrix-methods.json."""
    failures, as_get = [], []
    for pattern in PATTERNS:
        if pattern.is_admin:
            continue
        for index, rule in enumerate(rules_for(pattern)):
            label = next(iter(rule.paths))
            role = next((r for r in ROLES if rule.expect("GET", r, label) not in ("403", "404", LOGIN)), ANON)
            get = Case(pattern.key, label, "GET", role, "", index)
            reference, _ = run_case(world, rule, get)
            for method in OTHER_METHODS:
                actual, _ = run_case(world, rule, Case(pattern.key, label, method, role, "", index))
                if actual != NOT_ALLOWED:
                    failures.append(f"{method} {pattern.key} as {role}: {actual} (GET: {reference})")
                    if actual == reference:
                        as_get.append(pattern.key)
    out = ROOT / "test-artifacts" / "access-matrix-methods.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"answered_as_get": sorted(set(as_get))}, indent=2) + "\n")
    assert not failures, "\n".join(failures)


def _extra_params() -> list[Any]:
    params = []
    for extra in EXTRAS:
        finding = KNOWN_EXTRAS.get(extra.name)
        marks = [pytest.mark.xfail(strict=True, reason=f"issue 10, finding {finding}")] if finding else []
        params.append(pytest.param(extra, id=extra.name, marks=marks))
    return params


@pytest.mark.parametrize("extra", _extra_params())
def test_explicit_case(world: World, extra: Extra) -> None:
    path = extra.path if isinstance(extra.path, str) else extra.path(world)
    data = extra.data(world) if callable(extra.data) else dict(extra.data or {})
    client = world.client
    client.cookies = SimpleCookie()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[extra.username]
    with transaction.atomic():
        response = client.get(path) if extra.method == "GET" else client.post(path, data)
        text = body_of(response).decode("utf-8", "replace")
        transaction.set_rollback(True)
    assert classify(response) == extra.expected, (path, response.status_code)
    text = text.casefold()
    for shown in extra.shows:
        assert shown.casefold() in text, f"{path} lacks {shown!r}"
    for hidden in extra.hides:
        hidden = hidden(world) if callable(hidden) else hidden
        assert hidden.casefold() not in text, f"{path} shows {hidden!r}"


# --- completeness -------------------------------------------------------------


def test_every_url_pattern_has_a_rule() -> None:
    missing = [p.key for p in PATTERNS if not rules_for(p)]
    assert not missing, f"URL patterns without a rule in tests/access_rules.py: {missing}"


def test_every_rule_names_a_url_pattern() -> None:
    keys = {p.key for p in PATTERNS}
    assert set(RULES) - keys == set()


def test_the_api_operations_are_those_of_its_schema() -> None:
    """Each operation of the OpenAPI schema has a rule accepting its method,
    and no rule accepts a method the schema does not list."""
    from c2i.api.api import api

    schema = api.get_openapi_schema()
    declared = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared[(path, method.upper())] = operation["operationId"]
    by_route = {}
    for p in PATTERNS:
        if p.key.startswith("api:") and p.key in RULES:
            accepted = {m for rule in rules_for(p) for m in METHODS if rule.audience(m) != NOT_ALLOWED}
            route = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", p.route)
            by_route[route] = (p.key, accepted)
    for (path, method), operation_id in declared.items():
        assert path in by_route, f"{path}: no URL pattern"
        key, accepted = by_route[path]
        assert method in accepted, f"{method} {path} ({operation_id}): the rule {key} refuses it"
    for route, (key, accepted) in by_route.items():
        if route in {path for path, _ in declared}:
            assert accepted == {m for (path, m) in declared if path == route}, key


def test_the_hostile_steps_happened(world: World) -> None:
    """The world holds what the probe did: the import by correspondant-b was
    processed (whatever it kept), candidat-a1 holds a seat in A's jury."""
    from c2i.deliberation.models import JuryMember

    assert world.steps["import by correspondant-b"] in (200, 302), world.steps
    assert JuryMember.objects.filter(institution_session_id=world.is_a, user__username="candidat-a1").exists()


def test_the_matrix_counts(world: World) -> None:
    """The figures of docs/reliability.md, written to test-artifacts/access-matrix.json."""
    patterns = PATTERNS
    cases = [c for cs in ALL_CASES.values() for c in cs]
    figures: dict[str, Any] = {
        "url_patterns": len(patterns),
        "admin_patterns": sum(p.is_admin for p in patterns),
        "api_patterns": sum(p.key.startswith("api:") for p in patterns),
        "roles": len(ROLES),
        "methods": list(METHODS),
        "cases": len(cases),
        "other_method_cases": len(OTHER_METHODS) * sum(len(rules_for(p)) for p in patterns if not p.is_admin),
        "explicit_cases": len(EXTRAS),
        "secrets_checked_in_every_answer": len(world.secrets),
        "known_failing_cases": sum(known(c) is not None for c in cases),
        "by_expected": {e: sum(c.expected == e for c in cases) for e in sorted({c.expected for c in cases})},
    }
    out = ROOT / "test-artifacts" / "access-matrix.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    assert len(cases) > 0
