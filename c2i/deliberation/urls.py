from django.urls import path

from c2i.deliberation import views

app_name = "deliberation"
urlpatterns = [
    path("jury/aide/", views.help_view, name="help"),
    path("jury/", views.jury_home, name="home"),
    path("jury/sessions/<int:pk>/", views.session_view, name="session"),
    path("jury/sessions/<int:pk>/grille/", views.grid_view, name="grid"),
    path("jury/sessions/<int:pk>/grille.csv", views.grid_export, name="grid_export"),
    path("jury/sessions/<int:pk>/grille/import/", views.grid_import, name="grid_import"),
    path("jury/sessions/<int:pk>/cloture/", views.close_view, name="close"),
    path("jury/sessions/<int:pk>/publication/", views.publish_view, name="publish"),
    path("jury/sessions/<int:pk>/proces-verbal.pdf", views.minutes_view, name="minutes"),
    path("jury/sessions/<int:pk>/candidats/<int:enrolment_pk>/", views.candidate_view, name="candidate"),
    path("jury/sessions/<int:pk>/candidats/<int:enrolment_pk>/ajournement/", views.defer_view, name="defer"),
    path("jury/sessions/<int:pk>/candidats/<int:enrolment_pk>/rectification/", views.rectify_view, name="rectify"),
    path("mon-espace/resultats/<int:enrolment_id>/", views.my_result, name="my_result"),
    path("gestion/sessions/<int:pk>/jury/", views.jury_setup, name="jury_setup"),
    path("gestion/sessions/<int:pk>/jury/<int:member_pk>/retrait/", views.jury_remove, name="jury_remove"),
]
