from django.urls import path

from referly.portal import views

app_name = "portal"

urlpatterns = [
    path("p/<str:token>/", views.sponsor_page, name="sponsor"),
    path("p/<str:token>/targets/<int:account_id>/", views.answer_target, name="answer"),
    path("p/<str:token>/recommend/", views.recommend, name="recommend"),
    path("p/<str:token>/opt-out/", views.opt_out, name="opt_out"),
    path("o/<str:token>/", views.consent, name="consent"),
]
