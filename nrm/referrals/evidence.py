"""The rules for evidence files: which types, how big, how many. Checked on the file's name,
size and first bytes (the browser's content type is not trusted)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    signatures: tuple[bytes, ...]  # the file must start with one of these; empty: plain text


_ZIP = (b"PK\x03\x04",)
FILE_TYPES: dict[str, FileType] = {
    ".pdf": FileType("PDF", "application/pdf", (b"%PDF-",)),
    ".jpg": FileType("JPG", "image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": FileType("JPG", "image/jpeg", (b"\xff\xd8\xff",)),
    ".png": FileType("PNG", "image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".docx": FileType("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".odt": FileType("ODT", "application/vnd.oasis.opendocument.text", _ZIP),
    ".txt": FileType("TXT", "text/plain; charset=utf-8", ()),
}
ALLOWED_LABELS = "a PDF, JPG, PNG, DOCX, ODT or TXT"


def file_type_for(name: str) -> FileType | None:
    return FILE_TYPES.get(PurePath(name).suffix.lower())


def evidence_problem(*, name: str, size: int, head: bytes, files_already: int = 0) -> str | None:
    """Why this file cannot be added, in the words of the GOV.UK file upload pattern, or None."""
    if files_already >= MAX_FILES:
        return f"You can add up to {MAX_FILES} files. Remove a file before adding another"
    kind = file_type_for(name)
    if kind is None:
        return f"The selected file must be {ALLOWED_LABELS}"
    if size == 0:
        return "The selected file is empty"
    if size > MAX_BYTES:
        return f"The selected file must be smaller than {MAX_BYTES // (1024 * 1024)}MB"
    if kind.signatures:
        if not any(head.startswith(sig) for sig in kind.signatures):
            return f"The selected file must be {ALLOWED_LABELS}. This file's content does not match its name"
    elif b"\x00" in head:
        return f"The selected file must be {ALLOWED_LABELS}. This file's content does not match its name"
    return None


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}MB"
    if size >= 1024:
        return f"{size // 1024}KB"
    return f"{size} bytes"


@dataclass(frozen=True)
class EvidenceFile:
    """A file the first responder attached, as a reader sees it listed."""

    id: Any  # the attachment's primary key, for its download address
    name: str
    type_label: str
    size: str
    description: str


def evidence_file(attachment: Any) -> EvidenceFile:
    """An ``Attachment`` described in words: its name, its type (PDF, JPG, ...) and its size."""
    kind = file_type_for(attachment.original_name)
    return EvidenceFile(id=attachment.pk, name=attachment.original_name,
                        type_label=kind.label if kind else attachment.content_type,
                        size=human_size(attachment.size), description=attachment.description)


def evidence_response(attachment: Any) -> HttpResponse:
    """The attachment's file, opened only now (it is stored sealed, ADR 0019), never cached. A
    file whose referral was erased answers 410 with a page saying so."""
    content = attachment.read_content()
    if content is None:
        response = HttpResponse("This file was erased.", status=410, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(content, content_type=attachment.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                     filename=str(attachment.original_name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
