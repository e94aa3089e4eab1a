from django.contrib.auth import views as auth_views
from django.urls import path

from referly.web.views import today

app_name = "web"

urlpatterns = [
    path("", today.today, name="today"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
