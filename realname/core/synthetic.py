"""Synthetic but valid identifiers and people, for the demo, the tests and the benchmarks.

ID numbers carry real region codes that existed in the birth year (python-stdnum's table decides), valid
dates and checksums; bank cards carry real UnionPay debit prefixes and a Luhn check digit.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

from stdnum import luhn
from stdnum.cn import ric, uscc

# County-level codes from the provinces most construction workers come from, and some city districts.
REGION_CANDIDATES = [
    "110101",
    "110105",
    "110108",
    "120101",
    "130102",
    "140105",
    "210102",
    "310104",
    "310110",
    "320102",
    "320106",
    "330102",
    "330106",
    "340102",
    "350102",
    "360102",
    "370102",
    "410102",
    "410105",
    "420102",
    "420106",
    "430102",
    "430104",
    "440103",
    "440104",
    "450102",
    "460105",
    "500103",
    "510104",
    "510107",
    "520102",
    "530102",
    "610102",
    "610103",
    "620102",
    "630102",
    "640104",
    "650102",
    "411321",
    "412721",
    "511025",
    "512922",
    "522121",
    "341221",
    "362201",
    "432322",
    "130181",
    "370827",
    "410221",
    "411422",
    "412822",
    "511321",
    "513722",
    "341322",
    "342221",
    "500229",
    "500230",
    "510922",
    "511023",
    "430521",
    "431021",
    "362321",
    "410523",
    "411123",
]

CARD_PREFIXES = (
    ("102", "中国工商银行", "622202"),
    ("103", "中国农业银行", "622848"),
    ("104", "中国银行", "621661"),
    ("105", "中国建设银行", "621700"),
    ("403", "中国邮政储蓄银行", "621799"),
    ("301", "交通银行", "622262"),
    ("308", "招商银行", "621483"),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发"
    "武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪"
    "心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启"
    "克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘秀娟英华慧巧美娜静"
    "淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳"
    "嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉"
    "眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹"
    "霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)


@cache
def regions_for_year(year: int) -> tuple[str, ...]:
    """The candidate region codes python-stdnum accepts for someone born in ``year``."""
    good = []
    for code in REGION_CANDIDATES:
        body = f"{code}{year}0615123"
        if ric.is_valid(body + ric.calc_check_digit(body + "0")):
            good.append(code)
    return tuple(good)


def id_number(rng: random.Random, *, birth_date: dt.date, sex: str, region: str | None = None) -> str:
    """A resident ID number with a valid checksum; odd sequence digit for men, even for women."""
    regions = regions_for_year(birth_date.year) or ("110101",)
    area = region or rng.choice(regions)
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if sex == "M" else (0, 2, 4, 6, 8))
    body = f"{area}{birth_date:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def birth_date_for_age(rng: random.Random, *, age_min: int, age_max: int, today: dt.date) -> dt.date:
    start = today.replace(year=today.year - age_max - 1) + dt.timedelta(days=1)
    end = today.replace(year=today.year - age_min)
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def bank_card(rng: random.Random) -> tuple[str, str, str]:
    """(bank code, bank name, 19-digit card number with a Luhn check digit)."""
    code, name, prefix = rng.choice(CARD_PREFIXES)
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(18 - len(prefix)))
    return code, name, body + luhn.calc_check_digit(body)


def credit_code(rng: random.Random, *, region: str = "110105") -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + region + "".join(rng.choice(alphabet[:10]) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "151", "158", "177", "186", "187", "135", "199")) + "".join(
        str(rng.randrange(10)) for _ in range(8)
    )


def person_name(rng: random.Random, sex: str) -> str:
    half = len(GIVEN) // 2
    pool = GIVEN[:half] if sex == "M" else GIVEN[half:]
    return rng.choice(SURNAMES) + "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))
