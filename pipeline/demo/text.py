"""Chinese names and text templates for the synthetic demo package (示例数据).

Everything here is invented: place names are generic, organisations carry the
prefix 示例, and no template contains a digit, a person's name or anything that
could pass for personal information (the data standard forbids it in free text).
"""

from __future__ import annotations

CITY = ("990100000000", "示例市")
COUNTIES = [
    # (code, name, child level, unit names, grandchild level)
    ("990102000000", "示例区", "street", ["东城街道", "西城街道", "南湖街道", "北苑街道"], "community"),
    ("990121000000", "示例县", "township",
     ["青山镇", "白水镇", "石桥镇", "柳溪镇", "梅岭镇", "金田镇", "松林镇", "清河镇"], "village"),
]

VILLAGE_NAMES = [
    "东岭村", "西坞村", "南塘村", "北溪村", "上坪村", "下湾村", "桃源村", "杏花村", "柳岸村", "石门村",
    "竹园村", "枫林村", "荷塘村", "松岗村", "梨园村", "桥头村", "新塘村", "前洋村", "后山村", "大坪村",
    "小溪村", "龙潭村", "凤岭村", "高田村", "长岭村", "马鞍村", "白石村", "黄泥村", "红岩村", "青龙村",
    "金竹村", "银杏村", "沙洲村", "清泉村", "茶园村", "溪口村", "山背村", "湖头村", "田心村", "岭下村",
]
COMMUNITY_NAMES = [
    "阳光社区", "和平社区", "幸福社区", "新华社区", "文化社区", "花园社区", "滨江社区", "锦绣社区",
    "翠苑社区", "春晖社区", "明珠社区", "康乐社区", "嘉禾社区", "丰泽社区", "长安社区", "永宁社区",
    "安康社区", "育才社区", "振兴社区", "东湖社区",
]

# City-level departments (code → name without the 示例市 prefix).
DEPARTMENTS = {
    "czj": "财政局", "dsj": "大数据发展管理局", "fgj": "发展和改革局", "gaj": "公安局",
    "jtj": "交通运输局", "jxj": "经济和信息化局", "jyj": "教育局", "mzj": "民政局",
    "nyncj": "农业农村局", "rsj": "人力资源和社会保障局", "scjgj": "市场监督管理局",
    "sfj": "司法局", "slj": "水利局", "sthjj": "生态环境局", "swj": "商务局",
    "wgj": "文化广电旅游体育局", "wjw": "卫生健康委员会", "xfj": "信访局",
    "ybj": "医疗保障局", "yjglj": "应急管理局", "zhzfj": "综合行政执法局",
    "zjj": "住房和城乡建设局", "zrzyj": "自然资源和规划局",
}

# Which departments lead an issue of each category.
CATEGORY_LEADS = {
    "enterprise": ["jxj", "swj", "scjgj", "fgj"],
    "land": ["zrzyj"],
    "housing": ["zjj"],
    "environment": ["sthjj", "zhzfj"],
    "infrastructure": ["jtj", "slj", "zjj"],
    "public_service": ["jyj", "wjw", "wgj", "dsj"],
    "social_security": ["rsj", "mzj", "ybj"],
    "safety": ["yjglj", "scjgj"],
    "dispute": ["sfj", "gaj"],
    "petition": ["xfj"],
    "village_affairs": ["nyncj", "mzj", "czj"],
    "other": ["zhzfj", "dsj", "swj"],
}

