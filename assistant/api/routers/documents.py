"""The plans: list, outline, one section; upload and delete (admin key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile, status

from assistant.api import errors, schemas
from assistant.api.deps import AdminDep, ServiceDep
from assistant.api.service import _MAX_ALIAS as MAX_ALIAS  # plan_about's limit, stated in the schema
from assistant.api.service import PlanError, Service, plan_about

router = APIRouter(prefix="/v1", tags=["documents"])

_ADMIN_ERRORS = {401: "Wrong or missing X-API-Key", 403: "Uploads are disabled"}
# What a title or an alias may hold: one line, no control characters (checked by plan_about).
_ONE_LINE = "^[^\x00-\x1f\x7f-\x9f]*$"
_ALIAS = {"type": "string", "pattern": _ONE_LINE, "maxLength": MAX_ALIAS}


def _indexed(service: Service) -> set[str]:
    return set(service.engine.searcher.documents) if service.engine else set()


@router.get("/documents", response_model=schemas.DocumentList)
def list_documents(service: ServiceDep) -> schemas.DocumentList:
    """The plans, with their titles and how many sections and chunks each has."""
    library, indexed = service.library, _indexed(service)
    docs = [library.document_out(d, indexed) for d in library.documents.values()]
    return schemas.DocumentList(documents=docs, count=len(docs))


@router.get("/documents/{document_id}/outline", response_model=schemas.Outline,
            responses=errors.declared({404: "Unknown document"}))
def outline(document_id: str, service: ServiceDep) -> schemas.Outline:
    """The plan's own section tree, nested."""
    try:
        return service.library.outline(service.library.document(document_id))
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, exc.args[0]) from None


@router.get("/sections/{section_id}", response_model=schemas.SectionOut,
            responses=errors.declared({404: "Unknown section"}))
def section(section_id: str, service: ServiceDep) -> schemas.SectionOut:
    """One section (id as in citations, e.g. `ynu-midterm-2004:7.1`): its label, path, text and lines."""
    try:
        doc, s = service.library.section(section_id)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, exc.args[0]) from None
    return service.library.section_out(doc, s)


@router.post("/documents", response_model=schemas.UploadOut, status_code=status.HTTP_201_CREATED,
             dependencies=[AdminDep],
             responses=errors.declared({**errors.BODY_ERRORS, **_ADMIN_ERRORS, 409: "The document exists",
                                        413: "Too large", 415: "Unsupported file type",
                                        422: "No file, or one that cannot be read; a title or alias of more than one line"}))
def upload(file: Annotated[UploadFile, File(description="A plan: .txt, .md, .pdf, .docx or .html")],
           service: ServiceDep,
           title: Annotated[str, Form(max_length=200, description="Its title, if the text does not give it",
                                      json_schema_extra={"pattern": _ONE_LINE})] = "",
           title_en: Annotated[str, Form(max_length=200, description="Its English title",
                                         json_schema_extra={"pattern": _ONE_LINE})] = "",
           aliases: Annotated[list[str], Form(max_length=20, description="Names users call its institution (YNU, 横国)",
                                              json_schema_extra={"items": _ALIAS})] = [],  # noqa: B006 - FastAPI copies defaults
           ) -> schemas.UploadOut:
    """Add a plan and rebuild the index (a few seconds; one rebuild at a time). The document id
    comes from the catalog, or else from the file name; its title, institution and names come
    from its header lines unless given here. A failed rebuild undoes the upload."""
    limit = service.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    try:
        if len(data) > limit:
            raise PlanError(413, f"the file is larger than the limit of {limit} bytes")
        document_id, manifest = service.add_plan(file.filename or "", data, plan_about(title, title_en, aliases))
    except PlanError as exc:
        raise HTTPException(exc.status, exc.message) from None
    library = service.library
    return schemas.UploadOut(document=library.document_out(library.documents[document_id], _indexed(service)),
                             index=_index_info(service, manifest))


@router.delete("/documents/{document_id}", response_model=schemas.DeleteOut, dependencies=[AdminDep],
               responses=errors.declared({**_ADMIN_ERRORS, 404: "Unknown document", 409: "The only document"}))
def delete(document_id: str, service: ServiceDep) -> schemas.DeleteOut:
    """Remove a plan's file and rebuild the index without it."""
    try:
        manifest = service.remove_plan(document_id)
    except PlanError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return schemas.DeleteOut(deleted=document_id, index=_index_info(service, manifest))


def _index_info(service: Service, manifest) -> schemas.IndexInfo:
    return schemas.IndexInfo(key=manifest.key, seconds=manifest.seconds, documents=len(service.library.documents))
