"""Refused deletions that say why: the records that hold the one to delete, not "no permission"."""

from django.contrib.admin.utils import NestedObjects, unquote
from django.db import router
from django.template.response import TemplateResponse
from django.urls import reverse


class ExplainedDeleteMixin:
    """A model admin whose refused deletions name their reason, on a page in the admin's style.

    `delete_blockers(request, obj)` lists why `obj` may not be deleted (the assessments, pledges or
    quotes that hold it). The delete page of a record that may not be deleted answers 403 with that
    list; a deletion that would take such a record with it lists them as protected, with their reasons,
    where Django would say the account lacks the permission.
    """

    delete_refused_template = "admin/core/delete_refused.html"

    def delete_blockers(self, request, obj):
        """Why `obj` may not be deleted: a list of sentences, empty when it may be."""
        return []

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_permission(request, obj) and not self.has_delete_permission(request, obj):
            reasons = self.delete_blockers(request, obj)
            if not reasons:
                reasons = [f"Your account may not delete {self.opts.verbose_name_plural}."]
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "object": obj,
                "title": f"Cannot delete this {self.opts.verbose_name}",
                "reasons": reasons,
                "change_url": self._change_url(obj),
            }
            return TemplateResponse(request, self.delete_refused_template, context, status=403)
        return super().delete_view(request, object_id, extra_context)

    def _change_url(self, obj):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not perms_needed:
            return deleted, counts, perms_needed, protected
        # Django names only the kinds of record the account "may not delete": name each one and why.
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        explained, unexplained = [], set()
        for model, instances in collector.data.items():
            model_admin = self.admin_site._registry.get(model)
            if model_admin is None:
                continue
            for instance in instances:
                if model_admin.has_delete_permission(request, instance):
                    continue
                reasons = getattr(model_admin, "delete_blockers", lambda *a: [])(request, instance)
                if reasons:
                    explained.append(f"{model._meta.verbose_name.capitalize()} “{instance}”: {' '.join(reasons)}")
                else:
                    unexplained.add(model._meta.verbose_name)
        return deleted, counts, unexplained, [*protected, *explained]
