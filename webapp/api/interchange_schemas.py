"""Schemas of the standard-format operations (Web Annotation)."""
from marshmallow import Schema, fields


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
