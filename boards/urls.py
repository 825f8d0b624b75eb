from django.urls import path

from boards import views

app_name = "boards"

urlpatterns = [
    path("", views.structure_list, name="list"),
]
