#!/usr/bin/env python3
"""Regenerate the sample DOCX and PDF documents of the corpus (and their .meta.yaml sidecars).

Usage:  python corpus/_build/make_binary_docs.py

All documents are 示例 (sample) texts written for the 质量政策助手 project: clauses, amounts,
deadlines and contacts are invented.  Source text uses a tiny markup:
    "# "   document title
    "## "  level-1 heading (章 / 一、)
    "### " level-2 heading (节 / （一）)
    "|a|b|" table row (consecutive rows form one table, first row is the header)
    other  body paragraph
Requires python-docx, reportlab, PyYAML.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parents[1]
NOTE = "本文件为示例文本，条款与金额为虚构，仅供演示"
FIXED_TIME = _dt.datetime(2026, 11, 1, 0, 0, 0)  # deterministic metadata (fallback when a document has no issue_date)

# --------------------------------------------------------------------------- documents

DOCS: list[dict] = []

DOCS.append(dict(
    path="policies/关于加强和改进新时代城阳人才工作引领高质量发展的若干政策.docx",
    heading_mode="styles",
    meta=dict(
        title="关于加强和改进新时代城阳人才工作引领高质量发展的若干政策",
        doc_number="城发〔2023〕2号",
        issuer="中共青岛市城阳区委、青岛市城阳区人民政府",
        issue_date="2023-01-18", effective_date="2023-02-01", expiry_date="2027-12-31",
        status="现行", region="青岛市城阳区", programs=["人才科创金", "首席质量官"],
        doc_type="政策文件"),
    text="""
# 关于加强和改进新时代城阳人才工作引领高质量发展的若干政策
为深入实施新时代人才强区战略，加快集聚各类优秀人才，以高水平人才队伍引领全区高质量发展，制定以下政策。
本政策所称人才，是指经区委人才工作领导小组办公室认定、在城阳区全职工作或者创办企业的各类人才。各项资助资金由区财政统筹安排，区委人才工作领导小组办公室会同区财政局、区人力资源和社会保障局等部门组织实施。人才申请享受本政策的，通过“城阳人才”微信公众号或者区政务服务中心人才服务综合窗口提出申请，区委人才工作领导小组办公室在受理后20个工作日内完成审核。
## 一、集聚高层次人才
第一条　顶尖人才支持。对新引进的诺贝尔奖获得者、两院院士等顶尖人才，经认定给予最高1000万元综合资助，其中生活补贴最高200万元，其余用于项目研发。
第二条　领军人才支持。对新引进或者新入选的国家级领军人才，给予300万元综合资助；对省级领军人才，给予100万元综合资助；对市级领军人才，给予30万元综合资助。
第三条　人才创业支持。对高层次人才在城阳区创办的企业，通过城阳区“人才科创金”给予股权投资支持，单个项目最高500万元，具体按照《城阳区“人才科创金”运行管理试行办法》执行。
## 二、支持青年人才来城阳发展
第四条　安家补贴。对新引进到区内企业全职工作、签订3年以上劳动合同并缴纳社会保险的全日制博士研究生，给予15万元安家补贴；全日制硕士研究生，给予5万元安家补贴。安家补贴分3年发放。
第五条　生活补贴。对新引进到区内企业工作的全日制本科毕业生，在毕业5年内首次来城阳就业的，给予每月1000元生活补贴，最长发放24个月。
第六条　人才住房。建设人才公寓不少于2000套，符合条件的青年人才可以申请租住，前3年租金减免50%。
## 三、培育质量技术和产业技能人才
第七条　质量技术人才。将首席质量官、注册计量师、质量工程师等质量技术人才纳入全区人才分类目录。获评“城阳区优秀首席质量官”的，给予每人2万元奖励，并按照区级人才待遇享受子女入学、健康体检等服务。
第八条　技能人才。对新获评“齐鲁首席技师”的，给予一次性奖励5万元；新获评“青岛市首席技师”的，给予一次性奖励3万元。
第九条　企业引才奖励。对通过市场化方式为区内企业引进高层次人才的人力资源服务机构，每引进1名国家级领军人才奖励10万元。
第十条　校地合作。支持区内企业与高校、科研院所共建研究生联合培养基地，对新认定的省级研究生联合培养基地给予一次性奖励20万元。支持企业设立博士后科研工作站，对新设立的国家级博士后科研工作站给予一次性资助50万元。
## 四、优化人才发展环境
第十一条　人才服务专员。为高层次人才配备人才服务专员，提供政策咨询、项目申报、子女入学、配偶就业等“一站式”服务。
第十二条　人才医疗保障。为A、B、C类人才每年提供1次免费健康体检，在区属公立医院开通就医绿色通道。
第十三条　人才荣誉激励。每两年评选一次“城阳区杰出人才”，每次不超过10名，给予每人10万元奖励。
第十四条　人才服务窗口。在区政务服务中心设立人才服务综合窗口，地址：城阳区春城路618号区政务服务中心一楼人才服务专区，咨询电话：0532-87652301。
第十五条　人才分类目录。人才分为A、B、C、D、E五类，具体认定标准由区委人才工作领导小组办公室另行制定。主要待遇如下表：
|人才类别|认定范围|综合资助或者补贴|
|A类|顶尖人才|最高1000万元|
|B类|国家级领军人才|300万元|
|C类|省级领军人才|100万元|
|D类|市级领军人才|30万元|
|E类|全日制博士研究生|安家补贴15万元|
## 五、附则
第十六条　本政策与区内其他同类政策重复的，按照“就高不重复”原则执行。享受本政策的人才须在城阳区服务满5年，未满5年离开的，按照比例退回已享受的资金。
第十七条　本政策由区委人才工作领导小组办公室负责解释，自2023年2月1日起施行，有效期至2027年12月31日。
""",
))

DOCS.append(dict(
    path="policies/城阳区首席质量官制度实施办法.docx",
    heading_mode="bold",
    meta=dict(
        title="城阳区首席质量官制度实施办法",
        doc_number="城市监发〔2023〕8号",
        issuer="青岛市城阳区市场监督管理局",
        issue_date="2023-06-15", effective_date="2023-07-01",
        status="现行", region="青岛市城阳区", programs=["首席质量官", "质量提升"],
        doc_type="政策文件"),
    text="""
