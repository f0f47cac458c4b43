"""Fake but valid-looking personal data: Chinese names, ID numbers, phone numbers,
employer names. Everything is drawn from the generator passed in, so it is reproducible."""

from __future__ import annotations

import numpy as np

from .frame import day_strings

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Rough frequency: the first surnames are far more common.
_SURNAME_WEIGHTS = 1.0 / np.sqrt(np.arange(1, len(SURNAMES) + 1))

GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣晨阳博文翔坤峰建国志成浩然子轩宇航俊杰思远天佑皓"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳晶欣怡佳慧颖倩莹璐瑶楠萍红梅洁琪悦涵欢宁月琦诗雨嘉露蕾薇丹妍馨彤菲"

# County-level region codes (first six digits of the ID number); mostly one province,
# a few from neighbouring ones, as in a provincial vocational college.
REGION_CODES = (
    "320102", "320104", "320106", "320111", "320115", "320205", "320211", "320281", "320303",
    "320311", "320321", "320402", "320412", "320481", "320505", "320506", "320583", "320585",
    "320602", "320612", "320623", "320681", "320703", "320706", "320722", "320803", "320812",
    "320826", "320902", "320903", "320923", "321002", "321003", "321023", "321102", "321112",
    "321181", "321202", "321203", "321282", "321302", "321311", "321322", "340102", "340104",
    "341202", "370102", "370883", "410105", "420106", "330106", "330283", "360102",
)
PROVINCES = ("江苏省", "浙江省", "上海市", "安徽省", "山东省", "广东省", "北京市")
HOME_PROVINCE = PROVINCES[0]

PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "186", "187", "188",
    "189", "199",
)

_CHECK_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK_CODES = np.array(list("10X98765432"))

CITIES = ("南京", "苏州", "无锡", "常州", "南通", "扬州", "镇江", "徐州", "盐城", "泰州", "杭州", "上海", "合肥")
BRANDS = (
    "恒达", "华信", "瑞丰", "中科", "宏远", "博创", "天成", "金桥", "鼎盛", "联创", "新锐", "安泰", "明德",
    "汇通", "启航", "盛世", "嘉禾", "智源", "长城", "东方", "远景", "卓越", "海纳", "同方", "正和",
)
TRADES = (
    "机电设备", "智能科技", "信息技术", "汽车服务", "电子商务", "物流", "建设工程", "装饰工程", "文化传媒",
    "医疗管理", "精密机械", "自动化", "软件", "会计服务", "工程咨询", "新能源", "网络科技", "设计",
)
COMPANY_FORMS = ("有限公司", "股份有限公司", "有限责任公司")


def _pick(rng: np.random.Generator, pool, n: int, p=None) -> np.ndarray:
    return np.asarray(list(pool))[rng.choice(len(pool), size=n, p=p)]


def person_names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    """Surname plus a one- or two-character given name matching the gender."""
    n = len(female)
    surnames = _pick(rng, SURNAMES, n, _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum())
    first = np.where(female, _pick(rng, GIVEN_FEMALE, n), _pick(rng, GIVEN_MALE, n))
    second = np.where(female, _pick(rng, GIVEN_FEMALE, n), _pick(rng, GIVEN_MALE, n))
    two_chars = rng.random(n) < 0.65
    return [s + f + (t if two else "") for s, f, t, two in zip(surnames, first, second, two_chars)]


def _unique(rng: np.random.Generator, make, n: int) -> list[str]:
    """Draw values with `make(k)` until all n are distinct (collisions are rare)."""
    values = list(make(n))
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        while v in seen:
            v = make(1)[0]
        seen[v] = i
        values[i] = v
    return values


def id_numbers(rng: np.random.Generator, birth_days: np.ndarray, female: np.ndarray) -> list[str]:
    """18-digit resident ID numbers: region, birth date, sequence (odd for men, even for
    women), ISO 7064 MOD 11-2 check digit. Unique within one call."""
    births = np.char.replace(day_strings(birth_days).astype("U10"), "-", "")

    def make(indices):
        k = len(indices)
        regions = _pick(rng, REGION_CODES, k)
        seq = rng.integers(0, 500, size=k) * 2 + np.where(female[indices], 0, 1)
        body = [f"{r}{b}{s:03d}" for r, b, s in zip(regions, births[indices], seq)]
        digits = np.array([[int(c) for c in x] for x in body]).reshape(k, 17)
        checks = _CHECK_CODES[(digits * _CHECK_WEIGHTS).sum(axis=1) % 11]
        return [x + c for x, c in zip(body, checks)]

    values = make(np.arange(len(birth_days)))
    seen = set()
    for i, v in enumerate(values):
        while v in seen:
            v = make(np.array([i]))[0]
        seen.add(v)
        values[i] = v
    return values


def phone_numbers(rng: np.random.Generator, n: int) -> list[str]:
    def make(k):
        prefixes = _pick(rng, PHONE_PREFIXES, k)
        rest = rng.integers(0, 10**8, size=k)
        return [f"{p}{r:08d}" for p, r in zip(prefixes, rest)]

    return _unique(rng, make, n)


def hex_ids(rng: np.random.Generator, n: int, length: int) -> list[str]:
    """Opaque upper-case hex ids as vendor systems use for internal keys; unique."""
    alphabet = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)

    def make(k):
        codes = alphabet[rng.integers(0, 16, size=(k, length))]
        return [x.decode() for x in codes.view(f"S{length}").ravel()]

    return _unique(rng, make, n)


def company_names(rng: np.random.Generator, n: int) -> list[str]:
    cities = _pick(rng, CITIES, n)
    brands = _pick(rng, BRANDS, n)
    trades = _pick(rng, TRADES, n)
    forms = _pick(rng, COMPANY_FORMS, n, p=[0.7, 0.1, 0.2])
    return [f"{c}{b}{t}{f}" for c, b, t, f in zip(cities, brands, trades, forms)]
