"""The QuerySets' public methods carry type hints: the next one added without them fails here.

mypy (django-stubs) checks the bodies of annotated functions only; a method left without hints
would pass it silently, as the models' own methods are not held to hints (pyproject.toml).
"""

import inspect

from django.apps import apps

from core.models import NaturalKeyQuerySet

MODULES = (
    "core.models",
    "meetings.models",
    "commitments.models",
    "commitments.assessments",
    "commitments.assessment_parts",
    "commitments.pledge_links",
)


def _querysets():
    """NaturalKeyQuerySet and every subclass of it, at any depth, defined in MODULES."""
    found, pending = [], [NaturalKeyQuerySet]
    while pending:
        cls = pending.pop()
        if cls.__module__ in MODULES and cls not in found:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _public_methods(cls):
    """(name, function) for every public method the class itself defines (not those it inherits)."""
    for name, attribute in vars(cls).items():
        if name.startswith("_"):
            continue
        function = getattr(attribute, "__func__", attribute)  # classmethod, staticmethod
        if inspect.isfunction(function):
            yield name, function


def _missing_hints(cls):
    """Each public method of the class that misses a hint, as "Class.method: what lacks one"."""
    missing = []
    for name, function in _public_methods(cls):
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())
        if parameters and parameters[0].name in ("self", "cls"):
            parameters = parameters[1:]
        lacking = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
        if signature.return_annotation is inspect.Signature.empty:
            lacking.append("return")
        if lacking:
            missing.append(f"{cls.__name__}.{name}: {', '.join(lacking)}")
    return missing


def test_every_public_queryset_method_has_type_hints():
    querysets = _querysets()
    methods = [name for cls in querysets for name, _ in _public_methods(cls)]
    assert len(methods) > 30  # the walk reached the QuerySets, not just the base class
    assert [problem for cls in querysets for problem in _missing_hints(cls)] == []


def test_the_walk_finds_every_natural_key_queryset_a_model_uses():
    used = {
        type(model._default_manager.get_queryset())
        for label in ("meetings", "commitments")
        for model in apps.get_app_config(label).get_models()
        if isinstance(model._default_manager.get_queryset(), NaturalKeyQuerySet)
    }
    names = {cls.__name__ for cls in used}
    assert {"MeetingQuerySet", "StatementQuerySet", "ThreadEntryQuerySet", "AssessmentQuerySet"} <= names
    assert used <= set(_querysets())


def test_a_method_without_hints_is_named():
    class Unhinted:
        def hinted(self, key: str) -> str:
            return key

        def no_return(self, key: str):
            return key

        def no_parameter(self, key, *rest: str, **options) -> None:
            pass

        @classmethod
        def build(cls, size) -> None:
            pass

        def _private(self, key):
            pass

    assert _missing_hints(Unhinted) == [
        "Unhinted.no_return: return",
        "Unhinted.no_parameter: key, options",
        "Unhinted.build: size",
    ]