# 城阳区首席质量官制度实施办法
## 第一章　总则
第一条　为推动企业建立质量管理高层负责人制度，提升企业质量管理水平，根据《质量强国建设纲要》和《城阳区质量提升行动计划（2023—2027年）》，结合本区实际，制定本办法。
第二条　本办法所称首席质量官，是指企业设立的、由企业高层管理人员担任、对企业质量管理工作全面负责的岗位。首席质量官可以由企业负责质量工作的副总经理、总工程师等担任。
第三条　首席质量官制度坚持企业自愿设立、政府引导推动、备案动态管理的原则。鼓励规模以上工业企业、“青岛优品”企业和区长质量奖获奖企业率先设立首席质量官。
## 第二章　任职条件
第四条　首席质量官应当具备下列条件：
（一）具有大学本科以上学历，或者具有中级以上专业技术职称；
（二）从事质量管理工作5年以上，熟悉质量法律法规和相关标准；
（三）担任企业高层管理职务，能够参与企业重大经营决策；
（四）参加区级以上首席质量官培训并取得合格证书；
（五）近3年内未对本企业发生的重大质量安全事故负有直接责任。
## 第三章　职责与权利
第五条　首席质量官履行下列职责：
（一）组织制定企业质量发展战略和质量目标，推动质量管理体系有效运行；
（二）组织推行卓越绩效管理模式等先进质量管理方法；
（三）组织开展标准化、计量、认证、品牌建设等工作；
（四）组织开展质量改进、质量攻关和质量成本分析；
（五）组织质量管理人员培训，培育企业质量文化。
第六条　首席质量官享有下列权利：
（一）参与企业重大经营决策，对涉及质量的决策事项享有质量否决权；
（二）对不符合质量要求的原材料、半成品和产品，有权决定停止投入使用或者停止出厂；
（三）对企业质量奖惩提出意见和建议。
（四）列席企业涉及产品质量的研发、采购、生产、销售等重要会议；
（五）向区市场监督管理局反映企业质量工作中遇到的困难和问题。
第七条　首席质量官可以与质量安全总监由同一人担任。由同一人担任的，应当同时履行质量安全总监职责。
## 第四章　备案管理
第八条　企业设立首席质量官的，应当自任命之日起30日内向区市场监督管理局备案。备案材料如下表：
|序号|材料名称|要求|
|1|首席质量官备案表|加盖企业公章|
|2|企业任命文件|复印件|
|3|学历或者职称证书|复印件|
|4|首席质量官培训合格证书|复印件|
第九条　首席质量官发生变更的，企业应当自变更之日起30日内办理变更备案。首席质量官离职且企业未在60日内重新任命的，区市场监督管理局注销其备案。
第十条　备案受理地点：城阳区市场监督管理局质量发展科（城阳区正阳路188号406室），咨询电话：0532-87651207。备案不收取任何费用。
## 第五章　培训与激励
第十一条　区市场监督管理局每年举办首席质量官培训班不少于2期，每期培训40学时，考核合格的颁发首席质量官培训合格证书。已备案的首席质量官每年参加继续教育不少于16学时。
第十二条　企业设立首席质量官并完成备案，且首席质量官取得培训合格证书的，按照《关于支持先进制造业发展助力企业扩容提质增效的若干政策措施》给予企业一次性奖励2万元。
第十三条　每两年评选一次“城阳区优秀首席质量官”，每次不超过10名。获评的首席质量官按照区级人才政策享受奖励和服务待遇。
## 第六章　监督管理
第十四条　区市场监督管理局对首席质量官履职情况进行跟踪评价。首席质量官所在企业发生重大质量安全事故且首席质量官负有责任的，注销其备案，3年内不得再次备案。
第十五条　企业以虚假材料办理备案或者骗取奖励的，撤销备案，追回奖励资金。
第十六条　区市场监督管理局建立首席质量官信息库，定期组织首席质量官开展质量管理经验交流、标杆企业观摩等活动。首席质量官所在企业可以优先获得NQI“一站式”服务平台提供的质量诊断、标准化辅导等服务。
## 第七章　附则
第十七条　本办法由区市场监督管理局负责解释，自2023年7月1日起施行。
""",
))

DOCS.append(dict(
    path="guides/区长质量奖申报指南.docx",
    heading_mode="styles",
    meta=dict(
        title="2026年度城阳区区长质量奖申报指南",
        issuer="城阳区质量工作领导小组办公室",
        issue_date="2026-03-26", effective_date="2026-03-26", expiry_date="2027-06-30",
        status="现行", region="青岛市城阳区", programs=["区长质量奖", "卓越绩效"],
        doc_type="申报指南"),
    text="""
