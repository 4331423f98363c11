import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from c2i.accounts.models import User
from c2i.assessment.interchange import FORMATS, import_questions
from c2i.assessment.models import QuestionStatus
from c2i.frameworks.models import Framework


class Command(BaseCommand):
    help = (
        "Import questions into the bank from a GIFT or Moodle XML file. All or nothing unless --partial; "
        'prints one JSON object: {"imported": n, "rejected": [{"where": …, "reason": …}]}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the GIFT or Moodle XML file")
        parser.add_argument("--framework", required=True, help="framework code, e.g. C2i1")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("--dry-run", action="store_true", help="check only, store nothing")
        parser.add_argument(
            "--partial", action="store_true", help="store the valid questions even if some are rejected"
        )
        parser.add_argument(
            "--status",
            default=QuestionStatus.IN_REVIEW,
            choices=[QuestionStatus.DRAFT, QuestionStatus.IN_REVIEW, QuestionStatus.VALIDATED],
            help="status of the imported questions (default: in review; validated for an already reviewed bank)",
        )
        parser.add_argument("--author", default="", help="username recorded as the author")

    def handle(self, *args: Any, **options: Any) -> None:
        framework = Framework.objects.filter(code=options["framework"]).first()
        if framework is None:
            raise CommandError(f"Unknown framework: {options['framework']}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        author = None
        if options["author"]:
            author = User.objects.filter(username=options["author"]).first()
            if author is None:
                raise CommandError(f"Unknown user: {options['author']}")
        with translation.override(settings.LANGUAGE_CODE):
            report = import_questions(
                framework,
                path.read_bytes(),
                options["fmt"],
                author,
                status=options["status"],
                partial=options["partial"],
                dry_run=options["dry_run"],
            )
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
