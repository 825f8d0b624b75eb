"""JSON API of the board under /api/v1/ (context JWT): rows on demand, export, adding
issues and folders from the board, and views.

Moves, removals and undo go straight to the hierarchies forest API (with the version).
"""

import json
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from boards import board as board_lib
from boards import export, rendering, selectors, services
from boards.columns import Column, ColumnsError, columns_parse
from boards.models import (
    VIEW_LEVELS_BY_NAME,
    View,
    ViewLevel,
    ViewPermission,
)
from hierarchies.apis import (
    SubjectSerializer,
    input_validated,
    subject_data,
    subject_fields,
)
from hierarchies.forest import ForestError
from hierarchies.models import Level
from hierarchies.selectors import StructureAccess
from hierarchies.services import VersionConflict
from jira_sync import selectors as jira_selectors
from jira_sync.authentication import ConnectContext, context_of
from jira_sync.client import JiraError
from jira_sync.models import Tenant
from jira_sync.page_links import page_link_build

ISSUE_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,30}-\d{1,12}$")
EXPORT_MAX_ROWS = 200_000


class _Api(APIView):
    """Maps domain errors to the API's JSON errors."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, VersionConflict | selectors.StaleVersion):
            return Response(
                {"version": exc.current, "error": str(exc)},
                status=status.HTTP_409_CONFLICT,
            )
        if isinstance(exc, ColumnsError):
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, DjangoValidationError):
            return Response(
                {"error": " ".join(exc.messages) or "Invalid input."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, ForestError):
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, JiraError):
            return Response(
                {"error": "Jira is not answering right now; try again in a moment."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return super().handle_exception(exc)

    def context(self, request: Request) -> ConnectContext:
        return context_of(request)

    def board(
        self, request: Request, structure_id: int, query: dict[str, Any]
    ) -> selectors.BoardData:
        """The caller's board in the view and columns its validated `query` names."""
        context = self.context(request)
        return selectors.board_get(
            tenant=context.tenant,
            account_id=context.account_id,
            structure_id=structure_id,
            view_id=query.get("view"),
            columns=query.get("columns"),
        )

    def structure_access(
        self, request: Request, structure_id: int, level: Level = Level.VIEW
    ) -> StructureAccess:
        """The caller's access to a structure of its own tenant (404 / 403 otherwise)."""
        context = self.context(request)
        return selectors.structure_access_get(
            tenant=context.tenant,
            account_id=context.account_id,
            structure_id=structure_id,
            level=level,
        )


def _columns_param(value: str) -> list[Column] | None:
    """The viewer's unsaved columns (``?columns=``, the JSON of a view's column list)."""
    if not value:
        return None
    try:
        return columns_parse(json.loads(value))
    except (ValueError, ColumnsError) as exc:
        message = str(exc) if isinstance(exc, ColumnsError) else "not JSON"
        raise serializers.ValidationError(message) from exc


def _columns_field() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=8000)


class RowsQuerySerializer(serializers.Serializer[Any]):
    view = serializers.IntegerField(required=False, min_value=1)
    columns = _columns_field()
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=selectors.FILTER_MAX_CHARS
    )
    under = serializers.IntegerField(required=False)
    expandDepth = serializers.IntegerField(  # noqa: N815
        required=False, min_value=0, max_value=99, default=1
    )
    expanded = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    offset = serializers.IntegerField(required=False, min_value=0, default=0)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=board_lib.MAX_PAGE_ROWS, default=200
    )
    version = serializers.CharField(required=False, allow_blank=True, max_length=20)

    def validate_columns(self, value: str) -> list[Column] | None:
        return _columns_param(value)

    def validate_expanded(self, value: str) -> list[int]:
        try:
            return [int(v) for v in value.split(",") if v.strip()]
        except ValueError as exc:
            raise serializers.ValidationError(
                "a comma-separated list of row IDs"
            ) from exc

    def validate_version(self, value: str) -> int | None:
        if not value:
            return None
        if not value.isdigit():
            raise serializers.ValidationError("a forest version number")
        return int(value)


class BoardRowsApi(_Api):
    """Rows below a row (or at the top) as HTML, with the totals footer; with ``q``,
    the rows of the whole tree matching the quick filter and their ancestors."""

    @extend_schema(parameters=[RowsQuerySerializer])
    def get(self, request: Request, structure_id: int) -> Response:
        query = input_validated(RowsQuerySerializer, request.query_params.dict())
        board = self.board(request, structure_id, query)
        if query.get("q", "").strip() and query.get("under") is None:
            if query.get("version") not in (None, board.forest.version):
                raise selectors.StaleVersion(board.forest.version)
            page = selectors.board_rows_filtered_get(
                board=board,
                text=query["q"],
                offset=query["offset"],
                limit=query["limit"],
            )
            return Response(rendering.rows_payload(board, page))
        page = selectors.board_rows_get(
            board=board,
            under_row_id=query.get("under"),
            expand_depth=query["expandDepth"],
            expanded_row_ids=query.get("expanded") or [],
            offset=query["offset"],
            limit=query["limit"],
            version=query.get("version"),
        )
        return Response(rendering.rows_payload(board, page))


