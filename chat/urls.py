from django.urls import path, register_converter

from chat import file_views, views


class UsernameConverter:
    """A username as Django's validator allows it (letters, digits, and . @ + - _).

    Anything else (a NUL, a slash, a space) cannot name a user, so the URL does not
    match and the page is a 404 before any query is made; PostgreSQL refuses a NUL
    in a query parameter outright.
    """

    regex = r"[\w.@+-]{1,150}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("rooms/new/", views.room_create, name="room_create"),
    path("r/<slug:slug>/", views.room, name="room"),
    path("r/<slug:slug>/join/", views.room_join, name="room_join"),
    path("r/<slug:slug>/leave/", views.room_leave, name="room_leave"),
    path("r/<slug:slug>/members/", views.member_add, name="member_add"),
    path("r/<slug:slug>/mute/", views.room_mute, name="room_mute"),
    path("r/<slug:slug>/bots/", views.bot_create, name="bot_create"),
    path("r/<slug:slug>/files/", file_views.upload, name="upload"),
    path("r/<slug:slug>/files/<int:attachment_id>/", file_views.discard, name="upload_discard"),
    path("files/<int:attachment_id>/", file_views.attachment, name="attachment"),
    path(
        "files/<int:attachment_id>/thumbnail/", file_views.attachment_thumbnail, name="attachment_thumbnail"
    ),
    path("r/<slug:slug>/webhooks/", views.webhook_create, name="webhook_create"),
    path("r/<slug:slug>/webhooks/<int:webhook_id>/revoke/", views.webhook_revoke, name="webhook_revoke"),
    path("hooks/<int:webhook_id>/<str:secret>/", views.webhook_post, name="webhook_post"),
    path("dm/", views.direct_open, name="direct_open"),
    path("dm/<username:username>/", views.direct, name="direct"),
    path("people/", views.people, name="people"),
    path("search/", views.search, name="search"),
    path("mentions/", views.mentions, name="mentions"),
    path("threads/", views.threads, name="threads"),
]
