"""Chinese word segmentation for the knowledge-base search (jieba).

The tokenizer is built once per process, lazily, under a lock: building jieba's
prefix dictionary takes about a second, so its cache lives under var/ (jieba's
default is /tmp/jieba.cache, which a tmp cleaner removes and which another user
may own) and is reused by every later process.

Indexing uses search mode (`cut_for_search`: 营业执照 → 营业, 执照, 营业执照) so
a question is found by a part of a compound word; queries use precise mode, and
each query word is then widened with its configured synonyms.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from pathlib import Path

import jieba
from django.conf import settings

USER_DICT = Path(__file__).resolve().parent / "data" / "userdict.txt"

# Words that say nothing about a policy question. A query made only of these is empty.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "要",
        "想",
        "在",
        "和",
        "与",
        "及",
        "或",
        "跟",
        "把",
        "被",
        "对",
        "给",
        "从",
        "到",
        "也",
        "都",
        "就",
        "还",
        "又",
        "怎么",
        "怎么样",
        "怎样",
        "如何",
        "什么",
        "哪些",
        "哪个",
        "哪里",
        "多少",
        "多久",
        "几",
        "能",
        "能否",
        "可以",
        "可否",
        "是否",
        "有没有",
        "请问",
        "一下",
        "需要",
        "需",
        "应该",
        "该",
        "这",
        "那",
        "这个",
        "那个",
        "个",
        "吗？",
        "么",
        "呢？",
        "啥",
    ]
)
_WORD = re.compile(r"\w", re.UNICODE)

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_added_words: set[str] = set()

logging.getLogger("jieba").setLevel(logging.WARNING)


def cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "jieba"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                instance = jieba.Tokenizer()
                instance.tmp_dir = str(cache_dir())
                instance.cache_file = "jieba.cache"
                instance.initialize()
                instance.load_userdict(str(USER_DICT))
                _tokenizer = instance
    return _tokenizer


def add_words(words: set[str] | frozenset[str]) -> None:
    """Teach the tokenizer domain words (e.g. every configured synonym) so they stay whole."""
    new = {word for word in words if word and word not in _added_words}
    if not new:
        return
    instance = tokenizer()
    with _lock:
        for word in new:
            instance.add_word(word, freq=2000)
            _added_words.add(word)


def normalize(text: str) -> str:
    """Full-width → half-width, lower case, collapsed spaces: the form exact matches compare."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = re.sub(r"[\s?？!！。，,、；;：:“”\"'‘’（）()《》<>【】\[\]]+", "", text)
    return text


def _keep(token: str) -> bool:
    token = token.strip()
    return bool(token) and bool(_WORD.search(token)) and token not in STOPWORDS and len(token) <= 40


def tokens_for_query(text: str) -> list[str]:
    """The query's words in order, each once, without stop words."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    seen: dict[str, None] = {}
    for token in tokenizer().cut(text):
        token = token.strip()
        if _keep(token):
            seen.setdefault(token, None)
    return list(seen)


def tokens_for_index(text: str) -> list[str]:
    """Every word and sub-word of a text (search mode), each once."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    seen: dict[str, None] = {}
    for token in tokenizer().cut_for_search(text):
        token = token.strip()
        if _keep(token):
            seen.setdefault(token, None)
    return list(seen)
