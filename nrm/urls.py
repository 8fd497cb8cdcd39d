from django.urls import include, path

urlpatterns = [
    path("", include("nrm.site.urls")),
    path("", include("nrm.accounts.urls")),
    path("referrals/", include("nrm.referrals.urls")),
    path("cases/", include("nrm.cases.urls")),
    path("reviews/", include("nrm.reviews.urls")),
    path("support/", include("nrm.support.urls")),
    path("inbox/", include("nrm.referrals.inbox_urls")),
    path("statistics/", include("nrm.stats.urls")),
    path("api/v1/", include("nrm.api.urls")),
    path("notify/", include("nrm.notify.urls")),
    path("administration/organisations/<slug:slug>/partner-systems/", include("nrm.api.admin_urls")),
    path("administration/", include("nrm.accounts.admin_urls")),
]

handler404 = "nrm.site.views.not_found"
handler500 = "nrm.site.views.server_error"
