"""JSON API of hierarchies under /api/v1/ (context JWT; tenant and viewer from it).

The forest endpoints follow the contract of issue 5 exactly. Classes are per URL: DRF
routes one class per path, so a path with several methods has one class whose nested
serializers are named per method.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hierarchies import selectors, services
from hierarchies.forest import (
    ITEM_TYPE_NAMES,
    ForestError,
    actions_parse,
    forest_formula,
    generated_moves,
)
from hierarchies.generator_configs import ConfigError
from hierarchies.generators import selectors as gen_selectors
from hierarchies.models import (
    LEVEL_NAMES,
    LEVELS_BY_NAME,
    Folder,
    ForestVersion,
    GeneratorConfig,
    Level,
    PermissionRule,
)
from hierarchies.permissions import Rule
from hierarchies.selectors import StructureAccess
from jira_sync.authentication import context_of


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."


class _Api(APIView):
    """Maps domain errors to the API's JSON errors; refuses oversized bodies early."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.VersionConflict):
            return Response(
                {"version": exc.current, "error": str(exc)},
                status=status.HTTP_409_CONFLICT,
            )
        if isinstance(exc, ForestError | ConfigError):
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, DjangoValidationError):
            fields = exc.message_dict if hasattr(exc, "error_dict") else {}
            return Response(
                {"error": " ".join(exc.messages) or "Invalid input.", "fields": fields},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return super().handle_exception(exc)

    def access(
        self, request: Request, structure_id: int, level: Level = Level.VIEW
    ) -> StructureAccess:
        context = context_of(request)
        return selectors.structure_get_for_viewer(
            tenant=context.tenant,
            account_id=context.account_id,
            structure_id=structure_id,
            level=level,
        )

    def actor(self, request: Request) -> str:
        return context_of(request).account_id


def input_validated(
    serializer_class: type[serializers.Serializer[Any]], data: Any
) -> Any:
    """Validated data of a JSON-object body (400 for anything else)."""
    if not isinstance(data, dict):
        raise ParseError("The request body must be a JSON object.")
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- structures ----------------------------------------------------------------------


class StructureOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    ownerAccountId = serializers.CharField()  # noqa: N815  (the JSON contract's spelling)
    archived = serializers.BooleanField()
    version = serializers.IntegerField()
    rowCount = serializers.IntegerField()  # noqa: N815
    level = serializers.ChoiceField(choices=list(LEVELS_BY_NAME))
    favorite = serializers.BooleanField()
    createdAt = serializers.DateTimeField()  # noqa: N815
    updatedAt = serializers.DateTimeField()  # noqa: N815


def _structure_data(item: StructureAccess) -> dict[str, Any]:
    s = item.structure
    return StructureOutputSerializer(
        {
            "id": s.pk,
            "name": s.name,
            "description": s.description,
            "ownerAccountId": s.owner_account_id,
            "archived": s.archived,
            "version": s.version,
            "rowCount": s.row_count,
            "level": item.level_name,
            "favorite": item.favorite,
            "createdAt": s.created_at,
            "updatedAt": s.updated_at,
        }
    ).data


class StructureCollectionApi(_Api):
    class CreateInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(
            max_length=4000, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("archived", str, enum=["false", "true", "all"]),
            OpenApiParameter("favorite", bool),
        ],
        responses=StructureOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        context = context_of(request)
        archived_param = request.query_params.get("archived", "false")
        archived = None if archived_param == "all" else archived_param == "true"
        items = selectors.structure_list_for_viewer(
            tenant=context.tenant,
            account_id=context.account_id,
            archived=archived,
            favorites_only=request.query_params.get("favorite") in ("1", "true"),
        )
        return Response([_structure_data(i) for i in items])

    @extend_schema(
        request=CreateInputSerializer, responses={201: StructureOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        context = context_of(request)
        data = input_validated(self.CreateInputSerializer, request.data)
        structure = services.structure_create(
            tenant=context.tenant, actor=context.account_id, **data
        )
        item = StructureAccess(structure=structure, level=Level.CONTROL)
        return Response(_structure_data(item), status=status.HTTP_201_CREATED)


class StructureDetailApi(_Api):
    class UpdateInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(
            max_length=4000, required=False, allow_blank=True
        )

    @extend_schema(responses=StructureOutputSerializer)
    def get(self, request: Request, structure_id: int) -> Response:
        return Response(_structure_data(self.access(request, structure_id)))

    @extend_schema(request=UpdateInputSerializer, responses=StructureOutputSerializer)
    def patch(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.CONTROL)
        data = input_validated(self.UpdateInputSerializer, request.data)
        services.structure_update(
            structure=item.structure, actor=self.actor(request), **data
        )
        return Response(_structure_data(item))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.CONTROL)
        services.structure_delete(structure=item.structure, actor=self.actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StructureArchiveApi(_Api):
    class InputSerializer(serializers.Serializer[Any]):
        archived = serializers.BooleanField(default=True)

    @extend_schema(request=InputSerializer, responses=StructureOutputSerializer)
    def post(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.CONTROL)
        data = input_validated(self.InputSerializer, request.data or {})
        services.structure_archive(
            structure=item.structure, actor=self.actor(request), **data
        )
        return Response(_structure_data(item))


class FavoriteApi(_Api):
    @extend_schema(request=None, responses=StructureOutputSerializer)
    def put(self, request: Request, structure_id: int) -> Response:
        return self._set(request, structure_id, starred=True)

    @extend_schema(request=None, responses=StructureOutputSerializer)
    def delete(self, request: Request, structure_id: int) -> Response:
        return self._set(request, structure_id, starred=False)

    def _set(self, request: Request, structure_id: int, *, starred: bool) -> Response:
        item = self.access(request, structure_id)
        services.favorite_set(
            structure=item.structure, account_id=self.actor(request), starred=starred
        )
        return Response(
            _structure_data(
                StructureAccess(item.structure, item.level, favorite=starred)
            )
        )


# --- permission rules ----------------------------------------------------------------


class SubjectSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=PermissionRule.Subject.values)
    accountId = serializers.CharField(max_length=128, required=False)  # noqa: N815
    name = serializers.CharField(max_length=255, required=False)
    projectId = serializers.IntegerField(min_value=1, required=False)  # noqa: N815
    roleId = serializers.IntegerField(min_value=1, required=False)  # noqa: N815

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needed = {
            "user": ("accountId",),
            "group": ("name",),
            "projectRole": ("projectId", "roleId"),
            "everyone": (),
        }[attrs["type"]]
        missing = [key for key in needed if key not in attrs]
        if missing:
            raise serializers.ValidationError(
                f"a {attrs['type']} subject needs {' and '.join(missing)}"
            )
        return attrs


class RuleSerializer(serializers.Serializer[Any]):
    subject = SubjectSerializer()
    level = serializers.ChoiceField(choices=list(LEVELS_BY_NAME))


def subject_fields(subject: dict[str, Any]) -> dict[str, Any]:
    """Model fields of a subject validated by `SubjectSerializer`."""
    return {
        "subject_type": subject["type"],
        "account_id": subject.get("accountId", ""),
        "group_name": subject.get("name", ""),
        "project_id": subject.get("projectId"),
        "role_id": subject.get("roleId"),
    }


def subject_data(rule: Any) -> dict[str, Any]:
    """The JSON subject of a rule (structure or view rules share the shape)."""
    subject: dict[str, Any] = {"type": rule.subject_type}
    if rule.subject_type == "user":
        subject["accountId"] = rule.account_id
    elif rule.subject_type == "group":
        subject["name"] = rule.group_name
    elif rule.subject_type == "projectRole":
        subject.update(projectId=rule.project_id, roleId=rule.role_id)
    return subject


def _rule_data(rule: PermissionRule) -> dict[str, Any]:
    return {"subject": subject_data(rule), "level": LEVEL_NAMES[rule.level]}


class PermissionsApi(_Api):
    class InputSerializer(serializers.Serializer[Any]):
        rules = serializers.ListField(
            child=RuleSerializer(), max_length=services.MAX_RULES
        )

    class OutputSerializer(serializers.Serializer[Any]):
        rules = RuleSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.CONTROL)
        rules = selectors.permission_rules_list(structure=item.structure)
        return Response({"rules": [_rule_data(r) for r in rules]})

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.CONTROL)
        data = input_validated(self.InputSerializer, request.data)
        rules = [
            Rule(level=LEVELS_BY_NAME[r["level"]], **subject_fields(r["subject"]))
            for r in data["rules"]
        ]
        created = services.permission_rules_replace(
            structure=item.structure, actor=self.actor(request), rules=rules
        )
        return Response({"rules": [_rule_data(r) for r in created]})