# 2026年度城阳区区长质量奖申报指南
根据《城阳区区长质量奖管理办法》（城政发〔2023〕12号），现启动2026年度城阳区区长质量奖评选工作。本年度是该办法施行后的第二次评选（首次评选于2024年度开展）。
## 一、奖项设置
本年度评选区长质量奖（组织）不超过3个，区长质量奖提名奖（组织）不超过5个，区长质量奖个人奖不超过2名。区长质量奖（组织）每个奖励50万元，提名奖每个奖励10万元，个人奖每人奖励5万元。
## 二、申报条件
### （一）组织申报条件
1.在城阳区依法登记注册满5年，具有独立法人资格；
2.导入并实施卓越绩效管理模式2年以上；
3.主要经济技术指标和质量效益处于全区同行业领先水平；
4.近3年内未发生重大质量、安全、环境污染、公共卫生等事故，未被列入严重违法失信名单；
5.近3年内产品或者服务在各级监督抽查中未出现不合格。
### （二）个人申报条件
在本区企业、事业单位从事质量工作满10年，在质量管理、质量技术攻关、标准制定等方面作出突出贡献，由所在单位推荐。
### （三）不得申报的情形
2022年以来获得青岛市市长质量奖、山东省省长质量奖、中国质量奖（含提名奖）的组织，本年度不得申报。
## 三、申报材料
1.区长质量奖申报表（组织或者个人）；
2.组织自评报告，字数不超过3万字；
3.营业执照复印件；
4.近3年财务审计报告；
5.守法诚信承诺书；
6.近3年相关主管部门出具的无重大事故证明；
7.质量管理体系认证证书、获奖证书等其他证明材料。
纸质材料一式5份，同时提交电子版材料（U盘）1份。
## 四、申报程序和时间安排
|阶段|时间|内容|
|发布通知|2026年3月26日|发布申报指南|
|自评辅导|2026年4月至10月|组织自评报告编写辅导|
|组织申报|2026年11月1日至12月31日|企业提交申报材料|
|资格审查|2027年1月|审查申报资格|
|材料评审|2027年2月至3月|专家独立评分|
|现场评审|2027年4月至5月|评审组现场评审|
|审定公示|2027年6月|公示7个工作日|
申报截止时间为2026年12月31日17:00，逾期不予受理。
## 五、受理地点与咨询
受理地点：城阳区市场监督管理局质量发展科（城阳区正阳路188号406室）。
咨询电话：0532-87651201（王同志）。
受理时间：工作日上午9:00—12:00，下午13:30—17:00。
## 六、其他事项
1.区长质量奖评选不收取任何费用。申报组织不得委托中介机构代为编写自评报告。
2.申报组织弄虚作假的，取消申报资格；已获奖的，撤销奖项，收回奖牌、证书和奖金，5年内不得再次申报。
3.拟申报组织可以到城阳区NQI一站式服务大厅预约卓越绩效自评报告编写辅导。
""",
))

DOCS.append(dict(
    path="policies/城阳区产品质量监督抽检你点我抽他检工作实施方案.pdf",
    meta=dict(
        title="城阳区产品质量监督抽检“你点我抽他检”工作实施方案",
        doc_number="城市监发〔2023〕4号",
        issuer="青岛市城阳区市场监督管理局",
        issue_date="2023-03-28", effective_date="2023-04-01",
        status="现行", region="青岛市城阳区", programs=["质量提升", "质量安全责任"],
        doc_type="工作方案"),
    text="""
