from django.urls import path

from c2i.frameworks import views

app_name = "frameworks"
urlpatterns = [
    path("", views.framework_list, name="list"),
    path("<str:code>/", views.framework_detail, name="detail"),
]
