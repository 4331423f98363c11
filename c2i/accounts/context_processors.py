from typing import Any

from django.http import HttpRequest

from c2i.accounts import access


def roles(request: HttpRequest) -> dict[str, Any]:
    return {"roles": access.roles(getattr(request, "user", None))}
