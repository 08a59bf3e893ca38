"""Schemathesis hooks for the RBPK contract fuzzing (loaded via SCHEMATHESIS_HOOKS).

PUT /api/v1/exemption-letters/{id}/document takes `application/pdf`; schemathesis
has no serializer for it, so send the generated value as raw bytes, like
application/octet-stream.
"""
import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")

# Issue 14: photos of visits are raw image/jpeg or image/png bodies, and
# the XLSForm submissions a raw text/csv body.
schemathesis.serializer.alias("image/jpeg", "application/octet-stream")
schemathesis.serializer.alias("image/png", "application/octet-stream")
