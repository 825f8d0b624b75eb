"""Board pages inside the Jira iframe (page JWT via `connect_page`): the structure
list, the board, the project page and the issue panel."""

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from boards import rendering, selectors
from boards.models import ViewLevel
from hierarchies.models import LEVEL_NAMES, Level
from jira_sync.authentication import ConnectContext, connect_page
from jira_sync.descriptor import BOARD_PAGE_MODULE
from jira_sync.page_links import page_link_build

PROJECT_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,30}$")


def _unavailable(
    request: HttpRequest, context: ConnectContext, *, status: int, message: str
) -> HttpResponse:
    ctx = {
        "host_base_url": context.tenant.base_url,
        "status": status,
        "message": message,
        "list_url": page_link_build(context=context, path=reverse("boards:list")),
    }
    return render(request, "boards/board_unavailable.html", ctx, status=status)


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@require_GET
@connect_page
def structure_list(request: HttpRequest, context: ConnectContext) -> HttpResponse:
    tab = request.GET.get("tab", "all")
    query = request.GET.get("q", "")[:100]
    items = selectors.structure_list_get(
        tenant=context.tenant, account_id=context.account_id, tab=tab, query=query
    )
    path = reverse("boards:list")
    ctx: dict[str, Any] = {
        "host_base_url": context.tenant.base_url,
        "account_id": context.account_id,
        "tab": tab if tab in selectors.LIST_TABS else "all",
        "query": query,
        "items": [
            {
                "access": item,
                "level": LEVEL_NAMES[item.level],
                "url": page_link_build(
                    context=context,
                    path=reverse("boards:detail", args=[item.structure.pk]),
                ),
            }
            for item in items
        ],
        "tabs": [
            (name, page_link_build(context=context, path=path, query={"tab": name}))
            for name in selectors.LIST_TABS
        ],
        "search_url": path,
        "search_token_url": page_link_build(
            context=context, path=path, query={"tab": tab}
        ),
        "config": {
            "createUrl": reverse("api:hierarchies:structures"),
            "linkUrl": reverse("api:boards_api:link", args=[0]),
            "favoriteUrl": reverse("api:hierarchies:favorite", args=[0]),
        },
    }
    return render(request, "boards/structure_list.html", ctx)


@require_GET
@connect_page
def board_detail(
    request: HttpRequest, context: ConnectContext, structure_id: int
) -> HttpResponse:
    try:
        board = selectors.board_get(
            tenant=context.tenant,
            account_id=context.account_id,
            structure_id=structure_id,
            view_id=_int_param(request, "view"),
        )
    except Http404:
        return _unavailable(
            request,
            context,
            status=404,
            message="This structure does not exist, or it has not been shared with you.",
        )
    except PermissionDenied as exc:
        return _unavailable(request, context, status=403, message=str(exc))
    expand_depth = board.view.expand_depth
    page = selectors.board_rows_get(board=board, expand_depth=expand_depth)
    views = selectors.view_list_for_viewer(
        structure_access=board.structure_access, account_id=context.account_id
    )
    detail = reverse("boards:detail", args=[structure_id])
    view_links = {
        str(v.id): page_link_build(
            context=context, path=detail, query={"view": str(v.id)}
        )
        for v in views
    }
    ctx = {
        **rendering.rows_context(board, page),
        **rendering.footer_context(board),
        **rendering.head_context(board),
        "structure": board.structure,
        "level_name": LEVEL_NAMES[board.structure_access.level].capitalize(),
        "can_share": board.structure_access.level >= Level.CONTROL,
        "can_share_view": board.view.id is not None
        and board.view.level >= ViewLevel.MANAGE,
        "view": board.view,
        "views": views,
        "data_as_of": board.data_as_of,
        "jira_problem": board.jira_problem,
        "generation": board.generation,
        "list_url": page_link_build(context=context, path=reverse("boards:list")),
        "board_config": rendering.board_config(
            board, expand_depth=expand_depth, view_links=view_links
        ),
    }
    return render(request, "boards/board_detail.html", ctx)


def _hits_context(
    context: ConnectContext, hits: list[selectors.StructureHit]
) -> list[dict[str, Any]]:
    return [
        {
            "access": hit.access,
            "issues": hit.issues,
            "url": page_link_build(
                context=context,
                path=reverse("boards:detail", args=[hit.access.structure.pk]),
            ),
        }
        for hit in hits
    ]


@require_GET
@connect_page
def project_page(request: HttpRequest, context: ConnectContext) -> HttpResponse:
    key = request.GET.get("projectKey", "").strip().upper()
    if not PROJECT_KEY_RE.match(key):
        return _unavailable(
            request, context, status=400, message="This page needs a Jira project key."
        )
    hits, problem = selectors.project_structures_get(
        tenant=context.tenant, account_id=context.account_id, project_key=key
    )
    ctx = {
        "host_base_url": context.tenant.base_url,
        "project_key": key,
        "hits": _hits_context(context, hits),
        "jira_problem": problem,
        "list_url": page_link_build(context=context, path=reverse("boards:list")),
    }
    return render(request, "boards/project_page.html", ctx)


@require_GET
@connect_page
def issue_panel(request: HttpRequest, context: ConnectContext) -> HttpResponse:
    issue_id = _int_param(request, "issueId")
    if issue_id is None:
        return _unavailable(
            request, context, status=400, message="This panel needs a Jira issue."
        )
    hits, problem = selectors.issue_structures_get(
        tenant=context.tenant, account_id=context.account_id, issue_id=issue_id
    )
    ctx = {
        "host_base_url": context.tenant.base_url,
        "issue_key": request.GET.get("issueKey", "")[:40],
        "hits": _hits_context(context, hits),
        "jira_problem": problem,
        "board_module": BOARD_PAGE_MODULE,
    }
    return render(request, "boards/issue_panel.html", ctx)
