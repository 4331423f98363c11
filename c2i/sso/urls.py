from django.urls import path

from c2i.sso import views

app_name = "sso"

urlpatterns: list = [
    path("connexion/etablissement/", views.choose, name="choose"),
    path("connexion/etablissement/cas/", views.cas_login, name="cas_login"),
    path("connexion/etablissement/cas/<str:uai>/retour/", views.cas_callback, name="cas_callback"),
    path("connexion/etablissement/cas/deconnexion/", views.cas_logout, name="cas_logout"),
    path("connexion/etablissement/profil/", views.complete_profile, name="complete_profile"),
    path("gestion/connexion-etablissements/", views.providers, name="providers"),
    path("gestion/connexion-etablissements/nouvelle/", views.provider_edit, name="provider_create"),
    path("gestion/connexion-etablissements/<int:pk>/", views.provider_edit, name="provider_edit"),
    path("correspondant/conflits-de-connexion/", views.conflicts, name="conflicts"),
    path("correspondant/conflits-de-connexion/<int:pk>/regle/", views.conflict_resolve, name="conflict_resolve"),
]

# SAML 2 (c2i/sso/saml_views.py): the SP's metadata, sign-in, ACS, single logout.
from c2i.sso import saml_views  # noqa: E402

urlpatterns += [
    path("connexion/etablissement/saml/", saml_views.login, name="saml_login"),
    path("connexion/etablissement/saml/acs/", saml_views.acs, name="saml_acs"),
    path("connexion/etablissement/saml/metadonnees/", saml_views.metadata, name="saml_metadata"),
    path("connexion/etablissement/saml/deconnexion/", saml_views.logout, name="saml_logout"),
    path("connexion/etablissement/saml/sls/", saml_views.sls, name="saml_sls"),
]
