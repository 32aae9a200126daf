"""Chinese keyword search over a queryset of questions.

1. The query is cut into words by jieba (precise mode); each word is widened with
   its configured synonyms into a group (社保 → 社保 | 社会保险).
2. The database finds candidates: on PostgreSQL through the GIN-indexed
   `search_vector` and `ts_rank`; elsewhere by summing, in SQL, the best weight
   of each group over the QuestionToken table. At most CANDIDATES rows return.
3. Python ranks the candidates: an exact question or variant first, then the
   share of query groups matched, then the share matched in the question itself,
   then the database rank.
4. Matched words are highlighted: text is HTML-escaped, then matches wrapped in <mark>.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, F, FloatField, IntegerField, Max, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .indexing import exact_key, uses_postgres_fts
from .models import Question, QuestionToken, SynonymGroup
from .segment import add_words, normalize, tokens_for_query

CANDIDATES = 50
MAX_GROUPS = 10
GOOD_COVERAGE = 0.5
# A word in more than this share of all questions (办理, 怎么办) cannot tell questions apart; the
# candidate query leaves it out when the query has rarer words (ranking still counts it).
COMMON_SHARE = 0.2
PRUNE_FROM = 2000
FREQUENCY_TTL = 600.0  # seconds a word's document frequency is reused; it drifts slowly


@dataclass
class SearchHit:
    question: Question
    exact: bool
    coverage: float
    title_coverage: float
    rank: float
    question_html: SafeString
    snippet_html: SafeString


@dataclass
class SearchResult:
    query: str
    words: list[str]
    groups: list[list[str]]
    hits: list[SearchHit] = field(default_factory=list)

    @property
    def good(self) -> bool:
        """At least one answer that is an exact match or covers half of the query's words."""
        return any(hit.exact or hit.coverage >= GOOD_COVERAGE for hit in self.hits)


def synonym_map() -> dict[str, list[str]]:
    """word → its group's words, for every active synonym group (one small query)."""
    mapping: dict[str, list[str]] = {}
    for words in SynonymGroup.objects.filter(is_active=True).values_list("words", flat=True):
        from .models import split_words

        group = split_words(words)
        for word in group:
            mapping.setdefault(word, [])
            mapping[word] = list(dict.fromkeys(mapping[word] + group))
    return mapping


def query_groups(query: str) -> tuple[list[str], list[list[str]]]:
    synonyms = synonym_map()
    add_words(frozenset(synonyms))
    words = tokens_for_query(query)[:MAX_GROUPS]
    groups = [list(dict.fromkeys([word, *synonyms.get(word, [])])) for word in words]
    return words, groups


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "").replace("'", "''") + "'"


def _tsquery(groups: list[list[str]]) -> str:
    return " | ".join(_lexeme(word) for group in groups for word in group)


_frequency_lock = threading.Lock()
_frequencies: dict[str, tuple[float, int]] = {}


def _count_documents(words: list[str]) -> dict[str, int]:
    if uses_postgres_fts():
        counts = {}
        for word in words:
            matched = RawSQL(_MATCH_SQL, [_lexeme(word)], output_field=BooleanField())  # noqa: S611
            counts[word] = Question.objects.annotate(matched=matched).filter(matched=True).count()
        return counts
    rows = QuestionToken.objects.filter(token__in=words).values("token").annotate(n=Count("id"))
    counts = dict.fromkeys(words, 0)
    counts.update({row["token"]: row["n"] for row in rows})
    return counts


def document_frequencies(words: list[str]) -> dict[str, int]:
    """How many questions (of any status) hold each word, plus "" → all questions; cached per process."""
    now = time.monotonic()
    wanted = [*words, ""]
    with _frequency_lock:
        missing = [w for w in wanted if w not in _frequencies or _frequencies[w][0] < now]
    if missing:
        counts = _count_documents([w for w in missing if w])
        if "" in missing:
            counts[""] = Question.objects.count()
        with _frequency_lock:
            for word, count in counts.items():
                _frequencies[word] = (now + FREQUENCY_TTL, count)
    with _frequency_lock:
        return {w: _frequencies[w][1] for w in wanted}


def selective_groups(groups: list[list[str]]) -> list[list[str]]:
    """The groups worth asking the database about: all but the too-common ones.

    Only a large base is pruned (below PRUNE_FROM questions every query is cheap),
    and only when a remaining group occurs at all, so a stale count can slow a
    query down but never hide a question.
    """
    if len(groups) < 2:
        return groups
    frequencies = document_frequencies([word for group in groups for word in group])
    if frequencies[""] < PRUNE_FROM:
        return groups
    limit = COMMON_SHARE * frequencies[""]
    counts = [sum(frequencies[word] for word in group) for group in groups]
    rare = [group for group, count in zip(groups, counts, strict=True) if count <= limit]
    if not any(0 < count <= limit for count in counts):
        return groups
    return rare


