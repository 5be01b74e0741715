from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("rooms/new/", views.room_create, name="room_create"),
    path("r/<slug:slug>/", views.room, name="room"),
    path("r/<slug:slug>/join/", views.room_join, name="room_join"),
    path("r/<slug:slug>/leave/", views.room_leave, name="room_leave"),
    path("r/<slug:slug>/members/", views.member_add, name="member_add"),
    path("dm/<str:username>/", views.direct, name="direct"),
]
