"""`manage.py deliberate --framework CODE --grid FILE.csv [--session ID] [--json]`

Without --session: a simulation — the grid's decisions, test percentages
(QCM:<domain>) and carried-over domains (acquis:<domain>) go through the
rules engine; nothing is stored. With --session: the competency cells are
recorded into that institution session (R10 checked against the submitted
portfolios), then the stored outcomes are printed. See `grid.py` for the
columns; any error refuses the whole file with its line and column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from c2i.deliberation import grid
from c2i.deliberation.rules import deliberate
from c2i.deliberation.services.decisions import import_grid
from c2i.deliberation.services.jury import command_actor
from c2i.deliberation.services.outcomes import active_enrolments, compute_outcomes
from c2i.deliberation.services.policy import policy_for
from c2i.enrolment.models import InstitutionSession
from c2i.frameworks.models import Framework
from c2i.lib.errors import DomainError

STATUS_FR = {True: "certifié", False: "non certifié", None: "sans décision"}


class Command(BaseCommand):
    help = "Compute (or record, with --session) a deliberation grid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--framework", required=True, help="framework code, e.g. C2i1")
        parser.add_argument("--grid", required=True, help="the grid CSV file")
        parser.add_argument("--session", type=int, help="institution session id: record the decisions")
        parser.add_argument("--json", action="store_true", help="one JSON object per line and candidate")

    def handle(self, *args: Any, **options: Any) -> None:
        framework = Framework.objects.filter(code=options["framework"]).first()
        if framework is None:
            raise CommandError(f"Référentiel inconnu : {options['framework']}.")
        path = Path(options["grid"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Fichier illisible : {path} ({error.strerror}).") from error
        try:
            policy = policy_for(framework)
            rows = grid.read_grid(data, path.name, policy)
            if options["session"] is None:
                results = [(row.candidate, deliberate(policy, row.file())) for row in rows]
            else:
                results = self._record(framework, options["session"], data, path.name, rows)
        except DomainError as error:
            raise CommandError(error.message) from error
        for candidate, outcome in results:
            if options["json"]:
                self.stdout.write(json.dumps(grid.outcome_json(candidate, outcome), ensure_ascii=False))
            else:
                domains = ", ".join(outcome.validated_domains) or "—"
                self.stdout.write(f"{candidate:<30} {STATUS_FR[outcome.certified]:<14} {domains}")

    def _record(self, framework: Framework, session_id: int, data: bytes, name: str, rows: list[grid.GridRow]) -> Any:
        institution_session = (
            InstitutionSession.objects.select_related("session__framework").filter(pk=session_id).first()
        )
        if institution_session is None or institution_session.session.framework_id != framework.pk:
            raise CommandError(f"Session d'établissement {session_id} introuvable pour {framework.code}.")
        actor = command_actor(institution_session)
        written = import_grid(institution_session, data, name, actor)
        self.stderr.write(f"{written} décision(s) enregistrée(s).")
        candidates = active_enrolments(institution_session).values_list("pk", "candidate__ine", "candidate__email")
        matched = grid.match_candidates(rows, candidates)
        computed = compute_outcomes(institution_session, set(matched.values()))
        return [(row.candidate, computed[matched[row.line]].outcome) for row in rows]
