from django.contrib import admin
from django.urls import include, path

from chat.api import api
from chatsite import catalog, ops

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics_view, name="metrics"),
    path("jsi18n/<str:language>/", catalog.javascript_catalog, name="javascript_catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls),
    path("", include("chat.urls")),
]

handler500 = "chatsite.ops.server_error"
