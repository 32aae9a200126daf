"""Keep a question's search index in step with its content.

`title_tokens` / `body_tokens` are the words jieba finds; PostgreSQL turns them
into the generated `search_vector` column itself, every other database gets the
QuestionToken rows written here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

from django.db import connection

from .models import Question, QuestionToken, SynonymGroup, split_words
from .segment import add_words, normalize, tokens_for_index

SYNONYM_REFRESH = 60.0  # seconds; a process that only indexes (an import worker) still learns new synonyms
_synonyms_loaded_at = -SYNONYM_REFRESH

TITLE_WEIGHT = 3
BODY_WEIGHT = 1


def uses_postgres_fts() -> bool:
    return connection.vendor == "postgresql"


def learn_synonym_words() -> None:
    """Keep configured synonyms whole when indexing, as the search does when querying."""
    global _synonyms_loaded_at
    now = time.monotonic()
    if now - _synonyms_loaded_at < SYNONYM_REFRESH:
        return
    words = SynonymGroup.objects.filter(is_active=True).values_list("words", flat=True)
    add_words(frozenset(word for text in words for word in split_words(text)))
    _synonyms_loaded_at = now


def index_fields(
    *, question: str, variants: Iterable[str], tags: Iterable[str], body_parts: Iterable[str]
) -> dict[str, str]:
    learn_synonym_words()
    variants = list(variants)
    title = tokens_for_index(" ".join([question, *variants, *tags]))
    title_set = set(title)
    body = [token for token in tokens_for_index(" ".join(body_parts)) if token not in title_set]
    forms = [normalize(text) for text in [question, *variants] if normalize(text)]
    return {
        "title_tokens": " ".join(title),
        "body_tokens": " ".join(body),
        # "|a|b|" so an exact form is found with one `contains` lookup.
        "normalized_forms": "|" + "|".join(forms) + "|" if forms else "",
    }


def exact_key(normalized: str) -> str:
    """The token that marks one exact question form (a hash: forms are longer than a token)."""
    return "=" + hashlib.sha1(normalized.encode(), usedforsecurity=False).hexdigest()[:24]


def token_rows(
    question_id: int, title_tokens: str, body_tokens: str, normalized_forms: str = ""
) -> list[QuestionToken]:
    rows = {token[:40]: TITLE_WEIGHT for token in title_tokens.split()}
    for token in body_tokens.split():
        rows.setdefault(token[:40], BODY_WEIGHT)
    for form in filter(None, normalized_forms.split("|")):
        rows.setdefault(exact_key(form), 0)
    return [QuestionToken(question_id=question_id, token=token, weight=weight) for token, weight in rows.items()]


def question_reindex(question: Question) -> None:
    """Recompute and store the index of one saved question (its variants and tags included)."""
    fields = index_fields(
        question=question.question,
        variants=question.variants.values_list("text", flat=True),
        tags=question.tags.values_list("name", flat=True),
        body_parts=[question.answer, question.policy_document, question.procedure, question.materials],
    )
    Question.objects.filter(pk=question.pk).update(**fields)
    for name, value in fields.items():
        setattr(question, name, value)
    from .search import forget_frequencies

    forget_frequencies()  # this process's word counts; other processes refresh theirs within minutes
    if not uses_postgres_fts():
        QuestionToken.objects.filter(question_id=question.pk).delete()
        QuestionToken.objects.bulk_create(
            token_rows(question.pk, fields["title_tokens"], fields["body_tokens"], fields["normalized_forms"])
        )
