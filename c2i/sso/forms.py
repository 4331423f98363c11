from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from defusedxml import ElementTree
from django import forms
from django.utils.translation import gettext_lazy as _

from c2i.lib.forms import DateInput, DsfrModelForm, Form
from c2i.sso.models import IdentityProvider, Protocol

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ChooseForm(Form):
    q = forms.CharField(label=_("Institution name"), required=False, max_length=100)


class ProfileForm(Form):
    """What enrolment needs that institutions do not release (R5)."""

    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    birth_place = forms.CharField(label=_("Birth place"), max_length=120, help_text=_("Town, and country if abroad."))


class ResolveForm(Form):
    resolution = forms.CharField(
        label=_("How it was settled"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: the e-mail address of the other account was corrected, or the INE at the institution."
        ),
    )


class ProviderForm(DsfrModelForm):
    class Meta:
        model = IdentityProvider
        fields = [
            "institution",
            "protocol",
            "enabled",
            "cas_server_url",
            "saml_entity_id",
            "saml_metadata_url",
            "saml_metadata_xml",
            "attr_identity",
            "attr_email",
            "attr_given_name",
            "attr_surname",
            "attr_ine",
            "attr_student_id",
        ]
        help_texts = {
            "enabled": _("Off: the institution is not offered on the login page."),
            "cas_server_url": _("CAS only: the server's base address, e.g. https://cas.univ-exemple.fr/cas/"),
            "saml_entity_id": _("SAML only: the identity provider's entityID in the federation's metadata."),
            "saml_metadata_url": _("SAML only: where the metadata is read (e.g. the RENATER federation's)."),
            "saml_metadata_xml": _("SAML only, instead of an address: the metadata itself, pasted."),
            "attr_identity": _("The stable identity: eduPersonPrincipalName, or the pairwise or persistent id."),
        }
        widgets = {"saml_metadata_xml": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["institution"].disabled = True

    def clean_cas_server_url(self) -> str:
        url = str(self.cleaned_data.get("cas_server_url") or "").strip()
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
                raise forms.ValidationError(_("The CAS server's address must start with https://."))
            if parts.query or parts.fragment:
                raise forms.ValidationError(_("Give the server's base address, without ? or #."))
        return url

    def clean_saml_metadata_xml(self) -> str:
        xml = str(self.cleaned_data.get("saml_metadata_xml") or "").strip()
        if xml:
            try:
                root = ElementTree.fromstring(xml)
            except Exception as error:
                raise forms.ValidationError(
                    _("This metadata is not well-formed XML: %(error)s"), params={"error": str(error)[:200]}
                ) from error
            if not root.tag.endswith(("EntityDescriptor", "EntitiesDescriptor")):
                raise forms.ValidationError(_("This XML is not SAML metadata (no EntityDescriptor)."))
        return xml

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        protocol = data.get("protocol")
        if protocol == Protocol.CAS and not data.get("cas_server_url") and "cas_server_url" not in self.errors:
            self.add_error("cas_server_url", _("A CAS sign-in needs the address of the institution's CAS server."))
        if protocol == Protocol.SAML:
            if not data.get("saml_metadata_url") and not data.get("saml_metadata_xml") and not self.errors:
                self.add_error("saml_metadata_url", _("A SAML sign-in needs the metadata: its address, or paste it."))
            if not data.get("saml_entity_id") and "saml_entity_id" not in self.errors:
                self.add_error("saml_entity_id", _("A SAML sign-in needs the identity provider's entityID."))
        for name in ("attr_identity", "attr_email"):
            if not str(data.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, _("This attribute name is needed."))
        return data
