"""Routes of hierarchies, included under /api/v1/ by structure_cloud.urls."""

from django.urls import path

from hierarchies import apis

app_name = "hierarchies"

urlpatterns = [
    path("structures/", apis.StructureCollectionApi.as_view(), name="structures"),
    path(
        "structures/<int:structure_id>",
        apis.StructureDetailApi.as_view(),
        name="structure",
    ),
    path(
        "structures/<int:structure_id>/archive",
        apis.StructureArchiveApi.as_view(),
        name="archive",
    ),
    path(
        "structures/<int:structure_id>/favorite",
        apis.FavoriteApi.as_view(),
        name="favorite",
    ),
    path(
        "structures/<int:structure_id>/permissions",
        apis.PermissionsApi.as_view(),
        name="permissions",
    ),
    path(
        "structures/<int:structure_id>/forest", apis.ForestApi.as_view(), name="forest"
    ),
    path(
        "structures/<int:structure_id>/history",
        apis.HistoryApi.as_view(),
        name="history",
    ),
    path("structures/<int:structure_id>/undo", apis.UndoApi.as_view(), name="undo"),
    path(
        "structures/<int:structure_id>/generation",
        apis.GenerationApi.as_view(),
        name="generation",
    ),
    path(
        "structures/<int:structure_id>/folders",
        apis.FolderCollectionApi.as_view(),
        name="folders",
    ),
    path(
        "structures/<int:structure_id>/folders/<int:folder_id>",
        apis.FolderDetailApi.as_view(),
        name="folder",
    ),
    path(
        "structures/<int:structure_id>/generators",
        apis.GeneratorCollectionApi.as_view(),
        name="generators",
    ),
    path(
        "structures/<int:structure_id>/generators/<int:generator_id>",
        apis.GeneratorDetailApi.as_view(),
        name="generator",
    ),
]