# --- forest --------------------------------------------------------------------------


class ForestRowSerializer(serializers.Serializer[Any]):
    rowId = serializers.IntegerField()  # noqa: N815
    depth = serializers.IntegerField()
    itemType = serializers.ChoiceField(choices=list(ITEM_TYPE_NAMES.values()))  # noqa: N815
    itemId = serializers.IntegerField()  # noqa: N815


class ItemSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=list(ITEM_TYPE_NAMES.values()))
    id = serializers.IntegerField(min_value=1)


class ActionSerializer(serializers.Serializer[Any]):
    """Schema of one action (parsed by hierarchies.forest.actions_parse for speed)."""

    op = serializers.ChoiceField(choices=["add", "move", "remove", "copy"])
    item = ItemSerializer(required=False)
    row = serializers.IntegerField(required=False)
    under = serializers.IntegerField(required=False, allow_null=True)
    after = serializers.IntegerField(required=False, allow_null=True)
    tempId = serializers.IntegerField(required=False, max_value=-1)  # noqa: N815


class ForestApi(_Api):
    class OutputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField()
        rows = ForestRowSerializer(many=True)
        formula = serializers.CharField()

    class InputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField(min_value=1)
        actions = serializers.ListField(allow_empty=True)

    class DocInputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField(min_value=1)
        actions = ActionSerializer(many=True)

    class UpdateOutputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField()
        rowIds = serializers.DictField(child=serializers.IntegerField())  # noqa: N815

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, description="a past version"),
            OpenApiParameter(
                "effective",
                bool,
                description=(
                    "the viewer's effective forest: generators run, rows the viewer"
                    " may not browse left out; adds `generated`, group rows"
                    " (`itemType` group, `label`), `complete` and `message`"
                ),
            ),
        ],
        responses={200: OutputSerializer},
    )
    def get(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id)
        if request.query_params.get("effective") in ("1", "true"):
            return self._effective(request, item)
        raw = request.query_params.get("version")
        if raw is not None and not raw.isdigit():
            raise ParseError("'version' must be a positive integer.")
        context = context_of(request)
        forest = selectors.forest_get_for_viewer(
            tenant=context.tenant,
            account_id=context.account_id,
            structure=item.structure,
            version=int(raw) if raw is not None else None,
        )
        # Built as plain dicts: a serializer per row is too slow for 100,000 rows.
        rows = [
            {
                "rowId": r.row_id,
                "depth": r.depth,
                "itemType": ITEM_TYPE_NAMES[r.item_type],
                "itemId": r.item_id,
            }
            for r in forest.rows
        ]
        return Response(
            {
                "version": forest.version,
                "rows": rows,
                "formula": forest_formula(forest.rows),
            }
        )

    def _effective(self, request: Request, item: StructureAccess) -> Response:
        if "version" in request.query_params:
            raise ParseError("'effective' shows the current version only.")
        forest = gen_selectors.structure_forest_effective(
            structure=item.structure, account_id=self.actor(request)
        )
        rows = []
        for r in forest.rows:
            row: dict[str, Any] = {
                "rowId": r.row_id,
                "depth": r.depth,
                "itemType": r.item_type,
                "itemId": r.item_id,
            }
            if r.generated:
                row["generated"] = True
            if r.label is not None:
                row["label"] = r.label
            rows.append(row)
        return Response(
            {
                "version": forest.version,
                "rows": rows,
                "complete": forest.complete,
                "message": forest.message,
            }
        )

    @extend_schema(
        request=DocInputSerializer,
        responses={200: UpdateOutputSerializer, 409: UpdateOutputSerializer},
    )
    def post(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.EDIT)
        data = input_validated(self.InputSerializer, request.data)
        actions = actions_parse(data["actions"])
        moves = generated_moves(actions)
        if moves:
            # Generated rows are computed: their moves are stored as rules.
            moved = services.generated_rows_move(
                structure=item.structure,
                actor=self.actor(request),
                version=data["version"],
                moves=moves,
            )
            return Response({"version": moved.version, "rowIds": {}})
        result = services.forest_update(
            structure=item.structure,
            actor=self.actor(request),
            version=data["version"],
            actions=actions,
            level=item.level,
        )
        return Response(
            {
                "version": result.version,
                "rowIds": {str(k): v for k, v in result.temp_ids.items()},
            }
        )


class HistoryEntrySerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ForestVersion.Kind.values)
    actor = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    rowCount = serializers.IntegerField(source="row_count")  # noqa: N815
    summary = serializers.DictField()
    undone = serializers.BooleanField()
    reverts = serializers.IntegerField(allow_null=True)


class HistoryApi(_Api):
    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="versions older than this"),
            OpenApiParameter("limit", int),
        ],
        responses=HistoryEntrySerializer(many=True),
    )
    def get(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id)
        params = request.query_params
        for key in ("before", "limit"):
            if key in params and not params[key].isdigit():
                raise ParseError(f"'{key}' must be a positive integer.")
        entries = selectors.history_list(
            structure=item.structure,
            before=int(params["before"]) if "before" in params else None,
            limit=int(params.get("limit", 50)),
        )
        return Response(HistoryEntrySerializer(entries, many=True).data)


class UndoApi(_Api):
    class InputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField(min_value=1)
        steps = serializers.IntegerField(min_value=1, max_value=1000, default=1)

    class OutputSerializer(serializers.Serializer[Any]):
        version = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.EDIT)
        data = input_validated(self.InputSerializer, request.data)
        result = services.forest_undo(
            structure=item.structure,
            actor=self.actor(request),
            level=item.level,
            **data,
        )
        return Response({"version": result.version})


