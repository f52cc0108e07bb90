from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.views.generic import TemplateView

from django_aws_api_gateway_websockets.mixins import AddWebSocketRouteToContextMixin
from django_aws_api_gateway_websockets.models import WebSocketSession

SUGGESTED_ROOMS = ("lobby", "random", "help")


class RoomListView(LoginRequiredMixin, TemplateView):
    template_name = "chat/rooms.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = dict.fromkeys(SUGGESTED_ROOMS, 0)
        for channel in WebSocketSession.objects.connected().values_list("channel_name", flat=True):
            counts[channel] = counts.get(channel, 0) + 1
        context["rooms"] = sorted(counts.items())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        room = slugify(request.POST.get("room", ""))[:50] or "lobby"
        return redirect("room", room=room)


class RoomView(LoginRequiredMixin, AddWebSocketRouteToContextMixin, TemplateView):
    template_name = "chat/room.html"
    websocket_token_url_name = "websocket-token"

    def get_channel_name(self) -> str:
        # The room in the URL is the channel the page joins.
        return str(self.kwargs["room"])
