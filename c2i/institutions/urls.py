from django.urls import path

from c2i.institutions import views

app_name = "institutions"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<str:uai>/", views.institution_detail, name="detail"),
]