TITLE_TEMPLATES = {
    "enterprise": ["{place}企业反映用电增容审批较慢", "{place}小微企业办理经营许可遇到困难",
                   "{place}来料加工点希望协调厂房租赁", "{place}商户反映招工信息发布渠道少",
                   "{place}企业反映货车通行受限"],
    "land": ["{place}村民建房用地审批进度咨询", "{place}土地流转合同到期续签问题",
             "{place}临时用地复垦进度缓慢", "{place}农田旁堆放建筑材料占用耕地"],
    "housing": ["{place}老旧房屋墙体开裂存在隐患", "{place}危房改造补助申请咨询",
                "{place}小区物业管理服务不到位", "{place}住宅楼顶渗水需维修"],
    "environment": ["{place}河道漂浮垃圾需清理", "{place}养殖场气味影响周边居民", "{place}夜间施工噪声扰民",
                    "{place}垃圾中转点清运不及时", "{place}餐饮店油烟扰民"],
    "infrastructure": ["{place}道路路面破损需修复", "{place}路灯损坏夜间出行不便", "{place}排水沟堵塞雨天积水",
                       "{place}桥梁护栏缺失存在隐患", "{place}自来水水压不足", "{place}公交站台缺少遮雨棚"],
    "public_service": ["{place}幼儿园入园名额咨询", "{place}卫生室开放时间需延长", "{place}文化礼堂活动场地不足",
                       "{place}老年食堂就餐点位少", "{place}网络信号弱影响办事"],
    "social_security": ["{place}养老保险缴费方式咨询", "{place}低保申请材料咨询", "{place}医保异地报销手续咨询",
                        "{place}残疾人补贴发放进度咨询", "{place}灵活就业人员参保咨询"],
    "safety": ["{place}老旧电线私拉乱接存在火灾隐患", "{place}山塘水库安全警示牌缺失",
               "{place}出租房消防通道堵塞", "{place}燃气瓶存放不规范", "{place}路口视线遮挡易发事故"],
    "dispute": ["{place}邻里宅基地界址纠纷", "{place}土地承包款分配纠纷", "{place}工程款结算纠纷调解",
                "{place}山林权属争议调处", "{place}排水走向引发邻里矛盾"],
    "petition": ["{place}征地补偿标准信访事项", "{place}历史遗留安置问题信访",
                 "{place}拆迁安置房交付问题反映", "{place}重复信访事项化解"],
    "village_affairs": ["{place}村务公开栏内容更新不及时", "{place}集体经济收益分配咨询",
                        "{place}村级项目招投标过程公开", "{place}村规民约修订征求意见",
                        "{place}村集体资产租赁情况公开"],
    "other": ["{place}流浪犬只影响出行", "{place}公共场所座椅损坏", "{place}快递网点设置建议",
              "{place}农产品销售渠道建议"],
}

ACTIONS = {
    "enterprise": "协调供电、审批等环节，帮助企业办结相关手续",
    "land": "核实用地情况，按程序完成审批或复垦",
    "housing": "组织安全排查并落实维修，督促物业整改",
    "environment": "开展现场执法检查，督促整改并安排清理",
    "infrastructure": "安排施工队伍完成维修，恢复正常使用",
    "public_service": "调整服务安排，补充设施和服务点位",
    "social_security": "一次性告知办理材料，协助完成申请",
    "safety": "排除安全隐患，补设警示标志并落实日常巡查",
    "dispute": "组织双方调解，达成一致意见并签订协议",
    "petition": "依法依规答复诉求，落实化解措施",
    "village_affairs": "督促村级组织规范公开，完善议事程序",
    "other": "协调相关单位处置，落实长效管理",
}
SUMMARY_TEMPLATE = "{lead}牵头{co}现场核实，{action}，已向群众反馈办理结果。"

INSPECTION_NOTES = {
    "confirmed": ["现场查看，问题已解决，群众认可。", "回访核实，整改到位，设施运行正常。", "问题已办结，现场情况与台账一致。"],
    "partly": ["主体问题已处理，尚有收尾工作未完成。", "已采取临时措施，长效整改仍在推进。"],
    "not_resolved": ["现场核查发现问题仍然存在，已反馈承办单位。", "群众反映问题未得到实质解决，建议重新交办。"],
}

EVALUATORS = ["示例市社会调查中心", "示例民意调查研究所", "示例大学公共治理评估中心"]
SURVEYORS = ["示例市社会调查中心", "示例民意调查研究所"]
OFFICER_PREFIX = "TYG"