# --- folders and generators ----------------------------------------------------------


class _Placed(serializers.Serializer[Any]):
    """Optional placement of the new item's row, and the version it is based on."""

    under = serializers.IntegerField(required=False, allow_null=True)
    after = serializers.IntegerField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


def _placement(data: dict[str, Any]) -> services.Placement | None:
    if "under" not in data and "after" not in data:
        return None
    return services.Placement(under=data.get("under"), after=data.get("after"))


def _version_param(request: Request) -> int | None:
    raw = request.query_params.get("version")
    if raw is None:
        return None
    if not raw.isdigit():
        raise ParseError("'version' must be a positive integer.")
    return int(raw)


class FolderSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _folder_data(
    folder: Folder, written: services.ForestWriteResult | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": folder.pk, "name": folder.name}
    if written is not None:
        data.update(rowId=written.row_id, version=written.version)
    return data


class FolderCollectionApi(_Api):
    class CreateInputSerializer(_Placed):
        name = serializers.CharField(max_length=255)

    @extend_schema(responses=FolderSerializer(many=True))
    def get(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id)
        folders = selectors.folder_list(structure=item.structure)
        return Response([_folder_data(f) for f in folders])

    @extend_schema(request=CreateInputSerializer, responses={201: FolderSerializer})
    def post(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.EDIT)
        data = input_validated(self.CreateInputSerializer, request.data)
        folder, written = services.folder_create(
            structure=item.structure,
            actor=self.actor(request),
            name=data["name"],
            placement=_placement(data),
            version=data.get("version"),
        )
        return Response(_folder_data(folder, written), status=status.HTTP_201_CREATED)


class FolderDetailApi(_Api):
    class UpdateInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=255)

    @extend_schema(request=UpdateInputSerializer, responses=FolderSerializer)
    def patch(self, request: Request, structure_id: int, folder_id: int) -> Response:
        item = self.access(request, structure_id, Level.EDIT)
        folder = selectors.folder_get(structure=item.structure, folder_id=folder_id)
        data = input_validated(self.UpdateInputSerializer, request.data)
        services.folder_rename(folder=folder, actor=self.actor(request), **data)
        return Response(_folder_data(folder))

    @extend_schema(parameters=[OpenApiParameter("version", int)], responses={204: None})
    def delete(self, request: Request, structure_id: int, folder_id: int) -> Response:
        item = self.access(request, structure_id, Level.EDIT)
        folder = selectors.folder_get(structure=item.structure, folder_id=folder_id)
        services.folder_delete(
            folder=folder, actor=self.actor(request), version=_version_param(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GenerationApi(_Api):
    class OutputSerializer(serializers.Serializer[Any]):
        state = serializers.ChoiceField(choices=["none", "running", "done", "stopped"])
        stage = serializers.CharField(required=False)
        rows = serializers.IntegerField(required=False)
        seconds = serializers.FloatField(required=False)
        message = serializers.CharField(required=False, allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id)
        progress = gen_selectors.generation_progress_get(structure=item.structure)
        return Response(progress if progress is not None else {"state": "none"})


class GeneratorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=GeneratorConfig.Kind.values)
    config = serializers.DictField()


def _generator_data(
    generator: GeneratorConfig, written: services.ForestWriteResult | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": generator.pk,
        "kind": generator.kind,
        "config": generator.config,
    }
    if written is not None:
        data.update(rowId=written.row_id, version=written.version)
    return data


class GeneratorCollectionApi(_Api):
    class CreateInputSerializer(_Placed):
        kind = serializers.CharField(max_length=32)
        config = serializers.JSONField(default=dict)

    @extend_schema(responses=GeneratorSerializer(many=True))
    def get(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id)
        generators = selectors.generator_list(structure=item.structure)
        return Response([_generator_data(g) for g in generators])

    @extend_schema(request=CreateInputSerializer, responses={201: GeneratorSerializer})
    def post(self, request: Request, structure_id: int) -> Response:
        item = self.access(request, structure_id, Level.AUTOMATE)
        data = input_validated(self.CreateInputSerializer, request.data)
        generator, written = services.generator_create(
            structure=item.structure,
            actor=self.actor(request),
            kind=data["kind"],
            config=data["config"],
            placement=_placement(data),
            version=data.get("version"),
        )
        return Response(
            _generator_data(generator, written), status=status.HTTP_201_CREATED
        )


class GeneratorDetailApi(_Api):
    class UpdateInputSerializer(serializers.Serializer[Any]):
        config = serializers.JSONField()

    @extend_schema(responses=GeneratorSerializer)
    def get(self, request: Request, structure_id: int, generator_id: int) -> Response:
        item = self.access(request, structure_id)
        generator = selectors.generator_get(
            structure=item.structure, generator_id=generator_id
        )
        return Response(_generator_data(generator))

    @extend_schema(request=UpdateInputSerializer, responses=GeneratorSerializer)
    def patch(self, request: Request, structure_id: int, generator_id: int) -> Response:
        item = self.access(request, structure_id, Level.AUTOMATE)
        generator = selectors.generator_get(
            structure=item.structure, generator_id=generator_id
        )
        data = input_validated(self.UpdateInputSerializer, request.data)
        services.generator_update(
            generator=generator, actor=self.actor(request), config=data["config"]
        )
        return Response(_generator_data(generator))

    @extend_schema(request=UpdateInputSerializer, responses=GeneratorSerializer)
    def put(self, request: Request, structure_id: int, generator_id: int) -> Response:
        return self.patch(request, structure_id, generator_id)

    @extend_schema(parameters=[OpenApiParameter("version", int)], responses={204: None})
    def delete(
        self, request: Request, structure_id: int, generator_id: int
    ) -> Response:
        item = self.access(request, structure_id, Level.AUTOMATE)
        generator = selectors.generator_get(
            structure=item.structure, generator_id=generator_id
        )
        services.generator_delete(
            generator=generator,
            actor=self.actor(request),
            version=_version_param(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
