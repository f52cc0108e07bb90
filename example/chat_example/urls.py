from chat import metrics, views
from chat.sockets import ChatSocketView
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from django_aws_api_gateway_websockets.views import WebSocketTokenView

urlpatterns = [
    path("favicon.ico", views.no_favicon),
    path("admin/", admin.site.urls),
    # Prometheus text for a scrape (docs/observability.md).
    path("metrics", metrics.prometheus, name="metrics"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.RoomListView.as_view(), name="rooms"),
    path("rooms/<slug:room>/", views.RoomView.as_view(), name="room"),
    path("api/ws-token/", WebSocketTokenView.as_view(), name="websocket-token"),
    # API Gateway (here: the local gateway) posts to ws/connect, ws/default, ws/disconnect.
    path("ws/<slug:route>", ChatSocketView.as_view()),
]
