"""JSON API of jira_sync: who am I."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jira_sync.authentication import context_of


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer[dict[str, str]]):
        clientKey = serializers.CharField()  # noqa: N815  (the JSON contract's spelling)
        accountId = serializers.CharField()  # noqa: N815

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        context = context_of(request)
        data = {"clientKey": context.tenant.client_key, "accountId": context.account_id}
        return Response(self.OutputSerializer(data).data)
