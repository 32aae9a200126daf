import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Row


@csrf_exempt
def insert(request: HttpRequest) -> HttpResponse:
    """Parse JSON and insert one row: the plain view every figure of the stack is set against."""
    if request.method != "POST":
        return JsonResponse({"message": "POST only"}, status=405)
    data = json.loads(request.body)
    row = Row.objects.create(
        level=int(data["level"]), text=data.get("text", ""), external_id=data.get("external_id", "")
    )
    return JsonResponse({"id": str(row.public_id), "level": row.level}, status=201)
