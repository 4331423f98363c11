import importlib.util
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from c2i.demo.national import BANK_SIZE, NationalDataError, Params, generate


class Command(BaseCommand):
    help = (
        "Write a synthetic national data set (institutions, sessions, candidates, portfolios, tests, juries, "
        "documents) in bulk, for the national figures and the benchmarks. See docs/performance.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enrolments", type=int, required=True, help="Number of enrolments (all years).")
        parser.add_argument("--years", type=int, required=True, help="Number of years of sessions, before this one.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the draws: the same seed, the same data.")
        parser.add_argument(
            "--question-bank",
            type=int,
            default=BANK_SIZE,
            help=(
                "Number of questions of the national question bank (C2i1 and C2i2ms), 0 for none. A step of its "
                "own: on a data set of the same parameters without a bank, only the bank is written."
            ),
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Empty the certification data first (sessions, enrolments, institutions, documents…).",
        )

    def handle(
        self, *args: Any, enrolments: int, years: int, seed: int, replace: bool, question_bank: int, **options: Any
    ) -> None:
        params = Params(enrolments, years, seed)
        try:
            summary = generate(params, replace=replace, bank=question_bank, out=self.stdout.write)
        except NationalDataError as error:
            raise CommandError(str(error)) from error
        if summary.reused:
            return
        for label, n in sorted(summary.counts.items()):
            self.stdout.write(f"  {label} : {n} lignes ({summary.timings.get(label, 0):.1f} s)")
        self.stdout.write(f"  écriture et validation : {summary.timings.get('(write and commit)', 0):.1f} s")
        self.stdout.write(
            f"Jeu national écrit : {enrolments} inscriptions sur {years} an(s), graine {seed}, "
            f"en {summary.seconds:.1f} s."
        )
        if importlib.util.find_spec("c2i.statistics.services") is not None:
            from c2i.statistics import services as statistics

            refresh = getattr(statistics, "refresh_all", None)
            if refresh is not None:
                refresh()
                self.stdout.write("Chiffres nationaux recalculés.")
