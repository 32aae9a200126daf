"""Open311 GeoReport v2 under /open311/v2/ (JSON and XML by path suffix).

Errors use the spec's body ([{code, description}] / <errors><error>) and status codes:
403 for a missing or bad api_key, 404 for an unknown resource, jurisdiction or
service_code, 400 for everything else (a key in the query string too), 429 when throttled,
with Retry-After (per key when a key is given, per address otherwise).
"""
