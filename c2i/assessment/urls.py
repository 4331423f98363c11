from django.urls import path

from c2i.assessment.views import bank, exams, invigilation, taking

app_name = "assessment"
urlpatterns = [
    # first: the hot path of an exam (exam.js posts each click here)
    path("mon-espace/epreuves/passages/<int:pk>/reponses/<int:position>/", taking.attempt_answer, name="answer"),
    # the question bank: authors and reviewers
    path("banque/questions/", bank.bank, name="bank"),
    path("banque/questions/nouvelle/", bank.question_create, name="question_create"),
    path("banque/questions/import-export/", bank.bank_import, name="import"),
    path("banque/questions/export/", bank.bank_export, name="export"),
    path("banque/questions/<int:pk>/", bank.question_detail, name="question"),
    path("banque/questions/<int:pk>/modifier/", bank.question_edit, name="question_edit"),
    path("banque/questions/<int:pk>/soumettre/", bank.question_submit, name="question_submit"),
    path("banque/questions/<int:pk>/avis/", bank.question_review, name="question_review"),
    path("banque/questions/<int:pk>/retirer/", bank.question_retire, name="question_retire"),
    path("banque/questions/<int:pk>/image/", bank.question_image, name="question_image"),
    # exams: correspondents
    path("correspondant/epreuves/", exams.exams, name="exams"),
    path("correspondant/epreuves/nouvelle/<int:session_pk>/", exams.exam_create, name="exam_create"),
    path("correspondant/epreuves/<int:pk>/", exams.exam_detail, name="exam"),
    path("correspondant/epreuves/<int:pk>/modifier/", exams.exam_edit, name="exam_edit"),
    path("correspondant/epreuves/<int:pk>/tiers-temps/", exams.exam_extra_time, name="exam_extra_time"),
    path("correspondant/epreuves/<int:pk>/publier/", exams.exam_publish, name="exam_publish"),
    path("correspondant/epreuves/<int:pk>/resultats/", exams.exam_export, name="exam_export"),
    path("correspondant/epreuves/<int:pk>/statistiques/", exams.exam_statistics, name="exam_statistics"),
    path("correspondant/epreuves/passages/<int:pk>/rouvrir/", exams.attempt_reopen, name="attempt_reopen"),
    path("correspondant/epreuves/<int:pk>/neutraliser/", exams.exam_neutralise, name="exam_neutralise"),
    path(
        "correspondant/epreuves/neutralisations/<int:pk>/lever/",
        exams.neutralisation_lift,
        name="neutralisation_lift",
    ),
    path("correspondant/epreuves/<int:pk>/salles/", invigilation.exam_rooms, name="exam_rooms"),
    # the exam day: invigilators (a room's code and password, or a staff account)
    path("surveillance/", invigilation.sign_in, name="invigilation_sign_in"),
    path("surveillance/sortie/", invigilation.sign_out, name="invigilation_sign_out"),
    path("surveillance/salles/<int:room_pk>/", invigilation.room, name="invigilation_room"),
    path("surveillance/salles/<int:room_pk>/liste/", invigilation.room_list, name="invigilation_list"),
    path("surveillance/salles/<int:room_pk>/incidents/", invigilation.incident, name="invigilation_incident"),
    path(
        "surveillance/salles/<int:room_pk>/places/<int:seat_pk>/admettre/",
        invigilation.admit,
        name="invigilation_admit",
    ),
    path(
        "surveillance/salles/<int:room_pk>/places/<int:seat_pk>/reprendre/",
        invigilation.resume,
        name="invigilation_resume",
    ),
    path(
        "surveillance/salles/<int:room_pk>/places/<int:seat_pk>/terminer/",
        invigilation.end_early,
        name="invigilation_end",
    ),
    path(
        "surveillance/salles/<int:room_pk>/places/<int:seat_pk>/aide/",
        invigilation.answer_help,
        name="invigilation_help",
    ),
    # the test: candidates
    path("mon-espace/epreuves/", taking.my_exams, name="my_exams"),
    path("mon-espace/epreuves/<int:pk>/", taking.my_exam, name="my_exam"),
    path("mon-espace/epreuves/<int:pk>/commencer/", taking.exam_start, name="exam_start"),
    path("mon-espace/epreuves/<int:pk>/etat/", taking.my_exam_status, name="my_exam_status"),
    path("mon-espace/epreuves/passages/<int:pk>/", taking.attempt_view, name="attempt"),
    path("mon-espace/epreuves/passages/<int:pk>/etat/", taking.attempt_status, name="attempt_status"),
    path("mon-espace/epreuves/passages/<int:pk>/aide/", taking.attempt_help, name="attempt_help"),
    path("mon-espace/epreuves/passages/<int:pk>/terminer/", taking.attempt_finish, name="attempt_finish"),
    path("mon-espace/epreuves/passages/<int:pk>/images/<int:position>/", taking.attempt_image, name="attempt_image"),
]
