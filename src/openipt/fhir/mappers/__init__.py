"""Pure mapping functions: already-loaded rows in, FHIR R4 JSON (plain dicts) out.

No module here queries the database: every related row or id a mapper needs is
passed in, so the same functions serve the per-patient bundle and the streaming
bulk export, and a test can call them on unsaved objects.
"""
