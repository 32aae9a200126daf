"""JSON API for the staff mobile app: search, one answer, and marking an answer helpful or wrong."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from staff.models import User

from . import selectors, services
from .models import AnswerFeedback
from .search import SearchResult


def _staff(request: Request) -> User:
    """The signed-in user: IsAuthenticated, the default permission, lets no one else through."""
    if not isinstance(request.user, User):
        raise exceptions.NotAuthenticated
    return request.user


class KnowledgeSearchApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="question.id")
        question = serializers.CharField(source="question.question")
        question_html = serializers.CharField(help_text="问题，检索词以 <mark> 标出（已转义 HTML）")
        snippet_html = serializers.CharField(help_text="答复摘要，检索词以 <mark> 标出（已转义 HTML）")
        department = serializers.CharField(source="question.department.name", default="")
        exact = serializers.BooleanField()
        coverage = serializers.FloatField(help_text="命中的检索词比例 0–1")

    class ResultSerializer(serializers.Serializer):
        query = serializers.CharField()
        words = serializers.ListField(child=serializers.CharField())
        good = serializers.BooleanField(help_text="是否有合格答案；否则记入未解答检索")
        results = serializers.SerializerMethodField()

        def get_results(self, obj: SearchResult) -> list[dict]:
            # many=True gives a ReturnList (a list); the stub types every `.data` as a ReturnDict.
            return cast(list[dict], KnowledgeSearchApi.OutputSerializer(obj.hits, many=True).data)

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=200)
        limit = serializers.IntegerField(min_value=1, max_value=50, default=20)

    @extend_schema(
        operation_id="knowledge_search",
        summary="Search the policy Q&A base (published, current answers only)",
        parameters=[
            OpenApiParameter("q", str, required=True, description="检索词，如“执照 遗失 补办”"),
            OpenApiParameter("limit", int, required=False),
        ],
        responses=ResultSerializer,
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        result = selectors.question_search_for(
            user=_staff(request), query=params.validated_data["q"], limit=params.validated_data["limit"]
        )
        return Response(self.ResultSerializer(result).data)


class QuestionDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        question = serializers.CharField()
        variants = serializers.SerializerMethodField()
        answer = serializers.CharField()
        department = serializers.CharField(source="department.name", default="")
        policy_document = serializers.CharField()
        policy_article = serializers.CharField()
        policy_date = serializers.DateField(allow_null=True)
        policy_basis = serializers.CharField()
        procedure = serializers.CharField()
        materials = serializers.CharField()
        matter_types = serializers.SerializerMethodField()
        tags = serializers.SerializerMethodField()
        valid_from = serializers.DateField(allow_null=True)
        valid_until = serializers.DateField(allow_null=True)
        version = serializers.IntegerField()
        published_at = serializers.DateTimeField(allow_null=True)

        def get_variants(self, obj) -> list[str]:
            return [v.text for v in obj.variants.all()]

        def get_matter_types(self, obj) -> list[dict]:
            return [{"id": m.id, "code": m.code, "name": m.name} for m in obj.matter_types.all()]

        def get_tags(self, obj) -> list[str]:
            return [t.name for t in obj.tags.all()]

    @extend_schema(operation_id="knowledge_question_detail", responses=OutputSerializer)
    def get(self, request: Request, question_id: int) -> Response:
        question = selectors.answerable_get_for(user=_staff(request), question_id=question_id)
        return Response(self.OutputSerializer(question).data)


class QuestionFeedbackApi(APIView):
    class InputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=AnswerFeedback.Verdict.choices)
        comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        question_id = serializers.IntegerField()
        verdict = serializers.CharField()
        comment = serializers.CharField()
        marked_at = serializers.DateTimeField()
        review_task_open = serializers.SerializerMethodField()

        def get_review_task_open(self, obj) -> bool:
            return obj.question.review_tasks.filter(status="open").exists()

    @extend_schema(
        operation_id="knowledge_question_feedback",
        summary="Mark an answer helpful or wrong (wrong opens a review task; a comment is required)",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, question_id: int) -> Response:
        question = selectors.answerable_get_for(user=_staff(request), question_id=question_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.answer_mark(question=question, user=_staff(request), **data.validated_data)
        feedback.marked_at = timezone.localtime(feedback.marked_at)
        return Response(self.OutputSerializer(feedback).data, status=status.HTTP_201_CREATED)


@csrf_exempt  # it changes nothing; without this a POST to a wrong path would get the CSRF page instead of 404
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under /api/v1/knowledge/ (e.g. a non-numeric id): the API's JSON 404, not an HTML page."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    return JsonResponse({"code": "not_found", "message": _("未找到。")}, status=404)
