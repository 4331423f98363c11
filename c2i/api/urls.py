from django.urls import path

from c2i.api import views

app_name = "api_tokens"
urlpatterns = [
    path("gestion/api/jetons/", views.token_list, name="list"),
    path("gestion/api/jetons/nouveau/", views.token_create, name="create"),
    path("gestion/api/jetons/<int:pk>/revocation/", views.token_revoke, name="revoke"),
]