# Devolution batches: (list name, effective date, decision reference).
BATCHES = [
    ("首批赋权事项清单", "2025-03-01", "示政发〔2025〕3号"),
    ("第二批赋权事项清单", "2025-09-01", "示政发〔2025〕17号"),
    ("第三批赋权事项清单", "2026-05-01", "示政发〔2026〕8号"),
]

LEGAL_BASIS = {
    "zrzyj": "《中华人民共和国土地管理法》《中华人民共和国城乡规划法》",
    "jtj": "《中华人民共和国公路法》《公路安全保护条例》",
    "sthjj": "《中华人民共和国大气污染防治法》《中华人民共和国水污染防治法》",
    "zjj": "《建设工程质量管理条例》《城镇燃气管理条例》",
    "nyncj": "《中华人民共和国农产品质量安全法》《中华人民共和国动物防疫法》",
    "slj": "《中华人民共和国水法》《中华人民共和国河道管理条例》",
    "scjgj": "《中华人民共和国食品安全法》《无证无照经营查处办法》",
    "yjglj": "《中华人民共和国安全生产法》《烟花爆竹安全管理条例》",
    "wjw": "《公共场所卫生管理条例》《中华人民共和国基本医疗卫生与健康促进法》",
    "zhzfj": "《城市市容和环境卫生管理条例》《示例省城市管理综合执法条例》",
    "mzj": "《社会救助暂行办法》《殡葬管理条例》",
    "wgj": "《中华人民共和国文物保护法》《营业性演出管理条例》",
}
LEGAL_BASIS_SUFFIX = "；《中华人民共和国行政处罚法》第二十四条；《示例省赋权乡镇（街道）事项目录》"

