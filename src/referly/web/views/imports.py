"""Not yet written."""

from typing import Any

from django.http import HttpRequest, HttpResponse


def upload(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def commit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")
