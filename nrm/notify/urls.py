from django.urls import path

from nrm.notify import views

app_name = "notify"
urlpatterns = [
    path("receipts", views.receipts, name="receipts"),
]
