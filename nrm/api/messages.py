"""Partner messages over the API: list, read, acknowledge (``/api/v1/messages``).
What a client sees is what ``partner_inbox_for`` gives its account: its organisation's messages."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.auth import ClientRateThrottle, ClientTokenAuthentication, needs_scope
from nrm.api.scopes import Scope
from nrm.core.api_errors import ErrorSerializer
from nrm.notify.models import OutboxMessage
from nrm.notify.selectors import partner_inbox_for
from nrm.notify.services import outbox_acknowledge

AUTH = [ClientTokenAuthentication, SessionAuthentication]


class MessageSerializer(serializers.ModelSerializer[OutboxMessage]):
    class Meta:
        model = OutboxMessage
        fields = ["id", "kind", "subject", "body", "about_type", "about_id", "requires_acknowledgement",
                  "acknowledge_by", "acknowledged_at", "crime_reference", "created_at"]


class AcknowledgeSerializer(serializers.Serializer[Any]):
    crime_reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


@extend_schema(responses=MessageSerializer(many=True))
@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([needs_scope(Scope.MESSAGES_READ)])
@throttle_classes([ClientRateThrottle])
def messages_list(request: Request) -> Response:
    """The messages addressed to the client's organisation, newest first."""
    messages = partner_inbox_for(request.user).order_by("-created_at")[:200]
    return Response(MessageSerializer(messages, many=True).data)


@extend_schema(responses=MessageSerializer)
@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([needs_scope(Scope.MESSAGES_READ)])
@throttle_classes([ClientRateThrottle])
def message_detail(request: Request, message_id: Any) -> Response:
    message = get_object_or_404(partner_inbox_for(request.user), pk=message_id)
    return Response(MessageSerializer(message).data)


@extend_schema(request=AcknowledgeSerializer, responses={200: MessageSerializer, 409: ErrorSerializer})
@api_view(["POST"])
@authentication_classes(AUTH)
@permission_classes([needs_scope(Scope.MESSAGES_ACKNOWLEDGE)])
@throttle_classes([ClientRateThrottle])
def message_acknowledge(request: Request, message_id: Any) -> Response:
    """Acknowledge a message; a crime referral needs the ``crime_reference`` the force recorded it under
    (400 without it). A message that needs no acknowledgement answers 409; acknowledging twice is harmless."""
    message = get_object_or_404(partner_inbox_for(request.user), pk=message_id)
    form = AcknowledgeSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    message = outbox_acknowledge(message=message, user=request.user,
                                 crime_reference=form.validated_data["crime_reference"])
    return Response(MessageSerializer(message).data)
