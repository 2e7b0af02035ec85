"""PDF reports of a course, rendered with WeasyPrint from Django templates.

`registry` names the reports, one module builds each report's context
(`letter`, `progress`, `termination`, `portfolio`, sharing `common`), `render`
turns a template into PDF bytes and `fetcher` keeps rendering from loading
anything but data: URIs and our own static files.
"""
