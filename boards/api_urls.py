"""Routes of the board's JSON API, included under /api/v1/ by structure_cloud.urls."""

from django.urls import path

from boards import apis

app_name = "boards_api"

urlpatterns = [
    path("boards/<int:structure_id>/rows", apis.BoardRowsApi.as_view(), name="rows"),
    path(
        "boards/<int:structure_id>/export", apis.BoardExportApi.as_view(), name="export"
    ),
    path(
        "boards/<int:structure_id>/items", apis.BoardItemAddApi.as_view(), name="items"
    ),
    path("boards/<int:structure_id>/link", apis.BoardLinkApi.as_view(), name="link"),
    path(
        "boards/<int:structure_id>/fields", apis.BoardFieldsApi.as_view(), name="fields"
    ),
    path(
        "structures/<int:structure_id>/views",
        apis.ViewCollectionApi.as_view(),
        name="views",
    ),
    path(
        "structures/<int:structure_id>/views/<int:view_id>",
        apis.ViewDetailApi.as_view(),
        name="view",
    ),
    path(
        "structures/<int:structure_id>/views/<int:view_id>/default",
        apis.ViewDefaultApi.as_view(),
        name="view-default",
    ),
    path(
        "structures/<int:structure_id>/sharing",
        apis.StructureSharingApi.as_view(),
        name="sharing",
    ),
    path(
        "structures/<int:structure_id>/sharing/candidates",
        apis.StructureSharingCandidatesApi.as_view(),
        name="sharing-candidates",
    ),
    path(
        "structures/<int:structure_id>/views/<int:view_id>/sharing",
        apis.ViewSharingApi.as_view(),
        name="view-sharing",
    ),
    path(
        "structures/<int:structure_id>/views/<int:view_id>/sharing/candidates",
        apis.ViewSharingCandidatesApi.as_view(),
        name="view-sharing-candidates",
    ),
    path(
        "structures/<int:structure_id>/views/<int:view_id>/permissions",
        apis.ViewPermissionsApi.as_view(),
        name="view-permissions",
    ),
]
