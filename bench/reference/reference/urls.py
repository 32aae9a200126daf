from django.urls import path
from rows import views

urlpatterns = [path("insert/", views.insert)]
