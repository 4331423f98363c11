from django.urls import path

from c2i.enrolment import views

app_name = "enrolment"
urlpatterns = [
    path("inscription/", views.register, name="register"),
    path("inscription/code/", views.register_code, name="register_code"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/etablissement/<int:pk>/inscription/", views.enrol_view, name="enrol"),
    path("mon-espace/certification/", views.my_space, name="my_space"),
    path("mon-espace/inscriptions/<int:pk>/retrait/", views.withdraw_view, name="withdraw"),
    path("mon-espace/invitations/<int:pk>/confirmer/", views.confirm_view, name="confirm"),
    path("mon-espace/invitations/<int:pk>/refuser/", views.decline_view, name="decline"),
    path("correspondant/", views.correspondent_home, name="correspondent"),
    path(
        "correspondant/etablissements/<int:institution_pk>/sessions/<int:session_pk>/ouvrir/",
        views.open_session_view,
        name="open_session",
    ),
    path("gestion/sessions/", views.staff_sessions, name="staff_sessions"),
    path("gestion/sessions/<int:pk>/", views.institution_session_view, name="institution_session"),
    path("gestion/sessions/<int:pk>/import/", views.import_view, name="import"),
    path("gestion/inscriptions/<int:pk>/amenagements/", views.adjustments_view, name="adjustments"),
]
