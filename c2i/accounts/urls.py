from django.urls import path

from c2i.accounts import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("connexion/code/", views.login_code, name="login_code"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mon-espace/", views.dashboard, name="dashboard"),
    path("mon-espace/mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mon-espace/double-authentification/", views.two_factor_page, name="two_factor"),
    path("mon-espace/double-authentification/codes-de-secours/", views.two_factor_codes, name="two_factor_codes"),
    path("mon-espace/double-authentification/desactiver/", views.two_factor_disable, name="two_factor_disable"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/nouveau/fait/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
