"""Schemas of the standard-format operations (Web Annotation, schema.org ClaimReview)."""
from marshmallow import INCLUDE, Schema, fields


class Selector(Schema):
    type = fields.String(required=True)
    exact = fields.String()
    prefix = fields.String()
    suffix = fields.String()
    start = fields.Integer()
    end = fields.Integer()


class AnnotationTarget(Schema):
    source = fields.String(required=True)
    selector = fields.List(fields.Nested(Selector), required=True)


class Annotation(Schema):
    """A claim as a W3C Web Annotation (JSON-LD, http://www.w3.org/ns/anno.jsonld)."""

    context = fields.String(data_key="@context", required=True)
    id = fields.String(required=True)
    type = fields.String(required=True)
    motivation = fields.String(required=True)
    created = fields.String(required=True)
    body = fields.Dict(required=True)
    target = fields.Nested(AnnotationTarget, required=True)


class Thing(Schema):
    """A schema.org node: its type and whatever properties it has."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(data_key="@type", required=True)


class ClaimReview(Schema):
    """A decided claim as a schema.org ClaimReview (JSON-LD, https://schema.org)."""

    class Meta:
        unknown = INCLUDE

    context = fields.String(data_key="@context", required=True)
    type = fields.String(data_key="@type", required=True)
    id = fields.String(data_key="@id", required=True)
    url = fields.String(required=True)
    claimReviewed = fields.String(required=True)  # noqa: N815 - schema.org's property names
    itemReviewed = fields.Nested(Thing, required=True)  # noqa: N815
    reviewRating = fields.Nested(Thing, required=True)  # noqa: N815
    author = fields.Nested(Thing, required=True)
    datePublished = fields.String(required=True)  # noqa: N815
    reviewBody = fields.String()  # noqa: N815
