"""The demo question bank: realistic high-frequency questions of a city service centre.

Each entry: department code, question, variants, answer, (policy document, article, date),
materials, tags, a matter-name keyword for linking to the matter catalogue, needs legal review.
The documents are real national regulations; articles and wording are simplified for the demo.
"""

from __future__ import annotations

from datetime import date

from .civil import BDC, GA, MZ, ZH
from .enterprise import SCJG, SW
from .people import GJJ, RSJ, YBJ
from .types import Q

# In the order the demo has always loaded them (department by department).
QUESTIONS: list[Q] = [*SCJG, *RSJ, *YBJ, *GJJ, *BDC, *SW, *GA, *MZ, *ZH]

# Drafts and questions in review, to show the workflow and the weekly queue.
PENDING: list[Q] = [
    (
        "scjg",
        "电子营业执照怎么下载",
        ["手机营业执照"],
        "在微信或支付宝搜索“电子营业执照”小程序，法定代表人实名认证后下载。",
        ("电子营业执照管理办法（试行）", "第八条", date(2018, 12, 17)),
        "",
        ["电子营业执照"],
        "",
        False,
    ),
    (
        "rsj",
        "社保断缴有什么影响",
        ["社保停交了怎么办"],
        "养老保险断缴不影响已缴年限，累计计算；医疗保险断缴超过 3 个月的，重新缴费后有等待期。",
        ("中华人民共和国社会保险法", "第二十三条", date(2018, 12, 29)),
        "",
        ["社会保险"],
        "",
        True,
    ),
    (
        "gjj",
        "公积金可以给父母买房用吗",
        ["公积金给父母买房"],
        "购买直系亲属自住住房的，可以凭购房合同和亲属关系证明提取公积金。",
        ("住房公积金管理条例", "第二十四条", date(2019, 3, 24)),
        "身份证\n亲属关系证明\n购房合同",
        ["公积金"],
        "提取",
        False,
    ),
    (
        "ybj",
        "异地就医备案后多久生效",
        ["备案生效时间"],
        "线上备案即时生效，当日即可在就医地联网医院直接结算。",
        ("国家医疗保障局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知", "第二条", date(2022, 7, 26)),
        "",
        ["异地就医"],
        "",
        False,
    ),
]

SYNONYMS = [
    "营业执照 执照 营业证",
    "社保 社会保险",
    "医保 医疗保险",
    "社保卡 社会保障卡",
    "不动产权证书 房产证 房本",
    "公积金 住房公积金",
    "身份证 居民身份证",
    "个税 个人所得税",
    "注销 关闭公司",
    "低保 最低生活保障",
    "过户 转移登记",
    "丢了 遗失 丢失",
    "取 提取",
]
