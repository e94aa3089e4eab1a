"""Not yet written."""

from typing import Any

from django.http import HttpRequest, HttpResponse


def sponsors(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")
