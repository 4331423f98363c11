"""What the pages of the knowledge test share: the posted form data and a
question's image as a response."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from c2i.assessment.models import Question


def posted(request: HttpRequest) -> Any:
    """The form data of a POST (even empty, so that its errors show), None otherwise."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def image_response(question: Question) -> HttpResponse:
    if not question.image:
        raise Http404
    with question.image.open("rb") as image:  # 2 MB at most (services.MAX_IMAGE_BYTES)
        response = HttpResponse(image.read(), content_type=f"image/{question.image_type}")
    response["Cache-Control"] = "private, max-age=3600"
    return response
