"""Signals the app sends (docs/views.md, "Signals").

After the surrounding transaction commits, with ``send_robust``:

- ``connection_opened(sender=view class, session, request)``: a $connect succeeded.
- ``connection_closed(sender=view class, session, request)``: a $disconnect arrived.
- ``message_handled(sender=view class, session, request, handler_name)``: a handler ran.

Inside the transaction that made the change, with ``send`` (a receiver's
exception rolls it back):

- ``membership_changed(sender=ChannelMembership, changes, using)``: a user's
  first connection joined a presence channel, or their last one left it;
  ``changes`` is a list of ``subscriptions.PresenceChange``, ``using`` the
  database alias. The app's own receiver sends ``member_added`` /
  ``member_removed`` (``coalescing.announce_after_commit``).
"""

from django.dispatch import Signal

connection_opened = Signal()
connection_closed = Signal()
message_handled = Signal()
# Sent by subscriptions under its (channel, user) locks, before the commit, so
# that presence (which subscriptions never imports) decides while they are held.
membership_changed = Signal()
