from django.urls import URLPattern, URLResolver, path

from django_aws_api_gateway_websockets.views import WebSocketTokenView

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/<slug:route>", views.ChatView.as_view()),
    path("token-ws/<slug:route>", views.TokenChatView.as_view()),
    path("racing-token-ws/<slug:route>", views.RacingTokenView.as_view()),
    path("nodefault-ws/<slug:route>", views.NoDefaultView.as_view()),
    path("listed-ws/<slug:route>", views.ListedView.as_view()),
    path("any-perm-ws/<slug:route>", views.AnyPermissionView.as_view()),
    path("all-perm-ws/<slug:route>", views.AllPermissionsView.as_view()),
    path("connect-perm-ws/<slug:route>", views.ConnectPermissionView.as_view()),
    path("broken-ws/<slug:route>", views.BrokenView.as_view()),
    path("quiet-broken-ws/<slug:route>", views.QuietBrokenView.as_view()),
    path("writing-broken-ws/<slug:route>", views.WritingBrokenView.as_view()),
    path("pinned-ws/<slug:route>", views.PinnedView.as_view()),
    path("writing-refusing-ws/<slug:route>", views.WritingRefusingView.as_view()),
    path("channel-error-ws/<slug:route>", views.WritingChannelErrorView.as_view()),
    path("overriding-ws/<slug:route>", views.OverridingSubscribeView.as_view()),
    path("strict-ws/<slug:route>", views.StrictView.as_view()),
    path("open-ws/<slug:route>", views.NoRateLimitView.as_view()),
    path("fourx-ws/<slug:route>", views.FourXStyleView.as_view()),
    path("rooms-ws/<slug:route>", views.RoomsView.as_view()),
    path("fourx-channel-ws/<slug:route>", views.FourXChannelCheckView.as_view()),
    path("tight-ws/<slug:route>", views.TightBudgetView.as_view()),
    path("unlimited-ws/<slug:route>", views.UnlimitedView.as_view()),
    path("authorizer-ws/<slug:route>", views.AuthorizerContextView.as_view()),
    path("ws-token/", WebSocketTokenView.as_view()),
]
