from django.urls import path

from c2i.privacy import views

app_name = "privacy"
urlpatterns = [
    path("administration/journal/", views.audit_trail, name="audit_trail"),
    path("administration/journal/export/", views.audit_export, name="audit_export"),
]