# 城阳区产品质量监督抽检“你点我抽他检”工作实施方案
为创新产品质量监督抽检方式，回应群众关切，提高抽检工作的针对性和透明度，根据《中华人民共和国产品质量法》等规定，结合本区实际，制定本方案。
## 一、工作目标
将抽检样本由“部门计划”改为“群众点单”，将检测由“关门检测”改为“开门检测”。2023年区级监督抽检投入经费122.5万元，抽检产品1400余批次，其中群众点单产品占比不低于30%，成品油抽检实现全覆盖。
## 二、职责分工
（一）“你点”：群众、消费者、企业和行业协会提出抽检需求；
（二）“我抽”：区市场监督管理局根据点单情况制定抽检计划并组织抽样；
（三）“他检”：通过公开招标确定具有资质的第三方检验检测机构承担检验任务，实现抽检分离。
## 三、点单方式
### （一）线上点单
关注“城阳市场监管”微信公众号，进入“我要点单”栏目，填写希望抽检的产品名称、购买地点和关注原因。
### （二）电话点单
拨打12345政务服务便民热线，说明希望抽检的产品。
### （三）现场点单
到各市场监管所服务窗口现场填写点单表。
## 四、点单时间
每季度第一个月的1日至20日集中受理点单，点单结果纳入当季抽检计划。“质量月”期间另行开通集中点单渠道。
## 五、抽检重点
优先抽检群众点单集中的产品，重点包括儿童用品、电动自行车及充电器、燃气具、电线电缆、食品相关产品、成品油、化肥农资等与群众生活密切相关的产品。同一产品被点单10次以上的，列入当季必检目录。
区市场监督管理局根据点单情况，结合上年度抽检不合格产品、投诉举报集中产品和季节性消费特点，制定季度抽检计划。抽检计划确定后通过“城阳市场监管”微信公众号向社会公布抽检产品类别，但不公布具体被抽检企业名单。每季度抽检批次原则上不少于350批次，全年不少于1400批次。
## 六、开门检测
1.抽样环节：邀请点单群众代表现场见证抽样，抽样过程全程记录。
2.检测环节：每季度组织1次检验检测机构开放日，邀请点单群众代表、人大代表、政协委员到检测实验室观摩检测过程。
3.结果环节：抽检结果在检验结束后20个工作日内通过“城阳市场监管”微信公众号向社会公布，并向点单人反馈。
## 七、费用
监督抽检所需样品购置费和检验费由区财政承担，不向被抽检企业收取任何费用。
点单群众不承担任何费用。对群众点单但不属于产品质量监督抽检范围的产品（如食品、药品），区市场监督管理局转交相关业务科室纳入相应抽检计划，并向点单人说明。被抽检企业应当配合抽样，不得拒绝；无正当理由拒绝抽检的，依法处理。
## 八、结果处置
1.被抽检企业不认可检验结论的，可以在收到检验结果后15日内提出复检申请。
2.对抽检不合格的，区市场监督管理局依法责令企业停止生产、销售，督促企业查明原因、整改到位，并依法实施后处理。
3.对同一企业连续2次抽检不合格的，列入重点监管对象，加大抽检频次。
4.对抽检中发现的区域性、行业性质量问题，区市场监督管理局组织开展质量分析，召开行业质量提升座谈会，指导企业开展质量攻关。
## 九、工作要求
1.加强组织领导。区市场监督管理局成立“你点我抽他检”工作专班，由分管局领导任组长，产品质量安全监督管理科具体负责，各市场监管所配合做好点单受理和抽样工作。
2.严格抽检纪律。抽样人员不得事先通知被抽检企业，不得接受被抽检企业的宴请和礼品；承检机构应当独立、公正开展检验，对检验数据的真实性负责。
3.加强宣传引导。通过微信公众号、社区宣传栏等渠道宣传点单方式，每季度发布点单情况和抽检结果，提高群众参与度。
4.强化结果运用。抽检结果纳入企业信用记录，作为“青岛优品”、区长质量奖等评选的参考依据；对抽检不合格的企业，取消其当年度质量类奖励申报资格。
## 十、联系方式
区市场监督管理局产品质量安全监督管理科，地址：城阳区正阳路188号302室，联系电话：0532-87651204。
""",
))

DOCS.append(dict(
    path="guides/市级标准化试点申报指南.pdf",
    meta=dict(
        title="2026年青岛市市级标准化试点项目申报指南（城阳区）",
        issuer="青岛市城阳区市场监督管理局",
        issue_date="2026-11-05", effective_date="2026-11-05", expiry_date="2027-06-30",
        status="现行", region="青岛市城阳区", programs=["标准化试点"],
        doc_type="申报指南"),
    text="""
