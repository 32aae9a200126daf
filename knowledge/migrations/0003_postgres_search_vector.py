"""PostgreSQL only: a generated tsvector over the jieba words, with a GIN index.

Question words weigh 'A', body words 'B'; the 'simple' configuration keeps each
jieba word as one lexeme (no stemming, no stop words). On every other database
this migration does nothing and search uses the QuestionToken table.
"""

from django.db import migrations

ADD = """
ALTER TABLE knowledge_question ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title_tokens, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(body_tokens, '')), 'B')
) STORED;
CREATE INDEX knowledge_question_search_gin ON knowledge_question USING GIN (search_vector);
"""
DROP = """
DROP INDEX IF EXISTS knowledge_question_search_gin;
ALTER TABLE knowledge_question DROP COLUMN IF EXISTS search_vector;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_questions_workflow_search")]

    operations = [migrations.RunPython(forwards, backwards)]