class BoardExportApi(_Api):
    """The board as CSV or XLSX (the viewer's rows only), audited."""

    class QuerySerializer(serializers.Serializer[Any]):
        # Not "format": DRF reads ?format= to pick a renderer.
        type = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")
        view = serializers.IntegerField(required=False, min_value=1)
        columns = _columns_field()
        expandDepth = serializers.IntegerField(  # noqa: N815
            required=False, min_value=0, max_value=99, default=99
        )

        def validate_columns(self, value: str) -> list[Column] | None:
            return _columns_param(value)

    @extend_schema(parameters=[QuerySerializer], responses={200: bytes})
    def get(self, request: Request, structure_id: int) -> HttpResponse:
        context = self.context(request)
        query = input_validated(self.QuerySerializer, request.query_params.dict())
        board = self.board(request, structure_id, query)
        page = selectors.board_rows_get(
            board=board, expand_depth=query["expandDepth"], limit=EXPORT_MAX_ROWS
        )
        footer = board_lib.total_cells(board.view.columns, board.totals)
        fmt = query["type"]
        if fmt == "xlsx":
            body = export.export_xlsx(
                title=board.structure.name,
                columns=board.view.columns,
                rows=page.rows,
                footer=footer,
                host_base_url=board.tenant.base_url,
            )
            content_type = (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
        else:
            body = export.export_csv(
                columns=board.view.columns, rows=page.rows, footer=footer
            )
            content_type = "text/csv; charset=utf-8"
        services.board_export_record(
            structure=board.structure,
            actor=context.account_id,
            export_format=fmt,
            rows=len(page.rows),
            view_id=board.view.id,
        )
        slug = (
            re.sub(r"[^A-Za-z0-9]+", "-", board.structure.name).strip("-")
            or "structure"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{slug}-{stamp}.{fmt}"'
        return response


class BoardItemAddApi(_Api):
    """Add an issue (by key) or a new folder to the structure, at a place (EDIT)."""

    class InputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField(min_value=1)
        key = serializers.CharField(required=False, max_length=50)
        folder = serializers.CharField(required=False, max_length=255)
        under = serializers.IntegerField(required=False, allow_null=True, default=None)
        after = serializers.IntegerField(required=False, allow_null=True, default=None)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if bool(attrs.get("key")) == bool(attrs.get("folder", "").strip()):
                raise serializers.ValidationError(
                    "Send either an issue key or a folder name."
                )
            key = attrs.get("key")
            if key and not ISSUE_KEY_RE.match(key.strip().upper()):
                raise serializers.ValidationError(f"{key!r} is not an issue key.")
            return attrs

    class OutputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, structure_id: int) -> Response:
        context = self.context(request)
        data = input_validated(self.InputSerializer, request.data)
        access = self.structure_access(request, structure_id, Level.EDIT)
        place = {"under": data["under"], "after": data["after"]}
        if data.get("key"):
            issue_id = selectors.issue_id_by_key_get(
                tenant=context.tenant,
                account_id=context.account_id,
                key=data["key"].strip().upper(),
            )
            version = services.board_issue_add(
                structure_access=access,
                actor=context.account_id,
                version=data["version"],
                issue_id=issue_id,
                **place,
            )
        else:
            version = services.board_folder_add(
                structure_access=access,
                actor=context.account_id,
                version=data["version"],
                name=data["folder"],
                **place,
            )
        return Response({"version": version}, status=status.HTTP_201_CREATED)


class BoardLinkApi(_Api):
    """A signed link to the board page of a structure (after creating one in the
    list), optionally opening one of its views (after "Save as")."""

    class QuerySerializer(serializers.Serializer[Any]):
        view = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(parameters=[QuerySerializer], responses={200: dict})
    def get(self, request: Request, structure_id: int) -> Response:
        context = self.context(request)
        query = input_validated(self.QuerySerializer, request.query_params.dict())
        access = self.structure_access(request, structure_id)
        link_query = None
        if query.get("view"):
            item = selectors.view_get_for_viewer(
                structure_access=access,
                account_id=context.account_id,
                view_id=query["view"],
            )
            link_query = {"view": str(item.id)}
        url = page_link_build(
            context=context,
            path=f"/board/{access.structure.pk}/",
            query=link_query,
        )
        return Response({"url": url})


class BoardFieldsApi(_Api):
    """The site's Jira fields for the column menu (ID, name, numeric)."""

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.CharField()
        name = serializers.CharField()
        numeric = serializers.BooleanField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, structure_id: int) -> Response:
        context = self.context(request)
        self.structure_access(request, structure_id)
        fields = selectors.field_choices_get(tenant=context.tenant)
        return Response(self.OutputSerializer(fields, many=True).data)


