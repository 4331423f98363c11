import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from c2i.frameworks.loader import FrameworkDataError, load_frameworks
from c2i.frameworks.models import Competency, Framework, FrameworkStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(settings.C2I_DATA_DIR, target)
    return target


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False))


class TestLoadFrameworks:
    def test_it_loads_every_framework_with_its_counts(self, demo) -> None:
        c2i1 = Framework.objects.get(code="C2i1")
        assert c2i1.domains.count() == 5
        assert Competency.objects.filter(domain__framework=c2i1).count() == 20
        c2i2e = Framework.objects.get(code="C2i2e")
        assert Competency.objects.filter(domain__framework=c2i2e).count() == 28
        assert Framework.objects.get(code="C2i2forcom").status == FrameworkStatus.INCOMPLETE

    def test_it_is_idempotent(self, demo, data_dir: Path) -> None:
        before = Competency.objects.count()
        report = load_frameworks(data_dir)
        assert report.created == [] and report.updated == []
        assert Competency.objects.count() == before

    def test_it_updates_a_changed_title(self, demo, data_dir: Path) -> None:
        edit(data_dir / "C2i1.json", lambda d: d["domains"][0]["competencies"][0].update(title="Nouveau titre"))
        report = load_frameworks(data_dir)
        assert report.updated == ["C2i1"]
        assert Competency.objects.get(domain__framework__code="C2i1", code="D1.1").title == "Nouveau titre"

    def test_it_deletes_an_unreferenced_competency_that_disappeared(self, demo, data_dir: Path) -> None:
        from c2i.assessment.models import Question

        Question.objects.filter(
            competency__domain__framework__code="C2i1", competency__code="D5.3"
        ).delete()  # demo bank
        edit(data_dir / "C2i1.json", lambda d: d["domains"][4]["competencies"].pop())
        report = load_frameworks(data_dir)
        assert report.deleted == ["C2i1 D5.3"]
        assert not Competency.objects.filter(domain__framework__code="C2i1", code="D5.3").exists()

    def test_it_retires_a_referenced_competency_that_disappeared(self, demo, data_dir: Path) -> None:
        # No model refers to competencies yet (evidence and decisions come later):
        # the protected foreign key's refusal is simulated.
        competency = Competency.objects.get(domain__framework__code="C2i1", code="D5.3")
        from django.db.models import ProtectedError

        def protected_delete(*args, **kwargs):
            raise ProtectedError("referenced", set())

        edit(data_dir / "C2i1.json", lambda d: d["domains"][4]["competencies"].pop())
        original = Competency.delete
        Competency.delete = protected_delete
        try:
            report = load_frameworks(data_dir)
        finally:
            Competency.delete = original
        competency.refresh_from_db()
        assert competency.retired
        assert report.retired == ["C2i1 D5.3"]

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            (lambda d: d.pop("domains"), "C2i1.json : clé « domains » : clé absente"),
            (
                lambda d: d["domains"][1]["competencies"][0].pop("code"),
                "C2i1.json : clé « domains[1].competencies[0].code »",
            ),
            (lambda d: d.update(level=7), "C2i1.json : clé « level »"),
            (lambda d: d["policy"].update(kind="average"), "C2i1.json : clé « policy.kind »"),
            (lambda d: d["domains"][0]["competencies"][0].update(title=None), "titre manquant"),
            (lambda d: d["domains"][2].update(code="D3" * 20), "clé « domains[2].code » : trop long"),
        ],
    )
    def test_it_refuses_a_malformed_file_and_changes_nothing(self, demo, data_dir: Path, change, expected: str) -> None:
        edit(data_dir / "C2i2e.json", lambda d: d.update(title="Changed meanwhile"))
        edit(data_dir / "C2i1.json", change)
        with pytest.raises(FrameworkDataError) as error:
            load_frameworks(data_dir)
        assert expected in str(error.value)
        assert Framework.objects.get(code="C2i2e").title != "Changed meanwhile"

    def test_it_names_the_line_of_broken_json(self, demo, data_dir: Path) -> None:
        (data_dir / "C2i2md.json").write_text('{\n  "code": "C2i2md",\n  oops\n}')
        with pytest.raises(CommandError, match=r"C2i2md.json : clé « \(fichier\) » : JSON invalide ligne 3"):
            call_command("load_frameworks", str(data_dir))

    def test_it_keeps_what_the_administrator_completed(self, demo, data_dir: Path) -> None:
        forcom = Framework.objects.get(code="C2i2forcom")
        for domain in forcom.domains.filter(title=""):
            domain.title = f"Domaine {domain.code}"
            domain.save()
        n = 0
        for code, count in (("D4", 3), ("D5", 2), ("D6", 2)):
            domain = forcom.domains.get(code=code)
            for i in range(1, count + 1):
                n += 1
                Competency.objects.create(domain=domain, code=f"{code}.{i}", title=f"Compétence {code}.{i}", position=i)
        forcom.refresh_completeness()
        forcom.refresh_from_db()
        assert forcom.status == FrameworkStatus.COMPLETE
        load_frameworks(data_dir)
        forcom.refresh_from_db()
        assert forcom.status == FrameworkStatus.COMPLETE
        assert Competency.objects.filter(domain__framework=forcom, retired=False).count() == 16
        assert forcom.domains.get(code="D4").title == "Domaine D4"
