"""Benchmark settings: the test settings plus bench-only peer apps and a bench database.

The peers (django-treebeard, django-mptt) exist only here, so they never appear in the
product's INSTALLED_APPS or migrations. The bench database is created and dropped by the
benchmark itself (bench.bench_hierarchies), never the test or the dev database.
"""

from structure_cloud.settings_test import *  # noqa: F403
from structure_cloud.settings_test import DATABASES, INSTALLED_APPS, TEST_CHECKOUT_ID

INSTALLED_APPS = [*INSTALLED_APPS, "treebeard", "mptt", "bench.peers"]

BENCH_ADMIN_DATABASE = DATABASES["default"]["NAME"]
DATABASES["default"] = {
    **DATABASES["default"],
    "NAME": f"bench_structure_cloud_{TEST_CHECKOUT_ID}",
}