# --- views ---------------------------------------------------------------------------


def _view_data(item: selectors.ViewAccess) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "isDefault": item.is_default,
        "expandDepth": item.expand_depth,
        "level": item.level_name,
        "columns": [c.to_json() for c in item.columns],
    }


class ViewCollectionApi(_Api):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100)
        columns = serializers.JSONField()
        expandDepth = serializers.IntegerField(  # noqa: N815
            required=False, min_value=0, max_value=50, default=1
        )
        public = serializers.BooleanField(required=False, default=False)
        makeDefault = serializers.BooleanField(required=False, default=False)  # noqa: N815

    @extend_schema(responses={200: dict})
    def get(self, request: Request, structure_id: int) -> Response:
        context = self.context(request)
        access = self.structure_access(request, structure_id)
        views = selectors.view_list_for_viewer(
            structure_access=access, account_id=context.account_id
        )
        return Response([_view_data(v) for v in views])

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request: Request, structure_id: int) -> Response:
        context = self.context(request)
        data = input_validated(self.InputSerializer, request.data)
        access = self.structure_access(request, structure_id)
        view = services.view_create(
            structure_access=access,
            actor=context.account_id,
            name=data["name"],
            columns=data["columns"],
            expand_depth=data["expandDepth"],
            public=data["public"],
            make_default=data["makeDefault"],
        )
        item = selectors.view_get_for_viewer(
            structure_access=access, account_id=context.account_id, view_id=view.pk
        )
        return Response(_view_data(item), status=status.HTTP_201_CREATED)


class ViewDetailApi(_Api):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(required=False, max_length=100)
        columns = serializers.JSONField(required=False)
        expandDepth = serializers.IntegerField(  # noqa: N815
            required=False, min_value=0, max_value=50
        )

    def _item(
        self, request: Request, structure_id: int, view_id: int
    ) -> tuple[Any, selectors.ViewAccess]:
        context = self.context(request)
        access = self.structure_access(request, structure_id)
        item = selectors.view_get_for_viewer(
            structure_access=access, account_id=context.account_id, view_id=view_id
        )
        return access, item

    @extend_schema(request=InputSerializer, responses={200: dict})
    def put(self, request: Request, structure_id: int, view_id: int) -> Response:
        data = input_validated(self.InputSerializer, request.data)
        access, item = self._item(request, structure_id, view_id)
        services.view_update(
            view_access=item,
            actor=self.context(request).account_id,
            name=data.get("name"),
            columns=data.get("columns"),
            expand_depth=data.get("expandDepth"),
        )
        fresh = selectors.view_get_for_viewer(
            structure_access=access,
            account_id=self.context(request).account_id,
            view_id=view_id,
        )
        return Response(_view_data(fresh))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, structure_id: int, view_id: int) -> Response:
        _, item = self._item(request, structure_id, view_id)
        services.view_delete(view_access=item, actor=self.context(request).account_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ViewDefaultApi(_Api):
    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, structure_id: int, view_id: int) -> Response:
        context = self.context(request)
        access = self.structure_access(request, structure_id)
        item = selectors.view_get_for_viewer(
            structure_access=access, account_id=context.account_id, view_id=view_id
        )
        services.view_default_set(
            structure_access=access, view_access=item, actor=context.account_id
        )
        fresh = selectors.view_get_for_viewer(
            structure_access=access, account_id=context.account_id, view_id=view_id
        )
        return Response(_view_data(fresh))


