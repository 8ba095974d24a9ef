"""Permits: the one decision that comes back to the investor.

The PDF and its signed QR code come later; this is the record that the
licence library and verification rest on.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .applications import Application
from .shared_data import Enterprise, Licence


class PermitStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    REVOKED = "revoked", _("revoked")


class Permit(models.Model):
    number = models.CharField(_("permit number"), max_length=40, unique=True)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="permit")
    holder = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="permits")
    scope = models.TextField(_("scope"))
    issued_at = models.DateTimeField(_("issued"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PermitStatus, default=PermitStatus.ISSUED
    )
    licence = models.OneToOneField(
        Licence, on_delete=models.PROTECT, related_name="permit", null=True, blank=True
    )

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")

    def __str__(self) -> str:
        return self.number