# 2026年青岛市市级标准化试点项目申报指南（城阳区）
根据青岛市市场监督管理局关于开展2026年市级标准化试点项目申报工作的部署，现将城阳区申报有关事项告知如下。2023年，城阳区召开首个市级标准化试点建设启动大会，新争取市级标准化试点33项。
## 一、试点类型
1.工业标准化试点：围绕先进制造业开展标准体系建设和标准实施；
2.农业标准化试点：围绕现代种业、特色农产品开展标准化生产；
3.服务业标准化试点：围绕商贸、文旅、物流等领域开展服务标准化；
4.社会管理和公共服务标准化试点。
## 二、申报条件
1.申报单位在城阳区依法登记注册，具有独立法人资格；
2.已建立标准化工作机构，配备专职或者兼职标准化人员不少于2名；
3.已建立较为完善的企业标准体系，或者具备建立标准体系的基础；
4.近3年内未发生重大质量、安全、环境事故，未被列入严重违法失信名单；
5.企业类申报单位已在企业标准信息公共服务平台开展标准自我声明公开。
## 三、申报材料
1.市级标准化试点项目申报书；
2.试点项目实施方案（包括试点目标、标准体系框架、进度安排、经费预算）；
3.营业执照或者法人登记证书复印件；
4.标准化工作机构设立文件及人员名单；
5.信用承诺书。
## 四、申报流程
1.申报单位填写申报书、编制实施方案；
2.向区市场监督管理局标准化科提交纸质材料一式3份及电子版；
3.区市场监督管理局组织专家进行预审，择优向市市场监督管理局推荐；
4.市市场监督管理局组织专家评审，公布立项名单。
## 五、申报截止时间
区级受理截止时间为2026年12月18日，逾期不予受理。
## 六、试点建设与验收
试点建设周期一般为2年。试点期满后，由市市场监督管理局组织验收，验收评分达到80分以上为合格。通过验收的，按照《关于支持先进制造业发展助力企业扩容提质增效的若干政策措施》给予一次性奖励10万元。
## 七、受理地点与咨询电话
受理地点：城阳区市场监督管理局标准化科（城阳区正阳路188号410室）。
咨询电话：0532-87651202。
受理时间：工作日上午9:00—12:00，下午13:30—17:00。
## 八、服务支持
区市场监督管理局对立项项目实行“一项目一专班”跟踪指导。申报单位可以到城阳区NQI一站式服务大厅预约标准体系建设免费辅导。
""",
))

DOCS.append(dict(
    path="guides/管理体系认证补贴申领指南.pdf",
    meta=dict(
        title="城阳区管理体系认证和产品认证补贴申领指南",
        issuer="青岛市城阳区市场监督管理局",
        issue_date="2026-11-09", effective_date="2026-11-09",
        status="现行", region="青岛市城阳区", programs=["认证", "先进制造业"],
        doc_type="申报指南"),
    text="""
