"""The layers of docs/architecture.md hold (issue 12): the import-linter
contracts of pyproject.toml are kept, and what a lower app asks of a higher
one through a registration fails loudly when nothing registered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent


class TestLayers:
    def test_it_keeps_every_import_contract(self) -> None:
        lint_imports = Path(sys.executable).parent / "lint-imports"
        done = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-3000:]
        assert "Contracts: 2 kept, 0 broken." in done.stdout

    def test_it_refuses_to_answer_whether_a_session_is_frozen_when_no_check_is_registered(self, monkeypatch) -> None:
        from c2i.enrolment import freeze

        monkeypatch.setattr(freeze, "_CHECKS", {})
        with pytest.raises(ImproperlyConfigured):
            freeze.closed_at(1)

    def test_the_apps_above_register_their_parts_when_django_starts(self) -> None:
        from c2i.accounts import roles
        from c2i.enrolment import freeze, services

        assert set(roles._SOURCES) == {"enrolment.candidate", "deliberation.jury"}
        assert set(freeze._CHECKS) == {"deliberation.closed"}
        assert set(services._WITHDRAWAL_HOOKS) == {"portfolio.submission"}
