from django.urls import path

from c2i.statistics import views

app_name = "statistics"

urlpatterns = [
    path("pilotage/", views.national, name="national"),
    path("pilotage/export/<slug:key>.<str:fmt>", views.national_export, name="national_export"),
    path("pilotage/actualiser/", views.refresh, name="refresh"),
    path("pilotage/mon-etablissement/", views.my_institution, name="my_institution"),
    path("pilotage/etablissements/<int:pk>/", views.institution, name="institution"),
    path(
        "pilotage/etablissements/<int:pk>/export/<slug:key>.<str:fmt>",
        views.institution_export,
        name="institution_export",
    ),
    path("chiffres-cles/", views.public_figures, name="public"),
    path("chiffres-cles/export/<slug:key>.<str:fmt>", views.public_export, name="public_export"),
    path("chiffres-cles/donnees/c2i-chiffres-cles.csv", views.open_data, name="open_data"),
    path("chiffres-cles/donnees/c2i-chiffres-cles-domaines.csv", views.open_data_domains, name="open_data_domains"),
    path("chiffres-cles/dictionnaire/", views.dictionary, name="dictionary"),
    path("chiffres-cles/dictionnaire.csv", views.dictionary_csv, name="dictionary_csv"),
]
