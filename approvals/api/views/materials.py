"""A draft's materials: upload a file, sign a commitment instead, or defer it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import services
from approvals.api import serializers as s
from approvals.api.views.scope import own_application


class MaterialUpload(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["applications"],
        summary="Upload a material (PDF, JPEG or PNG)",
        request={"multipart/form-data": s.UploadSerializer},
        responses=s.ApplicationMaterialSerializer,
    )
    def post(self, request, public_id, material_code):
        application = own_application(request, public_id)
        form = s.UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = services.material_upload(
            actor=request.user,
            application=application,
            material_code=material_code,
            upload=form.validated_data["file"],
        )
        return Response(s.ApplicationMaterialSerializer(row).data)


class MaterialCommitment(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Replace a material by a signed commitment, where the service allows it",
        request=s.CommitmentSerializer,
        responses=s.ApplicationMaterialSerializer,
    )
    def post(self, request, public_id, material_code):
        application = own_application(request, public_id)
        form = s.CommitmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = services.material_commit(
            actor=request.user,
            application=application,
            material_code=material_code,
            text=form.validated_data["text"],
        )
        return Response(s.ApplicationMaterialSerializer(row).data)


class MaterialDeferral(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Ask to hand a material in after acceptance, where the service allows it",
        request=None,
        responses=s.ApplicationMaterialSerializer,
    )
    def post(self, request, public_id, material_code):
        application = own_application(request, public_id)
        row = services.material_defer(
            actor=request.user, application=application, material_code=material_code
        )
        return Response(s.ApplicationMaterialSerializer(row).data)
