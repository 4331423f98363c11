"""DSFR look for every form of the project, model forms included, and the
text rules every form applies (`c2i.lib.text`):

- every text field has a length limit: the one it declares, else
  `LINE_MAX_LENGTH` for a single-line input, `TEXT_MAX_LENGTH` for a text
  area (`EMAIL_MAX_LENGTH`, `URL_MAX_LENGTH`, `PASSWORD_MAX_LENGTH` for
  those inputs); the browser is told (`maxlength`) and the server checks;
- a single-line input (names, titles, codes, searches) refuses invisible
  control and format characters, U+202E and its kin included;
- a text area loses them before it is checked (line breaks and tabs kept);
- the messages name the field, so they read the same wherever they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from dsfr.forms import DsfrBaseForm, DsfrBoundField
from dsfr.utils import dsfr_input_class_attr

from c2i.lib import text


@dataclass(frozen=True)
class _Limit:
    label: Any
    limit: int

    def __call__(self, value: str) -> None:
        text.reject_too_long(value, self.limit, str(self.label))


@dataclass(frozen=True)
class _Visible:
    label: Any

    def __call__(self, value: str) -> None:
        text.reject_control_characters(value, str(self.label))


def _is_free_text(field: forms.Field) -> bool:
    return isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea)


def _default_limit(field: forms.CharField) -> int:
    if isinstance(field.widget, forms.Textarea):
        return text.TEXT_MAX_LENGTH
    if isinstance(field.widget, forms.PasswordInput):
        return text.PASSWORD_MAX_LENGTH
    if isinstance(field, forms.EmailField):
        return text.EMAIL_MAX_LENGTH
    if isinstance(field, forms.URLField):
        return text.URL_MAX_LENGTH
    return text.LINE_MAX_LENGTH


def apply_text_rules(form: forms.BaseForm) -> None:
    """Give each text field of `form` its limit and character rule (once)."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField) or getattr(field, "c2i_text_rules", False):
            continue
        field.c2i_text_rules = True  # type: ignore[attr-defined]
        limit = int(field.max_length or _default_limit(field))
        label = field.label or name
        field.max_length = limit
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.validators.append(_Limit(label, limit))
        if not _is_free_text(field) and not isinstance(field.widget, forms.PasswordInput):
            field.validators.append(_Visible(label))
        if not field.widget.is_hidden:
            field.widget.attrs["maxlength"] = str(limit)


def _without_invisible_controls(form: forms.BaseForm) -> None:
    """The bound data of the text areas, their invisible controls removed."""
    names = [form.add_prefix(name) for name, field in form.fields.items() if _is_free_text(field)]
    data: Any = form.data
    if not names or not any(name in data for name in names):
        return
    if hasattr(data, "getlist"):
        cleaned = data.copy()
        for name in names:
            if name in data:
                cleaned.setlist(name, [text.strip_invisible_controls(v) for v in data.getlist(name)])
    else:
        cleaned = dict(data)
        for name in names:
            if isinstance(cleaned.get(name), str):
                cleaned[name] = text.strip_invisible_controls(cleaned[name])
    form.data = cleaned


class TextRules:
    """The rules of the module docstring, for a Django form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apply_text_rules(self)  # type: ignore[arg-type]

    def full_clean(self) -> None:
        apply_text_rules(self)  # type: ignore[arg-type]  # fields added after __init__ too
        if getattr(self, "is_bound", False):
            _without_invisible_controls(self)  # type: ignore[arg-type]
        super().full_clean()  # type: ignore[misc]


class DsfrModelForm(TextRules, forms.ModelForm):
    template_name = "dsfr/form_snippet.html"
    bound_field_class = DsfrBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)


class Form(TextRules, DsfrBaseForm):
    pass


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)
