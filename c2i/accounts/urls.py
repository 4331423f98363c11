from django.urls import path

from c2i.accounts import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("inscription/", views.register, name="register"),
    path("mon-espace/", views.dashboard, name="dashboard"),
]
