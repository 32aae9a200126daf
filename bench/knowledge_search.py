"""Benchmark the knowledge-base search: 10,000 questions, repeated queries, p50/p95 in ms.

    .venv/bin/python bench/knowledge_search.py                      # SQLite: var/bench/knowledge.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/govservice_bench .venv/bin/python bench/knowledge_search.py

The database is migrated, seeded once (a second run reuses the 10,000 questions)
and searched through `knowledge.selectors.question_search_for`, the same call
the search page, the API and the case screen make: segmentation, synonym
expansion, candidate query, ranking and highlighting are all inside the timing.
Prints one JSON object. Target: p95 ≤ 100 ms.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DEBUG", "1")  # no production secrets needed; query logging is reset below
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
if "DATABASE_URL" not in os.environ:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'knowledge.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from govservice.models import Centre  # noqa: E402
from knowledge.indexing import index_fields, token_rows, uses_postgres_fts  # noqa: E402
from knowledge.models import Question, QuestionToken, SynonymGroup  # noqa: E402
from knowledge.selectors import question_search_for  # noqa: E402
from staff.models import Role, StaffRole, User  # noqa: E402

SIZE = int(os.environ.get("BENCH_QUESTIONS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))

SUBJECTS = [
    "营业执照",
    "社保卡",
    "住房公积金",
    "不动产权证书",
    "居住证",
    "身份证",
    "医保",
    "食品经营许可证",
    "行业综合许可证",
    "发票",
    "养老保险",
    "失业保险",
    "生育津贴",
    "结婚登记",
    "低保",
    "户口",
    "抵押登记",
    "个人所得税",
    "税务登记",
    "工伤认定",
    "异地就医备案",
    "出生登记",
    "残疾人补贴",
    "高龄津贴",
    "电子营业执照",
    "卫生许可证",
    "药品经营许可证",
]
ACTIONS = [
    "怎么办理",
    "遗失后怎么补办",
    "如何变更",
    "如何注销",
    "怎么提取",
    "怎么转移接续",
    "在哪里查询",
    "到期如何延续",
    "需要什么材料",
    "多久能办好",
    "可以网上办吗",
    "收费吗",
    "可以委托他人办理吗",
    "能跨省通办吗",
]
WHO = [
    "个体工商户",
    "企业",
    "退休人员",
    "灵活就业人员",
    "外地户籍人员",
    "新生儿",
    "残疾人",
    "二手房买家",
    "新房业主",
    "小微企业",
    "农民工",
    "高校毕业生",
    "外籍人员",
    "老年人",
    "现役军人家属",
    "港澳居民",
]
PLACES = ["", "在本区", "在高新区", "在市中心", "异地", "线上"]
ANSWER_PARTS = [
    "申请人可以通过一网通办平台在线提交申请。",
    "也可以到政务服务中心综合窗口办理。",
    "符合条件的当场办结。",
    "材料齐全的承诺 3 个工作日内办结。",
    "主要材料不能容缺，次要材料可以容缺后补。",
    "不收取任何费用。",
    "需要本人持身份证到场核验。",
    "委托他人办理的，需提交授权委托书。",
    "办理结果可以选择免费邮寄。",
    "具体以部门最新规定为准。",
    "可拨打 12345 热线咨询。",
    "已纳入跨省通办事项清单。",
]
QUERIES = [
    "营业执照 遗失 补办",
    "执照丢了怎么办",
    "社保转移",
    "公积金怎么提取",
    "房本丢了",
    "个体户执照怎么办",
    "异地就医备案需要什么材料",
    "灵活就业人员养老保险",
    "结婚登记能跨省通办吗",
    "食品经营许可证到期如何延续",
    "企业营业执照怎么办理",
    "低保申请",
    "二手房 抵押登记",
    "新生儿医保",
    "发票可以网上办吗",
    "宠物狗办证",
    "退休人员住房公积金怎么提取",
    "个人所得税 委托",
    "工伤认定多久能办好",
    "残疾人补贴在哪里查询",
]


def seed(centre: Centre, author: User) -> float:
    started = time.perf_counter()
    rng = random.Random(7)
    seen: set[str] = set()
    questions: list[Question] = []
    while len(questions) < SIZE:
        text = f"{rng.choice(WHO)}{rng.choice(PLACES)}{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}"
        if text in seen:
            text = f"{text}（{len(questions)}）"
        seen.add(text)
        answer = "".join(rng.sample(ANSWER_PARTS, 4))
        fields = index_fields(question=text, variants=[], tags=[], body_parts=[answer])
        questions.append(
            Question(
                centre=centre,
                question=text,
                answer=answer,
                status=Question.Status.PUBLISHED,
                author=author,
                version=1,
                published_at=timezone.now(),
                **fields,
            )
        )
    with transaction.atomic():
        created = Question.objects.bulk_create(questions, batch_size=1000)
        if not uses_postgres_fts():
            rows = [r for q in created for r in token_rows(q.id, q.title_tokens, q.body_tokens, q.normalized_forms)]
            QuestionToken.objects.bulk_create(rows, batch_size=5000)
    return time.perf_counter() - started


def main() -> None:
    call_command("migrate", verbosity=0)
    centre, _ = Centre.objects.get_or_create(code="bench", defaults={"name": "基准测试中心", "tracking_prefix": "BN"})
    user, created = User.objects.get_or_create(username="bench-staff", defaults={"name": "基准", "centre": centre})
    if created:
        StaffRole.objects.create(user=user, role=Role.WINDOW_STAFF)
    for words in ("营业执照 执照", "社保 社会保险", "不动产权证书 房产证 房本", "个体户 个体工商户", "丢了 遗失"):
        SynonymGroup.objects.get_or_create(words=words)
    seed_seconds = None
    existing = Question.objects.filter(centre=centre).count()
    if existing < SIZE:
        Question.objects.filter(centre=centre).delete()
        seed_seconds = round(seed(centre, user), 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_question")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    first_started = time.perf_counter()
    question_search_for(user=user, query=QUERIES[0], record_miss=False)  # loads jieba (cache under var/jieba)
    first_ms = (time.perf_counter() - first_started) * 1000
    for query in QUERIES:  # warm the database cache
        question_search_for(user=user, query=query, record_miss=False)

    timings: list[float] = []
    hits: dict[str, int] = {}
    for _ in range(ROUNDS):
        for query in QUERIES:
            started = time.perf_counter()
            result = question_search_for(user=user, query=query, record_miss=False)
            timings.append((time.perf_counter() - started) * 1000)
            hits[query] = len(result.hits)
        reset_queries()
    timings.sort()
    quantiles = statistics.quantiles(timings, n=100)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "backend": "postgres tsvector + GIN + ts_rank" if uses_postgres_fts() else "token table",
                "questions": Question.objects.filter(centre=centre).count(),
                "seed_seconds": seed_seconds,
                "queries": len(timings),
                "distinct_queries": len(QUERIES),
                "first_search_ms": round(first_ms, 1),
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(quantiles[94], 1),
                "max_ms": round(timings[-1], 1),
                "mean_ms": round(statistics.fmean(timings), 1),
                "target_p95_ms": 100,
                "meets_target": quantiles[94] <= 100,
                "results_per_query": hits,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