def forget_frequencies() -> None:
    with _frequency_lock:
        _frequencies.clear()


# The table name is a constant and the query words travel as a bound parameter.
_MATCH_SQL = "knowledge_question.search_vector @@ to_tsquery('simple', %s)"
_RANK_SQL = "ts_rank(knowledge_question.search_vector, to_tsquery('simple', %s))"


def _candidates_postgres(queryset: QuerySet[Question], groups: list[list[str]]) -> dict[int, float]:
    tsquery = _tsquery(groups)
    matched = RawSQL(_MATCH_SQL, [tsquery], output_field=BooleanField())  # noqa: S611
    rank = RawSQL(_RANK_SQL, [tsquery], output_field=FloatField())  # noqa: S611
    rows = (
        queryset.annotate(matched=matched, rank=rank)
        .filter(matched=True)
        .order_by("-rank", "id")
        .values_list("id", "rank")[:CANDIDATES]
    )
    return dict(rows)


def _candidates_tokens(queryset: QuerySet[Question], groups: list[list[str]]) -> dict[int, float]:
    """Best questions by the sum, over query groups, of the group's best weight in the question.

    The scoring query reads the token index only; visibility is applied to each
    page of results afterwards, because SQLite would otherwise walk every
    visible question instead of the few token rows.
    """
    all_words = [word for group in groups for word in group]
    score = sum(
        (
            Max(Case(When(token__in=group, then=F("weight")), default=Value(0), output_field=IntegerField()))
            for group in groups
        ),
        start=Value(0),
    )
    ranked = (
        QuestionToken.objects.filter(token__in=all_words)
        .values("question_id")
        .annotate(score=score)
        .order_by("-score", "question_id")
        .values_list("question_id", "score")
    )
    page_size = CANDIDATES * 4
    found: dict[int, float] = {}
    for page in range(3):
        chunk = list(ranked[page * page_size : (page + 1) * page_size])
        visible = set(queryset.filter(id__in=[qid for qid, _score in chunk]).values_list("id", flat=True))
        for question_id, value in chunk:
            if question_id in visible and len(found) < CANDIDATES:
                found[question_id] = float(value)
        if len(found) >= CANDIDATES or len(chunk) < page_size:
            break
    return found


def _exact_ids(queryset: QuerySet[Question], norm: str) -> set[int]:
    if uses_postgres_fts():
        return set(queryset.filter(normalized_forms__contains=f"|{norm}|").values_list("id", flat=True)[:5])
    ids = QuestionToken.objects.filter(token=exact_key(norm)).values_list("question_id", flat=True)[:20]
    return set(queryset.filter(id__in=list(ids)).values_list("id", flat=True)[:5])


def highlight(text: str, words: list[str]) -> SafeString:
    """HTML-escape `text` and wrap every occurrence of `words` in <mark>."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words or not text:
        return escape(text or "")
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def snippet(text: str, words: list[str], *, width: int = 90) -> SafeString:
    text = re.sub(r"\s+", " ", text or "").strip()
    lowered = text.lower()
    positions = [lowered.find(word) for word in words if word and lowered.find(word) >= 0]
    start = max(0, min(positions) - 20) if positions else 0
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(escape(prefix) + highlight(piece, words) + escape(suffix))  # noqa: S308 - escaped pieces


def search(queryset: QuerySet[Question], query: str, *, limit: int = 20) -> SearchResult:
    query = (query or "").strip()[:200]
    words, groups = query_groups(query)
    result = SearchResult(query=query, words=words, groups=groups)
    norm = normalize(query)
    if not norm:
        return result
    candidates: dict[int, float] = {}
    if groups:
        finder = _candidates_postgres if uses_postgres_fts() else _candidates_tokens
        candidates = finder(queryset, selective_groups(groups))
    exact_ids = _exact_ids(queryset, norm)
    for question_id in exact_ids:
        candidates.setdefault(question_id, 0.0)
    if not candidates:
        return result
    questions = queryset.filter(id__in=list(candidates)).select_related("department")
    all_words = [word for group in groups for word in group]
    hits = []
    for question in questions:
        title = set(question.title_tokens.split())
        body = title | set(question.body_tokens.split())
        matched = sum(1 for group in groups if body.intersection(group))
        in_title = sum(1 for group in groups if title.intersection(group))
        count = len(groups) or 1
        hits.append(
            SearchHit(
                question=question,
                exact=question.id in exact_ids,
                coverage=matched / count,
                title_coverage=in_title / count,
                rank=candidates[question.id],
                question_html=highlight(question.question, all_words),
                snippet_html=snippet(question.answer, all_words),
            )
        )
    hits.sort(key=lambda h: (h.exact, h.coverage, h.title_coverage, h.rank, -h.question.id), reverse=True)
    result.hits = hits[:limit]
    return result
