"""The quick filter through the rows API (``?q=``): the whole tree, not only the
loaded rows, with ancestors kept and only the viewer's issues searched."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from hierarchies.models import Structure
from tests.boards.conftest import BOB, CONTRACTOR

pytestmark = pytest.mark.django_db

Api = Callable[[str], APIClient]


def filtered(api: APIClient, structure: Structure, q: str, **params: Any) -> Any:
    return api.get(
        f"/api/v1/boards/{structure.pk}/rows", {"q": q, "expandDepth": 0, **params}
    )


def keys_of(html: str) -> list[str]:
    return [k for k in re.findall(r'data-key="([^"]*)"', html) if k]


def row_tags(html: str) -> list[str]:
    return re.findall(r"<tr class=\"sc-row[^>]*>", html)


def test_filter_finds_a_deep_story_with_its_ancestors_opened(
    api_for: Api, release: Structure
):
    response = filtered(api_for(BOB), release, "address autocomplete")
    assert response.status_code == 200
    data = response.json()
    html = data["html"]
    assert data["matchCount"] == 1
    assert keys_of(html) == ["WEB-1", "WEB-8"]  # the epic above it, then the story
    assert "WEB release" in html  # the folder above the epic
    tags = row_tags(html)
    assert len(tags) == 3
    ancestors, story = tags[:2], tags[2]
    assert all('data-expanded="1"' in tag for tag in ancestors)
    assert all("is-match" not in tag for tag in ancestors)
    assert "is-match" in story
    assert "Total" in data["footerHtml"]  # totals stay those of the whole tree


def test_filter_matches_keys_and_folder_names_case_insensitively(
    api_for: Api, release: Structure
):
    by_key = filtered(api_for(BOB), release, "web-24").json()
    assert "WEB-24" in keys_of(by_key["html"])
    by_folder = filtered(api_for(BOB), release, "mob RELEASE").json()
    assert by_folder["matchCount"] == 1
    assert keys_of(by_folder["html"]) == []
    assert "MOB release" in by_folder["html"]


def test_filter_never_searches_issues_the_viewer_cannot_browse(
    api_for: Api, release: Structure
):
    # "Offline banner" is a MOB story: Bob sees it, the contractor (WEB only) does not.
    seen = filtered(api_for(BOB), release, "offline banner").json()
    assert seen["matchCount"] >= 1
    assert all(k.startswith("MOB-") for k in keys_of(seen["html"]))
    hidden = filtered(api_for(CONTRACTOR), release, "offline banner").json()
    assert hidden["matchCount"] == 0
    assert keys_of(hidden["html"]) == []
    assert "No issue or folder you can see matches" in hidden["html"]


def test_filter_pages_long_results_with_a_more_row(api_for: Api, release: Structure):
    first = filtered(api_for(BOB), release, "web-", limit=20).json()
    assert first["matchCount"] > 20
    assert first["nextOffset"] == 20
    assert 'data-action="more"' in first["html"]
    second = filtered(api_for(BOB), release, "web-", limit=20, offset=20).json()
    assert not set(keys_of(first["html"])) & set(keys_of(second["html"]))


def test_filter_without_text_is_the_normal_board(api_for: Api, release: Structure):
    plain = filtered(api_for(BOB), release, "   ").json()
    assert plain["matchCount"] is None
    assert len(row_tags(plain["html"])) == 2  # the two project folders


def test_filter_bad_input_is_a_clear_400(api_for: Api, release: Structure):
    response = filtered(api_for(BOB), release, "x" * 201)
    assert response.status_code == 400
    assert "200 characters" in response.json()["fields"]["q"][0]
    stale = filtered(api_for(BOB), release, "web", version=release.version + 3)
    assert stale.status_code == 409
