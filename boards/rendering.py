"""Template contexts shared by the board page and the rows endpoint (one partial)."""

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from boards import board as board_lib
from boards.columns import columns_json
from boards.selectors import BoardData, RowsPage
from hierarchies.models import LEVEL_NAMES

# Column widths in px (wide frame, frame up to 900 px) as in app.css; the summary
# keeps at least SUMMARY_MIN_PX, so a narrow frame scrolls the table sideways instead of
# squeezing the tree column away.
COLUMN_WIDTHS = {
    "key": (96, 84),
    "status": (132, 112),
    "assignee": (168, 48),
    "priority": (96, 0),
    "issuetype": (96, 0),
    "progress": (140, 104),
}
OTHER_COLUMN_WIDTHS = (104, 80)
SUMMARY_MIN_PX = (260, 180)


def head_context(board: BoardData) -> dict[str, Any]:
    """The table header and the table's minimum widths for its columns."""
    columns = board.view.columns
    wide, narrow = SUMMARY_MIN_PX
    for column in columns:
        if column.kind != "summary":
            widths = COLUMN_WIDTHS.get(column.kind, OTHER_COLUMN_WIDTHS)
            wide += widths[0]
            narrow += widths[1]
    return {"columns": columns, "min_wide": wide, "min_narrow": narrow}


def rows_context(board: BoardData, page: RowsPage) -> dict[str, Any]:
    return {
        "rows": page.rows,
        "columns": board.view.columns,
        "can_edit": board.can_edit,
        "host_base_url": board.tenant.base_url,
        "next_offset": page.next_offset,
        "more_under": page.more_under,
        "more_depth": page.more_depth,
        "filter_text": page.filter_text,
        "matches": page.matches,
    }


def footer_context(board: BoardData) -> dict[str, Any]:
    return {
        "footer": board_lib.total_cells(board.view.columns, board.totals),
        "row_count": len(board.forest),
    }


def view_state(board: BoardData) -> dict[str, Any]:
    """The view on screen, for board.js: its columns and what the viewer may do."""
    view = board.view
    return {
        "id": view.id,
        "name": view.name,
        "level": view.level_name,
        "isDefault": view.is_default,
        "columns": columns_json(view.columns),
    }


def rows_payload(board: BoardData, page: RowsPage) -> dict[str, Any]:
    """The JSON of the rows endpoint: HTML of the header, rows and footer, and state."""
    return {
        "version": board.forest.version,
        "headHtml": render_to_string("boards/partials/_head.html", head_context(board)),
        "html": render_to_string(
            "boards/partials/_rows.html", rows_context(board, page)
        ),
        "footerHtml": render_to_string(
            "boards/partials/_footer.html", footer_context(board)
        ),
        "nextOffset": page.next_offset,
        "rowCount": len(board.forest),
        "dataAsOf": board.data_as_of.isoformat(),
        "jiraProblem": board.jira_problem,
        "matchCount": page.match_count if page.filter_text else None,
        "view": view_state(board),
        "generating": bool(board.generation.get("generating")),
    }


def _view_sharing_urls(structure_id: int, view_id: int | None) -> dict[str, str]:
    if view_id is None:  # the built-in columns: nothing to share
        return {}
    args = [structure_id, view_id]
    return {
        "sharingUrl": reverse("api:boards_api:view-sharing", args=args),
        "candidatesUrl": reverse("api:boards_api:view-sharing-candidates", args=args),
        "saveUrl": reverse("api:boards_api:view-permissions", args=args),
    }


def board_config(
    board: BoardData, *, expand_depth: int, view_links: dict[str, str]
) -> dict[str, Any]:
    """What board.js needs: IDs, URLs of the APIs and the viewer's rights."""
    structure_id = board.structure.pk
    return {
        "structureId": structure_id,
        "version": board.forest.version,
        "viewId": board.view.id,
        # Under which name board.js keeps unsaved column changes (AP.cookie, a day).
        "columnsDraftKey": (
            f"sc-columns:{board.tenant.pk}:{board.account_id}:{structure_id}:"
            f"{board.view.id or 'built-in'}"
        ),
        "expandDepth": expand_depth,
        "canEdit": board.can_edit,
        "level": LEVEL_NAMES[board.structure_access.level],
        "hostBaseUrl": board.tenant.base_url,
        "rowsUrl": reverse("api:boards_api:rows", args=[structure_id]),
        "exportUrl": reverse("api:boards_api:export", args=[structure_id]),
        "addUrl": reverse("api:boards_api:items", args=[structure_id]),
        "forestUrl": reverse("api:hierarchies:forest", args=[structure_id]),
        "undoUrl": reverse("api:hierarchies:undo", args=[structure_id]),
        "viewsUrl": reverse("api:boards_api:views", args=[structure_id]),
        "fieldsUrl": reverse("api:boards_api:fields", args=[structure_id]),
        "linkUrl": reverse("api:boards_api:link", args=[structure_id]),
        "sharingUrl": reverse("api:boards_api:sharing", args=[structure_id]),
        "sharingCandidatesUrl": reverse(
            "api:boards_api:sharing-candidates", args=[structure_id]
        ),
        "permissionsUrl": reverse("api:hierarchies:permissions", args=[structure_id]),
        "viewSharingUrls": _view_sharing_urls(structure_id, board.view.id),
        "view": view_state(board),
        "viewLinks": view_links,
        "generationRunning": bool(board.generation.get("running")),
        "generating": bool(board.generation.get("generating")),
        "generationUrl": reverse("api:hierarchies:generation", args=[structure_id]),
    }
