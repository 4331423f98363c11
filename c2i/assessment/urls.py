from django.urls import path

from c2i.assessment.views import bank as views  # for now: the module is split next

app_name = "assessment"
urlpatterns = [
    # first: the hot path of an exam (exam.js posts each click here)
    path("mon-espace/epreuves/passages/<int:pk>/reponses/<int:position>/", views.attempt_answer, name="answer"),
    # the question bank: authors and reviewers
    path("banque/questions/", views.bank, name="bank"),
    path("banque/questions/nouvelle/", views.question_create, name="question_create"),
    path("banque/questions/import-export/", views.bank_import, name="import"),
    path("banque/questions/export/", views.bank_export, name="export"),
    path("banque/questions/<int:pk>/", views.question_detail, name="question"),
    path("banque/questions/<int:pk>/modifier/", views.question_edit, name="question_edit"),
    path("banque/questions/<int:pk>/soumettre/", views.question_submit, name="question_submit"),
    path("banque/questions/<int:pk>/avis/", views.question_review, name="question_review"),
    path("banque/questions/<int:pk>/retirer/", views.question_retire, name="question_retire"),
    path("banque/questions/<int:pk>/image/", views.question_image, name="question_image"),
    # exams: correspondents
    path("correspondant/epreuves/", views.exams, name="exams"),
    path("correspondant/epreuves/nouvelle/<int:session_pk>/", views.exam_create, name="exam_create"),
    path("correspondant/epreuves/<int:pk>/", views.exam_detail, name="exam"),
    path("correspondant/epreuves/<int:pk>/modifier/", views.exam_edit, name="exam_edit"),
    path("correspondant/epreuves/<int:pk>/tiers-temps/", views.exam_extra_time, name="exam_extra_time"),
    path("correspondant/epreuves/<int:pk>/publier/", views.exam_publish, name="exam_publish"),
    path("correspondant/epreuves/<int:pk>/resultats/", views.exam_export, name="exam_export"),
    path("correspondant/epreuves/<int:pk>/statistiques/", views.exam_statistics, name="exam_statistics"),
    path("correspondant/epreuves/passages/<int:pk>/rouvrir/", views.attempt_reopen, name="attempt_reopen"),
    # the test: candidates
    path("mon-espace/epreuves/", views.my_exams, name="my_exams"),
    path("mon-espace/epreuves/<int:pk>/", views.my_exam, name="my_exam"),
    path("mon-espace/epreuves/<int:pk>/commencer/", views.exam_start, name="exam_start"),
    path("mon-espace/epreuves/passages/<int:pk>/", views.attempt_view, name="attempt"),
    path("mon-espace/epreuves/passages/<int:pk>/terminer/", views.attempt_finish, name="attempt_finish"),
    path("mon-espace/epreuves/passages/<int:pk>/images/<int:position>/", views.attempt_image, name="attempt_image"),
]
