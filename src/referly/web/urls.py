from django.contrib.auth import views as auth_views
from django.urls import path

from referly.web.views import (
    accounts,
    imports,
    referrals,
    reports,
    reviews,
    settings,
    sponsor_links,
    sponsors,
    tables,
    today,
    webhooks,
)

app_name = "web"

urlpatterns = [
    path("", today.today, name="today"),
    path("actions/<int:action_id>/ask", today.ask, name="ask"),
    path("referrals/", referrals.board, name="board"),
    path("referrals/<int:referral_id>/", referrals.referral_detail, name="referral"),
    path("referrals/<int:referral_id>/advance", referrals.advance, name="advance"),
    path("sponsors/", sponsors.sponsors, name="sponsors"),
    path("sponsors/<int:contact_id>/link", sponsor_links.make_link, name="sponsor_link"),
    path("sponsors/<int:contact_id>/link/revoke", sponsor_links.revoke_link, name="sponsor_link_revoke"),
    path("accounts/", accounts.search, name="accounts"),
    path("accounts/<int:account_id>/", accounts.account, name="account"),
    path("reports/", reports.report, name="reports"),
    path("reports/tables.zip", tables.download, name="tables_download"),
    path("reviews/", reviews.reviews, name="reviews"),
    path("reviews/freeze", reviews.freeze, name="freeze"),
    path("reviews/<str:month>/", reviews.review, name="review"),
    path("reviews/<str:month>/export.<str:fmt>", reviews.export, name="review_export"),
    path("import/", imports.upload, name="import"),
    path("import/commit", imports.commit, name="import_commit"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/scoring", settings.save_scoring, name="scoring"),
    path("settings/users/<int:user_id>/role", settings.change_role, name="change_role"),
    path("settings/tokens/<int:token_id>/revoke", settings.revoke, name="revoke_token"),
    path("settings/webhooks/", webhooks.webhooks, name="webhooks"),
    path("settings/webhooks/add", webhooks.add, name="webhook_add"),
    path("settings/webhooks/<int:subscription_id>/remove", webhooks.remove, name="webhook_remove"),
    path("settings/webhooks/<int:subscription_id>/test", webhooks.test, name="webhook_test"),
    path("settings/webhooks/deliveries/<int:delivery_id>/redeliver", webhooks.redeliver, name="webhook_redeliver"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
