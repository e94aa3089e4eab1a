"""The REST API under /api/v1: one router per domain, an OpenAPI document, stable error JSON."""
