"""Evidence files (佐证材料): the type and size checks, and their storage."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from govservice.exceptions import ValidationFailed
from staff.models import User

from ..models import EvidenceFile, Problem, ProblemEvent, ProgressUpdate
from ._shared import _event

EVIDENCE_MAX_BYTES = settings.RECTIFICATION_EVIDENCE_MAX_BYTES

# Extension → accepted MIME types. The extension decides; the browser's claim must agree.
EVIDENCE_TYPES: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".png": frozenset({"image/png"}),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    ".pdf": frozenset({"application/pdf"}),
    ".doc": frozenset({"application/msword"}),
    ".docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    ".xls": frozenset({"application/vnd.ms-excel"}),
    ".xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    ".ppt": frozenset({"application/vnd.ms-powerpoint"}),
    ".pptx": frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation"}),
}
# The first bytes of each family: a renamed executable is not a PDF.
_MAGIC = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG",),
    ".gif": (b"GIF8",),
    ".webp": (b"RIFF",),
    ".pdf": (b"%PDF",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ppt": (b"\xd0\xcf\x11\xe0",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
}


def evidence_check(upload: UploadedFile) -> str:
    """The file's extension if its type and size are acceptable; ValidationFailed otherwise."""
    name = upload.name or ""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in EVIDENCE_TYPES:
        raise ValidationFailed(_("只能上传图片、PDF 或 Office 文档：%(n)s") % {"n": name}, field="files")
    if upload.size is None or upload.size == 0:
        raise ValidationFailed(_("文件为空：%(n)s") % {"n": name}, field="files")
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(
            _("文件超过 %(mb)d MB：%(n)s") % {"mb": EVIDENCE_MAX_BYTES // (1024 * 1024), "n": name}, field="files"
        )
    claimed = (getattr(upload, "content_type", "") or "").split(";")[0].strip()
    if claimed and claimed != "application/octet-stream" and claimed not in EVIDENCE_TYPES[suffix]:
        raise ValidationFailed(_("文件类型与扩展名不符：%(n)s") % {"n": name}, field="files")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[suffix]):
        raise ValidationFailed(_("文件内容与类型不符：%(n)s") % {"n": name}, field="files")
    return suffix


def evidence_store(
    *, problem: Problem, update: ProgressUpdate | None, actor: User, upload: UploadedFile
) -> EvidenceFile:
    suffix = evidence_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    content_type = next(iter(EVIDENCE_TYPES[suffix]))
    evidence = EvidenceFile(
        problem=problem,
        update=update,
        original_name=(upload.name or "")[:255],
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    # Storage.save picks a free name; upload_to adds a UUID, so nothing is overwritten.
    evidence.file.save(upload.name or f"evidence{suffix}", upload, save=False)
    evidence.save()
    _event(
        problem,
        actor,
        ProblemEvent.Kind.EVIDENCE,
        note=_("上传佐证材料：%(n)s") % {"n": evidence.original_name},
        changes={"sha256": ["", evidence.sha256]},
    )
    return evidence