# 城阳区管理体系认证和产品认证补贴申领指南
截至2023年底，全区获得管理体系认证证书1434张，其中质量管理体系认证证书29张。为鼓励企业开展认证，提升管理水平，根据《关于支持先进制造业发展助力企业扩容提质增效的若干政策措施》第七条，制定本指南。
## 一、补贴范围
1.管理体系认证：质量管理体系、环境管理体系、职业健康安全管理体系、能源管理体系、信息安全管理体系等认证。
2.国际产品认证：CE认证、UL认证等国际产品认证。
## 二、补贴标准
1.首次获得管理体系认证的，按照认证费用的50%给予补贴，每张证书最高2万元，同一企业每年最高6万元。
2.首次获得国际产品认证的，按照认证费用的50%给予补贴，每家企业每年最高5万元。
3.证书复评、监督审核、换证不属于首次获得，不予补贴。
## 三、申领条件
1.在城阳区依法登记注册，具有独立法人资格；
2.认证证书由经国家认证认可监督管理部门批准的认证机构颁发，且在有效期内；
3.证书颁发日期在申领年度的上一年度内；
4.近3年无重大质量安全事故，未被列入严重违法失信名单。
## 四、申领材料
1.认证补贴申请表；
2.营业执照复印件；
3.认证证书复印件；
4.认证合同及认证费用发票复印件；
5.企业信用承诺书。
## 五、申领流程
1.原则上每年3月1日至3月31日（2026年度为2026年11月16日至12月15日）登录“城阳区惠企政策兑现平台”在线申报；
2.报送纸质材料至区市场监督管理局认证认可与检验检测科；
3.区市场监督管理局会同区财政局审核，审核结果公示5个工作日；
4.公示无异议后拨付资金。
## 六、受理地点与咨询电话
受理地点：城阳区市场监督管理局认证认可与检验检测科（城阳区正阳路188号408室）。
咨询电话：0532-87651205。
认证证书真伪可以通过城阳区NQI一站式服务大厅认证检测窗口协助查询。
## 七、温馨提示
1.同一认证证书已享受市级或者其他区级补贴的，按照“就高不重复”原则执行。
2.企业应当选择经批准的认证机构，谨防无资质机构“买证卖证”。发现认证证书造假的，取消补贴资格，追回已拨付资金。
3.因“城阳区惠企政策兑现平台”升级改造，2026年度申报期调整为2026年11月16日至2026年12月15日，申报2025年度首次获得的认证证书，具体以区市场监督管理局集中申报通知为准。
""",
))

# --------------------------------------------------------------------------- parsing


def parse(text: str):
    """Yield (kind, payload) blocks: title/h1/h2/para/table."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    table: list[list[str]] = []
    for ln in lines + [""]:
        if ln.startswith("|"):
            table.append([c.strip() for c in ln.strip("|").split("|")])
            continue
        if table:
            yield "table", table
            table = []
        if not ln:
            continue
        if ln.startswith("### "):
            yield "h2", ln[4:]
        elif ln.startswith("## "):
            yield "h1", ln[3:]
        elif ln.startswith("# "):
            yield "title", ln[2:]
        else:
            yield "para", ln


# --------------------------------------------------------------------------- DOCX


