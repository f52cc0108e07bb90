"""Signals the app sends, each after the surrounding transaction commits.

- ``connection_opened(sender=view class, session, request)``: a $connect succeeded.
- ``connection_closed(sender=view class, session, request)``: a $disconnect arrived.
- ``message_handled(sender=view class, session, request, handler_name)``: a handler ran.
"""

from django.dispatch import Signal

connection_opened = Signal()
connection_closed = Signal()
message_handled = Signal()
