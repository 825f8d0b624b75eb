"""Board pages inside the Jira iframe (the Board issue replaces the placeholder)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jira_sync.authentication import ConnectContext, connect_page


@require_GET
@connect_page
def structure_list(request: HttpRequest, context: ConnectContext) -> HttpResponse:
    ctx = {"site": context.tenant.base_url, "account_id": context.account_id}
    return render(request, "boards/board_placeholder.html", ctx)
