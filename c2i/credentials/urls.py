from django.urls import path

from c2i.credentials import views

app_name = "credentials"
urlpatterns = [
    path("mon-espace/documents/", views.my_documents, name="mine"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="pdf"),
    path("documents/<int:pk>/open-badge.json", views.document_badge, name="badge"),
    path("gestion/sessions/<int:pk>/documents/", views.session_documents, name="session_documents"),
    path("gestion/documents/<int:pk>/revocation/", views.revoke, name="revoke"),
    path("verifier/", views.verify, name="verify"),
    path("verifier/<str:code>", views.verify_code, name="verify_code"),
    path("emetteur", views.issuer, name="issuer"),
    path("cles/<str:key_id>", views.key_document, name="key"),
    path("statut/<int:number>", views.status_list, name="status_list"),
]
