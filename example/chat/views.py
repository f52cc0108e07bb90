from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.views.generic import TemplateView

from django_aws_api_gateway_websockets import history
from django_aws_api_gateway_websockets.mixins import AddWebSocketRouteToContextMixin
from django_aws_api_gateway_websockets.models import ChannelMembership

SUGGESTED_ROOMS = ("lobby", "random", "help")
# The page of room x follows presence-x (chat.js).
PRESENCE_PREFIX = "presence-"
# How many of a room's last messages a page shows when it opens.
RECENT_MESSAGES = 50


class RoomListView(LoginRequiredMixin, TemplateView):
    template_name = "chat/rooms.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = dict.fromkeys(SUGGESTED_ROOMS, 0)
        # Who is in a room is what its presence channel says: one per user,
        # however many tabs they have open.
        people = (
            ChannelMembership.objects.filter(
                channel_name__startswith=PRESENCE_PREFIX,
                session__connected=True,
                user__isnull=False,
            )
            .values_list("channel_name")
            .annotate(people=Count("user", distinct=True))
        )
        for channel, count in people:
            counts[channel.removeprefix(PRESENCE_PREFIX)] = count
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

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The page resumes the room from here (subscribe(room, {after})): the
        # resume serves its recent messages, and every later reconnect resumes
        # from the last one the page has, even if nothing new arrived before.
        context["history_after"] = history.seq_before_recent(
            context["channel_name"], RECENT_MESSAGES
        )
        return context


def no_favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every site for one: "No Content" instead of a 404 in the log."""
    return HttpResponse(status=204)
