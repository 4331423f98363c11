"""The Django admin of the national administrator: every registered model's
list and one record open; what only the site's services write (decisions,
outcomes, documents, audit trail, sessions…) cannot be added, changed or
deleted there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from c2i.lib.admin import ReadOnlyAdmin

pytestmark = pytest.mark.django_db


def test_every_model_opens_in_the_admin(demo) -> None:
    client = demo.client("admin")
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            response = client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            assert response.status_code == 200, info
        if isinstance(model_admin, ReadOnlyAdmin):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403, info


def test_the_jurys_decisions_cannot_be_changed_in_the_admin(demo) -> None:
    from c2i.deliberation.models import CompetencyDecision

    decision = CompetencyDecision.objects.order_by("pk").first()
    assert decision is not None  # the demo's jury has decided
    client = demo.client("admin")
    url = reverse("admin:deliberation_competencydecision_change", args=[decision.pk])
    client.post(url, {"value": "NV" if decision.value == "V" else "V"})
    assert CompetencyDecision.objects.get(pk=decision.pk).value == decision.value
    delete = reverse("admin:deliberation_competencydecision_delete", args=[decision.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert CompetencyDecision.objects.filter(pk=decision.pk).exists()
