"""The service catalogue, open to anyone: services, their departments and materials."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from approvals import selectors
from approvals.api import filters
from approvals.api import serializers as s


@extend_schema(tags=["catalogue"], summary="Open services, their departments and materials")
class ServiceList(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.ServiceSerializer
    filterset_class = filters.ServiceFilter

    def get_queryset(self):
        return selectors.service_guide().distinct()


@extend_schema(tags=["catalogue"], summary="One service, with its median approval time so far")
class ServiceDetail(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.ServiceDetailSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.service_guide()