# Devolved items per department: (name, power type).
ITEMS = {
    "zrzyj": [("乡村建设规划许可证核发", "licensing"), ("对未经批准非法占用土地建住宅的行政处罚", "penalty"),
              ("对违反乡村建设规划许可进行建设的行政处罚", "penalty"), ("对农村宅基地使用情况的监督检查", "inspection"),
              ("对破坏耕地种植条件行为的行政处罚", "penalty"), ("对擅自改变林地用途的行政处罚", "penalty"),
              ("临时用地审批初审", "other_power"), ("对非法占地新建建筑物的查封", "coercion"),
              ("不动产登记申请受理", "public_service"), ("农村村民宅基地资格确认", "confirmation")],
    "jtj": [("对擅自占用挖掘农村公路的行政处罚", "penalty"), ("农村公路路政巡查", "inspection"),
            ("对超限运输车辆的行政处罚", "penalty"), ("对未经许可从事道路客运经营的行政处罚", "penalty"),
            ("农村公路养护情况检查", "inspection"), ("对在公路用地范围内设置障碍物的强制清除", "coercion"),
            ("涉路施工许可初审", "licensing"), ("对在公路建筑控制区内修建建筑物的行政处罚", "penalty"),
            ("农村客运招呼站设置备案", "other_power"), ("对违法停放车辆的拖移", "coercion")],
    "sthjj": [("对露天焚烧秸秆行为的行政处罚", "penalty"), ("对餐饮油烟超标排放的行政处罚", "penalty"),
              ("对畜禽养殖场污染防治的行政检查", "inspection"), ("对建筑施工扬尘污染的行政处罚", "penalty"),
              ("对社会生活噪声污染的行政处罚", "penalty"), ("对违法排放污染物设施的查封扣押", "coercion"),
              ("环境违法行为举报奖励", "reward"), ("建设项目环境影响登记表备案", "other_power"),
              ("对小型企业排污情况的行政检查", "inspection"), ("对乱倒建筑垃圾行为的行政处罚", "penalty")],
    "zjj": [("农村住房建设质量安全检查", "inspection"), ("对未取得施工许可擅自施工的行政处罚", "penalty"),
            ("限额以下小型工程施工许可", "licensing"), ("对违反燃气管理规定行为的行政处罚", "penalty"),
            ("城镇燃气经营安全检查", "inspection"), ("物业服务企业考核评价", "other_power"),
            ("农村危房改造补助发放", "payment"), ("对擅自拆改房屋承重结构的行政处罚", "penalty"),
            ("公共租赁住房资格初审", "confirmation"), ("对出租房屋安全状况的行政检查", "inspection")],
    "nyncj": [("对违法使用禁用农药的行政处罚", "penalty"), ("农作物种子经营行政检查", "inspection"),
              ("动物防疫条件检查", "inspection"), ("耕地地力保护补贴发放", "payment"),
              ("土地承包经营权争议调处", "ruling"), ("对违规收购贩运畜禽的行政处罚", "penalty"),
              ("家庭农场认定", "confirmation"), ("对电鱼炸鱼毒鱼行为的行政处罚", "penalty"),
              ("农业机械安全检查", "inspection"), ("对拒不履行强制免疫义务的代为处理", "coercion")],
    "slj": [("对河道管理范围内违法建设的行政处罚", "penalty"), ("河道采砂许可初审", "licensing"),
            ("对水库保护范围内违法活动的行政处罚", "penalty"), ("取水许可监督检查", "inspection"),
            ("农村饮水工程运行检查", "inspection"), ("水资源费征收", "levy"),
            ("对违法围垦河道的强制拆除", "coercion"), ("水事纠纷裁决", "ruling"),
            ("对擅自填堵水域的行政处罚", "penalty"), ("小型水库安全巡查", "inspection")],
    "scjgj": [("个体工商户登记", "licensing"), ("食品小作坊登记", "licensing"),
              ("对无照经营行为的行政处罚", "penalty"), ("对食品摊贩违法行为的行政处罚", "penalty"),
              ("农贸市场食品安全检查", "inspection"), ("对销售过期食品的行政处罚", "penalty"),
              ("特种设备使用安全检查", "inspection"), ("对计量器具作弊的行政处罚", "penalty"),
              ("对违法发布广告的行政处罚", "penalty"), ("对不符合安全标准食品的扣押", "coercion")],
    "yjglj": [("对小微企业安全生产的行政检查", "inspection"), ("对未按规定开展隐患排查的行政处罚", "penalty"),
              ("烟花爆竹零售经营许可", "licensing"), ("对违规储存烟花爆竹的行政处罚", "penalty"),
              ("自然灾害救助款物发放", "payment"), ("对存在重大隐患场所的停产停业整顿", "coercion"),
              ("安全生产举报奖励", "reward"), ("消防安全检查", "inspection"),
              ("对未配备安全管理人员的行政处罚", "penalty"), ("应急避难场所检查", "inspection")],
    "wjw": [("对公共场所卫生的行政检查", "inspection"), ("对无证行医行为的行政处罚", "penalty"),
            ("公共场所卫生许可", "licensing"), ("生育登记服务", "public_service"),
            ("对生活饮用水卫生的行政检查", "inspection"), ("计划生育家庭特别扶助金发放", "payment"),
            ("对违反控烟规定行为的行政处罚", "penalty"), ("出生医学证明补发受理", "public_service"),
            ("独生子女父母光荣证办理", "confirmation"), ("对医疗废物处置不当的行政处罚", "penalty")],
    "zhzfj": [("对占道经营行为的行政处罚", "penalty"), ("对违法设置户外广告的行政处罚", "penalty"),
              ("对乱张贴乱涂画行为的行政处罚", "penalty"), ("对违法建筑的强制拆除", "coercion"),
              ("市容环境卫生检查", "inspection"), ("对随意倾倒生活垃圾的行政处罚", "penalty"),
              ("城市道路挖掘审批", "licensing"), ("对擅自砍伐城市树木的行政处罚", "penalty"),
              ("户外广告设置许可", "licensing"), ("生活垃圾处理费征收", "levy")],
    "mzj": [("最低生活保障申请受理", "payment"), ("特困人员供养资格认定", "confirmation"),
            ("临时救助", "payment"), ("困难残疾人生活补贴发放", "payment"), ("高龄津贴发放", "payment"),
            ("对违规建造墓穴的行政处罚", "penalty"), ("社会组织成立登记初审", "licensing"),
            ("居民委员会选举指导", "other_power"), ("养老机构安全检查", "inspection"),
            ("孝老爱亲模范表彰", "reward")],
    "wgj": [("对擅自从事营业性演出的行政处罚", "penalty"), ("网吧经营场所检查", "inspection"),
            ("农家书屋运行检查", "inspection"), ("文物保护单位日常巡查", "inspection"),
            ("对娱乐场所违规经营的行政处罚", "penalty"), ("旅游民宿等级评定", "confirmation"),
            ("体育健身设施开放检查", "inspection"), ("乡村文化活动补助发放", "payment"),
            ("对损毁文物行为的行政处罚", "penalty"), ("公共文化设施免费开放服务", "public_service")],
}


