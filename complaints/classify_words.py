"""The words that point a complaint to one of the centre's 23 problems (govservice/categories.py).

One entry per problem of the self-inspection list (its ledger code, as in the centre's 整改台账):
the category it belongs to, and the words and synonyms citizens use when they complain about it.
The classification queue (complaints/classify.py) suggests the problem whose words a text contains
most; staff decide. Edit the lists here: nothing else holds them.
"""

from __future__ import annotations

from govservice.categories import ProblemCategory

A, B, E, D = (
    ProblemCategory.ATTITUDE,
    ProblemCategory.ABILITY,
    ProblemCategory.EFFICIENCY,
    ProblemCategory.DISCIPLINE,
)

# code: (category, words and synonyms)
PROBLEM_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "TD-01": (A, ("没人引导", "无人引导", "不主动", "没人问", "找不到窗口", "不知道去哪", "没人理")),
    "TD-02": (A, ("不耐烦", "态度差", "态度恶劣", "语气生硬", "脸色", "凶", "训斥", "冷漠", "爱答不理", "态度")),
    "TD-03": (A, ("推诿", "扯皮", "不归我们管", "不是我们管", "踢皮球", "互相推", "来回跑")),
    "TD-04": (A, ("一次性告知", "没说清", "没有一次讲清", "没讲清", "又要补", "往返", "跑了好几趟")),
    "TD-05": (A, ("老年人", "老人", "残疾", "轮椅", "不会用", "自助机", "没人帮", "填表困难")),
    "TD-06": (A, ("差评", "回访", "没人联系", "没有回复", "不回电话")),
    "NL-01": (B, ("一业一证", "新政策", "政策不清楚", "不了解政策", "改革")),
    "NL-02": (B, ("跨部门", "多个部门", "部门之间", "协调", "自己去找", "让我自己去")),
    "NL-03": (B, ("复杂", "历史遗留", "久拖不决", "拖了很久", "一直没办好", "迟迟")),
    "NL-04": (B, ("新来的", "新人", "实习", "不熟练", "出错", "差错")),
    "NL-05": (B, ("说法不一", "答复不一致", "口径", "说得不一样", "答复错误", "解释错误", "说不清", "答不上")),
    "NL-06": (B, ("系统", "操作不熟", "不会操作", "电脑", "录错", "业务不熟")),
    "XL-01": (E, ("退件", "不予受理", "缺材料", "少一份", "容缺", "不收材料")),
    "XL-02": (E, ("企业开办", "营业执照", "开公司", "半天", "排了几个窗口")),
    "XL-03": (E, ("社保转移", "社保", "医保", "转移", "两个窗口")),
    "XL-04": (E, ("补正", "提醒", "逾期", "终止", "过期", "没有通知")),
    "XL-05": (E, ("排队", "等候", "等了", "太慢", "时间长", "咨询台", "叫号")),
    "XL-06": (E, ("进度", "查询", "到哪一步", "不知道办到哪", "打电话问", "没有消息")),
    "JL-01": (D, ("离岗", "脱岗", "不在岗", "窗口没人", "空岗", "暂离", "没人上班")),
    "JL-02": (D, ("玩手机", "聊天", "闲聊", "刷视频", "打游戏", "吃东西")),
    "JL-03": (D, ("着装", "工牌", "穿着", "没戴", "胸牌")),
    "JL-04": (D, ("迟到", "早退", "考勤", "还没上班", "提前下班")),
    "JL-05": (D, ("引导好评", "让我点满意", "代替评价", "替我点", "逼着好评", "评价器")),
}
