"""Not yet written."""

from typing import Any

from django.http import HttpRequest, HttpResponse


def report(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")
