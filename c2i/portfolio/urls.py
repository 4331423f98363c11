from django.urls import path

from c2i.portfolio import views

app_name = "portfolio"
urlpatterns = [
    # the candidate
    path("mon-espace/dossier/<str:code>/", views.mine, name="mine"),
    path("mon-espace/dossier/<str:code>/elements/ajouter/", views.evidence_add, name="evidence_add"),
    path("mon-espace/dossier/<str:code>/elements/<int:pk>/", views.evidence_detail, name="evidence"),
    path("mon-espace/dossier/<str:code>/elements/<int:pk>/modifier/", views.evidence_edit, name="evidence_edit"),
    path("mon-espace/dossier/<str:code>/elements/<int:pk>/supprimer/", views.evidence_delete, name="evidence_delete"),
    path("mon-espace/dossier/<str:code>/elements/<int:pk>/fichiers/", views.file_add, name="file_add"),
    path("mon-espace/dossier/<str:code>/fichiers/<int:pk>/supprimer/", views.file_delete, name="file_delete"),
    path("mon-espace/dossier/<str:code>/depot/", views.submit, name="submit"),
    path("mon-espace/dossier/<str:code>/depots/<int:pk>/retrait/", views.withdraw_submission, name="withdraw"),
    path("mon-espace/dossier/<str:code>/export/", views.export_zip, name="export"),
    # files of a living portfolio: the candidate and the staff who follow it
    path("dossiers/fichiers/<int:pk>/", views.file_download, name="file"),
    # assessors and correspondents
    path("gestion/dossiers/", views.staff_list, name="staff_list"),
    path("gestion/dossiers/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("gestion/dossiers/<int:pk>/elements/<int:evidence_pk>/commentaires/", views.comment, name="comment"),
    path("gestion/dossiers/<int:pk>/positionnements/", views.position, name="position"),
    # the jury: submitted versions only (R9)
    path("jury/dossiers/", views.jury_list, name="jury_list"),
    path("jury/dossiers/<int:pk>/", views.snapshot, name="snapshot"),
    path("jury/dossiers/<int:pk>/fichiers/<int:file_pk>/", views.snapshot_file, name="snapshot_file"),
]