def build_docx(doc: dict, out: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = Document()
    normal = d.styles["Normal"]
    normal.font.name = "SimSun"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    normal.font.size = Pt(12)
    cp = d.core_properties
    cp.title = doc["meta"]["title"]
    cp.author = doc["meta"]["issuer"]
    cp.comments = NOTE
    stamp = (_dt.datetime.fromisoformat(doc["meta"]["issue_date"]) if doc["meta"].get("issue_date")
             else FIXED_TIME)
    cp.created = stamp
    cp.modified = stamp
    cp.last_modified_by = "make_binary_docs.py"
    bold_mode = doc.get("heading_mode") == "bold"
    for kind, payload in parse(doc["text"]):
        if kind == "title":
            if bold_mode:
                p = d.add_paragraph()
                r = p.add_run(payload)
                r.bold = True
                r.font.size = Pt(18)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                d.add_heading(payload, level=0)
            if doc["meta"].get("doc_number"):
                p = d.add_paragraph(doc["meta"]["doc_number"])
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind in ("h1", "h2"):
            if bold_mode:
                p = d.add_paragraph()
                r = p.add_run(payload)
                r.bold = True
                r.font.size = Pt(14 if kind == "h1" else 12)
                if kind == "h1":
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                d.add_heading(payload, level=1 if kind == "h1" else 2)
        elif kind == "para":
            d.add_paragraph(payload)
        elif kind == "table":
            t = d.add_table(rows=len(payload), cols=len(payload[0]))
            t.style = "Table Grid"
            for i, row in enumerate(payload):
                for j, cell in enumerate(row):
                    t.cell(i, j).text = cell
                    if i == 0:
                        for r in t.cell(i, j).paragraphs[0].runs:
                            r.bold = True
    p = d.add_paragraph(f"（{NOTE}）")
    d.save(out)


# --------------------------------------------------------------------------- PDF


def build_pdf(doc: dict, out: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    st_title = ParagraphStyle("t", fontName=font, fontSize=17, leading=26, alignment=TA_CENTER, spaceAfter=8)
    st_sub = ParagraphStyle("s", fontName=font, fontSize=10.5, leading=16, alignment=TA_CENTER, spaceAfter=8)
    st_h1 = ParagraphStyle("h1", fontName=font, fontSize=13.5, leading=22, spaceBefore=8, spaceAfter=4)
    st_h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=20, spaceBefore=4, spaceAfter=2)
    st_p = ParagraphStyle("p", fontName=font, fontSize=11, leading=19, wordWrap="CJK", firstLineIndent=22)
    st_cell = ParagraphStyle("c", fontName=font, fontSize=10, leading=15, wordWrap="CJK")

    meta = doc["meta"]
    story = []
    for kind, payload in parse(doc["text"]):
        if kind == "title":
            story.append(Paragraph(payload, st_title))
            sub = meta.get("doc_number") or meta["issuer"]
            story.append(Paragraph(sub, st_sub))
        elif kind == "h1":
            story.append(Paragraph(payload, st_h1))
        elif kind == "h2":
            story.append(Paragraph(payload, st_h2))
        elif kind == "para":
            story.append(Paragraph(payload, st_p))
        elif kind == "table":
            data = [[Paragraph(c, st_cell) for c in row] for row in payload]
            t = Table(data, hAlign="LEFT")
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"（{NOTE}）", st_sub))
    pdf = SimpleDocTemplate(str(out), pagesize=A4, title=meta["title"], author=meta["issuer"],
                            subject=NOTE, creator="make_binary_docs.py",
                            leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm, bottomMargin=25 * mm)
    pdf.build(story)


# --------------------------------------------------------------------------- main

META_ORDER = ["title", "doc_number", "issuer", "issue_date", "effective_date", "expiry_date", "status",
              "replaced_by", "replaces", "region", "programs", "doc_type", "sample", "note"]


def write_meta(doc: dict, out: Path) -> None:
    meta = dict(doc["meta"], sample=True, note=NOTE)
    ordered = {k: meta[k] for k in META_ORDER if k in meta}
    side = out.with_name(out.stem + ".meta.yaml")
    side.write_text(yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, default_flow_style=None),
                    encoding="utf-8")


def main() -> None:
    # reportlab embeds a creation date and a random document id; make output reproducible
    from reportlab import rl_config
    rl_config.invariant = 1
    for doc in DOCS:
        out = CORPUS / doc["path"]
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".docx":
            build_docx(doc, out)
        elif out.suffix == ".pdf":
            build_pdf(doc, out)
        else:
            raise ValueError(out)
        write_meta(doc, out)
        print("wrote", out.relative_to(CORPUS))


if __name__ == "__main__":
    main()
