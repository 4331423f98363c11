"""The French catalogue is complete: every string of the code and templates
is in it, translated, and nothing is left fuzzy."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def entries(po: Path) -> dict[str, tuple[list[str], bool]]:
    """msgid (with its context) -> (msgstr values, fuzzy)."""
    result: dict[str, tuple[list[str], bool]] = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        fuzzy = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if m := re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line):
                current = m.group(1)
                fields[current] = m.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            key = fields.get("msgctxt", "") + "\x04" + fields["msgid"]
            result[key] = ([v for k, v in fields.items() if k.startswith("msgstr")], fuzzy)
    return result


class TestFrenchCatalogue:
    def test_it_translates_every_entry(self) -> None:
        catalogue = entries(CATALOGUE)
        assert len(catalogue) > 100
        untranslated = [k.split("\x04")[1] for k, (values, _) in catalogue.items() if not all(values)]
        fuzzy = [k.split("\x04")[1] for k, (_, is_fuzzy) in catalogue.items() if is_fuzzy]
        assert untranslated == [] and fuzzy == []

    def test_it_holds_every_string_of_the_code_and_templates(self, tmp_path: Path) -> None:
        # makemessages on a copy, so that the committed catalogue is compared, not rewritten.
        for name in ("c2i", "templates", "locale", "manage.py"):
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, tmp_path / name)
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        fresh = set(entries(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
        missing = sorted(k.split("\x04")[1] for k in fresh - set(entries(CATALOGUE)))
        assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:20])
