from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import Model
from django.http import HttpRequest

from geo.models import Municipality, Place, Postcode, Province
from geo.widgets import PointMapWidget


class ReadOnlyAreaAdmin(GISModelAdmin):
    """Areas come from the shipped reference data (load_areas), not from typing."""

    gis_widget = PointMapWidget  # type: ignore[assignment]  # a class; django-stubs types it as an instance

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Public reference data: every maintainer may look it up (and pick from it).
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAreaAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(ReadOnlyAreaAdmin):
    list_display = ["code", "name", "province", "valid_from", "valid_to"]
    list_filter = ["province", "valid_to"]
    search_fields = ["code", "name"]


@admin.register(Postcode)
class PostcodeAdmin(ReadOnlyAreaAdmin):
    list_display = ["pc4", "place"]
    search_fields = ["pc4", "place"]


@admin.register(Place)
class PlaceAdmin(ReadOnlyAreaAdmin):
    list_display = ["name", "municipality", "population"]
    search_fields = ["name"]
    list_select_related = ["municipality"]
