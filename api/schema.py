"""The OpenAPI schema, made to say what the API does: every error it answers, with its body;
public reads as needing no token; the If-Match a change needs and the ETag a record carries.

Schemathesis checks the running API against it in CI (`.ci/schemathesis.sh`).
"""

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS

from .concurrency import ENTITY_TAGS, VersionedMixin
from .errors import ErrorSerializer
from .permissions import ReadOrCurate

FIELD_ERRORS = {
    "type": "object",
    "description": "What is wrong, field by field: each field's name with its messages. "
    "`non_field_errors` holds what concerns the record as a whole, `detail` what concerns the request "
    "(a body that cannot be read), `blocked_by` the records that keep one from being deleted.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
# Why each error can happen; every operation documents those that apply to it.
ERRORS = {
    "400": (
        "FieldErrors",
        "Bad input: a body, filter, page size, cursor or address the API cannot use, "
        "including text with a NUL or a lone surrogate.",
    ),
    "401": ("Error", "Credentials that are not valid, or none where they are needed."),
    "403": ("Error", "Not allowed for this role."),
    "404": ("Error", "No such record, or a `format` the API does not have."),
    "406": ("Error", "None of the media types in Accept can be given."),
    "409": (
        "FieldErrors",
        "Conflicts with another record: a value already taken, evidence still pointed to, or a write that lost a race.",
    ),
    "412": (
        "Error",
        "The record changed since the version in If-Match, or If-Match names no version of it "
        "(only weak tags, or an unknown one).",
    ),
    "413": ("Error", "The body is larger than the API reads."),
    "415": ("Error", "A body in a media type the API does not read."),
    "428": ("Error", "The change needs the record's ETag in If-Match."),
    "429": ("Error", "Too many requests from an anonymous client: try again later."),
}
CSV = {"type": "string", "description": "CSV: a header row, then one row per record."}


# No text field or parameter takes a NUL (PostgreSQL cannot store one): the API answers 400.
NO_NUL = "^[^\\u0000]*$"


def without_nul(schema):
    """A string schema that says NUL is refused, unless it already constrains its values."""
    if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
        schema["pattern"] = NO_NUL
    return schema


class AutoSchema(openapi.AutoSchema):
    def is_versioned(self):
        return isinstance(self.view, VersionedMixin) and getattr(self.view, "action", None) in (
            "update",
            "partial_update",
            "destroy",
            "publish",  # a meeting's: `MeetingViewSet.publish`
            "merge",  # a pledge's: `pledge_merging.MergeSplitMixin`
            "split",
        )

    def shows_version(self):
        return isinstance(self.view, VersionedMixin) and getattr(self.view, "action", None) in (
            "retrieve",
            "update",
            "partial_update",
            "publish",
        )

    def get_auth(self):
        auths = super().get_auth()
        permissions = [type(p) for p in self.view.get_permissions()]
        if settings.API_PUBLIC_READ and self.method in SAFE_METHODS and ReadOrCurate in permissions:
            auths.append({})  # public reads: no credentials needed
        return auths

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.is_versioned():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    {"type": "string", "pattern": f"^{ENTITY_TAGS}$"},
                    OpenApiParameter.HEADER,
                    required=True,
                    description="The record's ETag, as its page gave it: the change is refused (412) if the "
                    "record changed since (for PATCH: if a field it sends changed since, or the rows the record's page "
                    "shows with it: a pledge's entries, a commitment's assessments and places in pledges).",
                )
            )
        if self.shows_version():
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    required=True,
                    response=["200"],
                    description="The record's version: send it back in If-Match to change or delete it.",
                )
            )
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # Fields an answer carries only sometimes (a long pledge's paging fields: `api.timeline_pages`).
        optional = getattr(serializer, "OPTIONAL_IN_RESPONSE", ())
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # After the field's own validators, so that a blank-allowed text is not made a `oneOf`
        # of two schemas that both take "".
        if "oneOf" not in schema:
            without_nul(schema)

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            without_nul(parameter.get("schema", {}))
            if parameter["in"] == "query":
                # An empty value is the parameter left out (no filter, the default page), as forms send it.
                parameter["allowEmptyValue"] = True
        return parameters

    def error_codes(self):
        codes = {"400", "401", "403", "404", "406", "429"}
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes |= {"409", "413", "415"}
        if self.is_versioned():
            codes |= {"412", "428"}
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            content = response.get("content", {})
            if code < "400" and "text/csv" in content:
                content["text/csv"] = {"schema": CSV}
        for code in sorted(self.error_codes() | {c for c in responses if c >= "400"}):
            name, description = ERRORS.get(code, ("Error", ""))
            responses[code] = {
                "content": {"application/json": {"schema": self.error_component(name).ref}},
                "description": description,
            }
        return dict(sorted(responses.items()))

    def error_component(self, name):
        if name == "Error":
            return self.resolve_serializer(ErrorSerializer, "response")
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=FIELD_ERRORS)
        self.registry.register_on_missing(component)
        return component
