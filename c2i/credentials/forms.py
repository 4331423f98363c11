from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.lib.forms import Form

MAX_CREDENTIAL_BYTES = 256 * 1024


class VerifyForm(Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=60,
        help_text=_("15 letters and digits, printed under the QR code, for example 7KQ2H-XD94M-RC0W7."),
    )


class CredentialForm(Form):
    credential = forms.FileField(
        label=_("Open Badges credential (JSON file)"),
        help_text=_("The .json file the holder downloaded from their space."),
    )

    def clean_credential(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["credential"]
        if upload.size > MAX_CREDENTIAL_BYTES:
            raise forms.ValidationError(_("This file is too large to be a credential."))
        return upload
