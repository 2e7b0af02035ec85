"""The groups app's pages under /groups/ (namespace "groups").

Each area keeps its patterns in its own module; the facilitator's home
(/groups/) and the programme dashboard (/organisation/) are named at the root
in openipt.urls.
"""

from __future__ import annotations

from openipt.groups import urls_members, urls_sessions, urls_supervision

app_name = "groups"

urlpatterns = [
    *urls_members.urlpatterns,
    *urls_sessions.urlpatterns,
    *urls_supervision.urlpatterns,
]
