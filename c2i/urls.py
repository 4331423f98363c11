from django.contrib import admin
from django.urls import include, path

from c2i import operations, views
from c2i.api.api import api

admin.site.site_header = "C2i — administration nationale"
admin.site.site_title = "C2i"

# French DSFR error pages (c2i/error_views.py); CSRF failures: CSRF_FAILURE_VIEW.
handler400 = "c2i.error_views.bad_request"
handler403 = "c2i.error_views.permission_denied"
handler404 = "c2i.error_views.page_not_found"
handler500 = "c2i.error_views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("ping/", views.ping, name="ping"),
    path("sante/", operations.health, name="health"),  # for a load balancer
    path("metriques/", operations.prometheus, name="metrics"),  # for Prometheus (C2I_METRICS_TOKEN)
    # first: its answer URL is the hot path of an exam (fewer patterns to try)
    path("", include("c2i.assessment.urls")),
    path("", include("c2i.accounts.urls")),
    path("", include("c2i.enrolment.urls")),
    path("", include("c2i.deliberation.urls")),
    path("", include("c2i.portfolio.urls")),
    path("", include("c2i.credentials.urls")),
    path("", include("c2i.privacy.urls")),
    path("", include("c2i.api.urls")),  # the correspondents' API tokens
    path("", include("c2i.sso.urls")),  # institution sign-on (CAS, SAML) and its settings
    path("", include("c2i.statistics.urls")),  # national figures, the public « Chiffres clés »
    path("referentiels/", include("c2i.frameworks.urls")),
    path("etablissements/", include("c2i.institutions.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