def item_prefix(department: str) -> str:
    """FQ-ZRZY-001 style prefix: the code upper-cased, a trailing 局 'j' dropped."""
    code = department[:-1] if department.endswith("j") and len(department) > 3 else department
    return code.upper()

# Published claims: (region key or the source's own place name, subject, metric, unit,
# period key, source title, quote with {value}). Region keys are resolved in demo.py.
CLAIMS = [
    ("city", "通过下沉机制解决的问题", "issues_resolved", "个", "year", "示例市基层治理改革年度综述（示例）",
     "示例市通过市会镇开、镇会村开等机制，全年帮助基层解决问题{value}个。"),
    ("county", "召开下沉会议", "meetings_held", "次", "year", "示例县下沉会议常态化开展（示例）",
     "示例县全年召开各类下沉会议{value}次。"),
    ("district", "夜访及会议接待群众", "persons_received", "人次", "year", "示例区夜访温度暖民心（示例）",
     "示例区全年夜访和下沉会议累计接待群众{value}人次。"),
    ("city", "问题按期办结率", "on_time_rate", "%", "half", "示例市问题办理提速增效（示例）",
     "上半年示例市问题按期办结率达到{value}%。"),
    ("county", "收集群众诉求", "issues_raised", "个", "half", "示例县畅通群众诉求渠道（示例）",
     "上半年示例县共收集群众诉求{value}个。"),
    ("city", "下放乡镇（街道）赋权事项", "items_devolved", "项", None, "示例市赋权乡镇改革观察（示例）",
     "示例市已分批向乡镇（街道）下放赋权事项{value}项。"),
    ("county", "第三方回访满意率", "satisfaction_rate", "%", None, "示例县群众满意度持续提升（示例）",
     "第三方回访显示，示例县群众满意率达{value}%。"),
    ("示例市部分乡镇", "群众满意度", "survey_satisfaction_rate", None, None, "示例市部分乡镇治理见闻（示例）",
     "示例市部分乡镇群众满意度明显提升，基层治理效能持续增强。"),
    # 基层减负: the county's own cuts, agreeing; the district's 2025 cuts, overstated; the city's load against the year before.
    ("county", "累计为基层减负", "burden_cuts_count", "项", None, "示例县持续为基层减负（示例）",
     "示例县坚持“无必要、不需报”，累计为基层减负{value}项。"),
    ("district", "为基层减负", "burden_cuts_count", "项", "year", "示例区整治形式主义为基层减负（示例）",
     "示例区全年精简证明、报表、政务APP和工作群等，为基层减负{value}项。"),
    ("city", "乡镇（街道）收到文件、参加会议、填报报表合计同比变化", "burden_change_rate", "%", None,
     "示例市发文开会动态监测通报（示例）", "全市乡镇（街道）近一年收到的文件、参加的会议和填报的报表合计同比{value}%，基层负担明显减轻。"),
]
