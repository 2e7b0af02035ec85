"""The message form. It checks shape (and the attachment's real type); the service decides."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from openipt.messaging import attachments
from openipt.messaging.services import MAX_BODY_LENGTH

ACCEPT = ".pdf,.png,.jpg,.jpeg,.txt,application/pdf,image/png,image/jpeg,text/plain"


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        required=False,
        max_length=MAX_BODY_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": _("Please keep a message under %(limit_value)d characters."),
        },
    )
    attachment = forms.FileField(
        label=_("Attach a file (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)
        self.fields["attachment"].help_text = _(
            "A PDF, a PNG or JPEG picture, or a plain text file, up to %(limit)s."
        ) % {"limit": attachments.human_size(attachments.max_bytes())}

    def clean_attachment(self) -> attachments.CheckedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("attachment")
        if not upload:
            return None
        return attachments.check_upload(upload)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        body = (data.get("body") or "").strip()
        if not body and not data.get("attachment") and "attachment" not in self.errors:
            self.add_error("body", _("Write a message, or attach a file."))
        return data

    def renew_key_if_invalid(self) -> None:
        """Replace a tampered or expired key so the next try can work; a good one is kept."""
        if self.is_bound and "idempotency_key" in self.errors:
            data = dict(self.data.items())
            data["idempotency_key"] = new_idempotency_key()
            self.data = data
