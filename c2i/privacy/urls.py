from django.urls import path

from c2i.privacy import views

app_name = "privacy"
urlpatterns = [
    path("administration/journal/", views.audit_trail, name="audit_trail"),
    path("administration/journal/export/", views.audit_export, name="audit_export"),
    path("administration/effacements/", views.erasure_requests, name="erasure_requests"),
    path("administration/effacements/<int:pk>/", views.erasure_request, name="erasure_request"),
    path("mon-espace/donnees/", views.my_data, name="my_data"),
    path("mon-espace/donnees/archive.zip", views.my_data_archive, name="my_data_archive"),
]