class ViewRuleSerializer(serializers.Serializer[Any]):
    subject = SubjectSerializer()
    level = serializers.ChoiceField(
        choices=[n for n in VIEW_LEVELS_BY_NAME if n != "NONE"]
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {
            **subject_fields(attrs["subject"]),
            "level": int(VIEW_LEVELS_BY_NAME[attrs["level"]]),
        }


class ViewPermissionsApi(_Api):
    class InputSerializer(serializers.Serializer[Any]):
        rules = ViewRuleSerializer(many=True)

    @extend_schema(request=InputSerializer, responses={200: dict})
    def put(self, request: Request, structure_id: int, view_id: int) -> Response:
        context = self.context(request)
        data = input_validated(self.InputSerializer, request.data)
        access = self.structure_access(request, structure_id)
        item = selectors.view_get_for_viewer(
            structure_access=access,
            account_id=context.account_id,
            view_id=view_id,
            level=ViewLevel.MANAGE,
        )
        rules = services.view_permissions_replace(
            view_access=item, actor=context.account_id, rules=data["rules"]
        )
        return Response({"rules": [_rule_data(r) for r in rules]})


# --- sharing a structure (the Share dialog; saving goes to the permissions API) ------

SHARING_QUERY_LENGTH = (2, 100)


STRUCTURE_SHARING_LEVELS = [Level.VIEW, Level.EDIT, Level.AUTOMATE, Level.CONTROL]
VIEW_SHARING_LEVELS = [ViewLevel.USE, ViewLevel.UPDATE, ViewLevel.MANAGE]


def _sharing_data(
    sharing: selectors.Sharing, *, owner: str, levels: list[Level] | list[ViewLevel]
) -> dict[str, Any]:
    """The JSON of a Share dialog; `levels` are those it offers, lowest first (their
    enum also names the level of each rule)."""
    level_of = type(levels[0])

    def entry(item: selectors.SharingEntry) -> dict[str, Any]:
        data = {"subject": subject_data(item.rule), "label": item.label}
        level = getattr(item.rule, "level", None)
        if level is not None:
            data["level"] = level_of(level).name
        return data

    return {
        "owner": {"accountId": owner, "label": sharing.owner_name},
        "levels": [{"name": level.name, "label": level.label} for level in levels],
        "rules": [entry(e) for e in sharing.rules],
        "roles": [entry(e) for e in sharing.roles],
    }


def _sharing_candidates(request: Request, tenant: Tenant) -> Response:
    """People and groups whose name matches the `q` parameter, found in Jira."""
    query = request.query_params.get("q", "").strip()
    shortest, longest = SHARING_QUERY_LENGTH
    if not shortest <= len(query) <= longest:
        return Response(
            {"error": f"Type {shortest} to {longest} characters of a name."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    users, groups = jira_selectors.sharing_candidates_find(tenant=tenant, query=query)
    return Response(
        {
            "users": [
                {
                    "subject": {"type": "user", "accountId": u.account_id},
                    "label": u.display_name,
                }
                for u in users
            ],
            "groups": [
                {"subject": {"type": "group", "name": g.name}, "label": g.name}
                for g in groups
            ],
        }
    )


class StructureSharingApi(_Api):
    """The structure's rules with readable names, and the project roles to add."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, structure_id: int) -> Response:
        access = self.structure_access(request, structure_id, Level.CONTROL)
        sharing = selectors.structure_sharing_get(
            tenant=self.context(request).tenant, structure=access.structure
        )
        return Response(
            _sharing_data(
                sharing,
                owner=access.structure.owner_account_id,
                levels=STRUCTURE_SHARING_LEVELS,
            )
        )


class StructureSharingCandidatesApi(_Api):
    """People and groups whose name matches `q`, to share the structure with."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, structure_id: int) -> Response:
        self.structure_access(request, structure_id, Level.CONTROL)
        return _sharing_candidates(request, self.context(request).tenant)


class _ViewSharingApi(_Api):
    def view_managed(self, request: Request, structure_id: int, view_id: int) -> View:
        """The view if the caller may manage it (404 / 403 otherwise)."""
        item = selectors.view_get_for_viewer(
            structure_access=self.structure_access(request, structure_id),
            account_id=self.context(request).account_id,
            view_id=view_id,
            level=ViewLevel.MANAGE,
        )
        if item.view is None:  # never for an ID: the built-in columns have none
            raise Http404("No such view of this structure.")
        return item.view


class ViewSharingApi(_ViewSharingApi):
    """A view's rules with readable names, and the project roles to add."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, structure_id: int, view_id: int) -> Response:
        view = self.view_managed(request, structure_id, view_id)
        sharing = selectors.view_sharing_get(
            tenant=self.context(request).tenant, view=view
        )
        return Response(
            _sharing_data(
                sharing,
                owner=view.owner_account_id,
                levels=VIEW_SHARING_LEVELS,
            )
        )


class ViewSharingCandidatesApi(_ViewSharingApi):
    """People and groups whose name matches `q`, to share the view with."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, structure_id: int, view_id: int) -> Response:
        self.view_managed(request, structure_id, view_id)
        return _sharing_candidates(request, self.context(request).tenant)


def _rule_data(rule: ViewPermission) -> dict[str, Any]:
    return {"subject": subject_data(rule), "level": ViewLevel(rule.level).name}
