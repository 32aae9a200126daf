from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.selectors import channels_serving, no_channels
from govservice.selectors import no_centres
from govservice.spreadsheet import SpreadsheetRefused, check_upload
from staff.models import User

from .models import ImportBatch


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("文件类型"), choices=ImportBatch.Kind.choices)
    channel = forms.ModelChoiceField(label=_("渠道"), queryset=no_channels())
    centre = forms.ModelChoiceField(label=_("中心"), queryset=no_centres())
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    valid_only = forms.BooleanField(
        label=_("只导入有效行"),
        required=False,
        help_text=_("不勾选时，只要有一行出错，整份文件都不导入。"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from staff.selectors import centre_list_for

        centres = centre_list_for(user=user)
        # Both declared above as ModelChoiceFields; the stubs type `fields` values as the Field base.
        centre_field = cast(forms.ModelChoiceField, self.fields["centre"])
        channel_field = cast(forms.ModelChoiceField, self.fields["channel"])
        centre_field.queryset = centres
        channel_field.queryset = channels_serving(centres)
        if centres.count() == 1:
            self.fields["centre"].initial = centres.first()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload.name, upload.size)  # name and size only: the file is read by the task
        except SpreadsheetRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns; its stub says it may be None
        channel, centre = data.get("channel"), data.get("centre")
        if channel and centre and not channel.centres.filter(pk=centre.pk).exists():
            self.add_error("channel", _("该渠道不服务于此中心。"))
        return data
