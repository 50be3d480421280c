//! Address text normalisation, so that the parser and the gazetteer compare like with like.
//!
//! Officers type addresses with full-width digits, spaces, traditional characters (from Hong
//! Kong or Taiwan input methods, or old documents) and Chinese numerals. [`normalize`] folds all
//! of that into one canonical form: half-width, simplified, no whitespace or punctuation, ASCII
//! letters upper-cased, and Chinese numerals turned into digits where they number an address
//! part.

/// Normalises an address text.
///
/// Rules, in order:
/// - full-width ASCII (`６８３`, `Ａ`, `（`) and the ideographic space become half-width;
/// - traditional characters common in addresses become simplified (a table of a few hundred
///   pairs, not a general converter);
/// - ASCII letters are upper-cased;
/// - whitespace, punctuation and symbols (emoji included) are dropped: only letters and digits
///   of any script survive, except a hyphen between two ASCII digits (`12-3`, also written with
///   `－`, `–` or `—`). That hyphen is kept so that a sub-number never fuses into a different
///   number (`12-3号` must not read as `123号`); the parser decides what it means;
/// - a run of Chinese numerals becomes digits only when it is immediately followed by a marker
///   of a numbered part (号, 弄, 支弄, 室, 幢, 栋, 座, 单元, 层, 楼, and so 号楼): `六百八十三号`
///   → `683号`, `六八三号` → `683号` (digit by digit when there is no 十/百/千), `二十弄` →
///   `20弄`. Numerals elsewhere belong to names and stay: `四川北路`, `中山北一路`, `九江路`,
///   `七宝镇`, `十六铺`.
///
/// Whitespace removal can fuse two digit groups (`683 5号` → `6835号`); addresses are not
/// written that way, so the simpler rule wins.
pub fn normalize(input: &str) -> String {
    let kept: Vec<char> = input
        .chars()
        .map(fold_char)
        .filter(|c| c.is_alphanumeric() || *c == '-')
        .collect();
    convert_numerals(&drop_loose_hyphens(&kept))
}

/// Folds one character: full-width to half-width, dashes to `-`, traditional to simplified,
/// ASCII upper case.
fn fold_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => c,
    };
    simplify(c).to_ascii_uppercase()
}

/// The simplified form of a traditional character, or the character itself.
fn simplify(c: char) -> char {
    TRAD_SIMP
        .binary_search_by_key(&c, |&(t, _)| t)
        .map_or(c, |i| TRAD_SIMP[i].1)
}

/// Keeps a hyphen only between two ASCII digits (and only one of a run of hyphens).
fn drop_loose_hyphens(chars: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let keep = c != '-'
            || (out.last().is_some_and(char::is_ascii_digit)
                && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if keep {
            out.push(c);
        }
    }
    out
}

/// Markers that follow the number of an address part; a Chinese numeral run is converted only
/// before one of these.
const PART_MARKERS: &[&str] = &[
    "号", "弄", "支弄", "室", "幢", "栋", "座", "单元", "层", "楼",
];

/// Replaces Chinese numeral runs that number an address part by ASCII digits.
fn convert_numerals(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 3);
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| is_numeral(**c)).count();
        if run == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let (numerals, after) = chars[i..].split_at(run);
        match numeral_digits(numerals).filter(|_| starts_with_marker(after)) {
            Some(digits) => out.push_str(&digits),
            None => out.extend(numerals),
        }
        i += run;
    }
    out
}

fn starts_with_marker(chars: &[char]) -> bool {
    PART_MARKERS
        .iter()
        .any(|m| chars.iter().take(m.chars().count()).copied().eq(m.chars()))
}

fn is_numeral(c: char) -> bool {
    digit_value(c).is_some() || unit_value(c).is_some()
}

fn digit_value(c: char) -> Option<u32> {
    let v = match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    };
    Some(v)
}

fn unit_value(c: char) -> Option<u32> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// The digits a numeral run stands for: positional when it has a unit (六百八十三 = 683),
/// digit by digit otherwise (六八三 = 683). `None` for malformed runs (十十, 六八十).
fn numeral_digits(run: &[char]) -> Option<String> {
    if run.iter().any(|c| unit_value(*c).is_some()) {
        positional(run).map(|n| n.to_string())
    } else {
        run.iter()
            .map(|c| digit_value(*c).and_then(|d| char::from_digit(d, 10)))
            .collect()
    }
}

/// Reads a positional numeral below 10 000. Units must decrease (千 > 百 > 十); a leading 十
/// means 10; a trailing digit right after a unit is the colloquial abbreviation (一百五 = 150).
fn positional(run: &[char]) -> Option<u32> {
    let (mut total, mut pending, mut last_unit, mut zero) = (0u32, None::<u32>, 10_000u32, false);
    for &c in run {
        if let Some(unit) = unit_value(c) {
            if unit >= last_unit {
                return None;
            }
            total += pending.take().unwrap_or(1) * unit;
            (last_unit, zero) = (unit, false);
        } else if let Some(d) = digit_value(c) {
            if pending.is_some() {
                return None;
            }
            if d == 0 {
                zero = true;
            } else {
                pending = Some(d);
            }
        }
    }
    let tail = match pending {
        Some(d) if !zero && last_unit >= 100 => d * last_unit / 10,
        Some(d) => d,
        None => 0,
    };
    Some(total + tail)
}

/// Traditional → simplified pairs for characters that occur in Shanghai addresses, place and
/// POI names, sorted by the traditional character for binary search. Characters whose
/// traditional form is also a common simplified character (乾, 著, 徵, 隻) are left out on
/// purpose: converting them would corrupt simplified names.
#[rustfmt::skip]
pub(crate) const TRAD_SIMP: &[(char, char)] = &[
    ('來', '来'), ('價', '价'), ('儀', '仪'), ('億', '亿'), ('優', '优'), ('儲', '储'), ('兒', '儿'), ('內', '内'),
    ('兩', '两'), ('冊', '册'), ('別', '别'), ('劃', '划'), ('劇', '剧'), ('劉', '刘'), ('劍', '剑'), ('勝', '胜'),
    ('勞', '劳'), ('勢', '势'), ('勵', '励'), ('匯', '汇'), ('區', '区'), ('協', '协'), ('參', '参'), ('叢', '丛'),
    ('吳', '吴'), ('喬', '乔'), ('單', '单'), ('嚴', '严'), ('國', '国'), ('圍', '围'), ('園', '园'), ('圓', '圆'),
    ('圖', '图'), ('團', '团'), ('場', '场'), ('塊', '块'), ('塢', '坞'), ('塵', '尘'), ('壓', '压'), ('壩', '坝'),
    ('壯', '壮'), ('壽', '寿'), ('夢', '梦'), ('奮', '奋'), ('婦', '妇'), ('孫', '孙'), ('學', '学'), ('實', '实'),
    ('寧', '宁'), ('審', '审'), ('寫', '写'), ('寬', '宽'), ('寶', '宝'), ('將', '将'), ('專', '专'), ('尋', '寻'),
    ('對', '对'), ('導', '导'), ('屆', '届'), ('層', '层'), ('屬', '属'), ('峯', '峰'), ('島', '岛'), ('峽', '峡'),
    ('崑', '昆'), ('崗', '岗'), ('嶄', '崭'), ('嶺', '岭'), ('嶼', '屿'), ('巖', '岩'), ('帶', '带'), ('幣', '币'),
    ('幫', '帮'), ('廈', '厦'), ('廚', '厨'), ('廟', '庙'), ('廠', '厂'), ('廢', '废'), ('廣', '广'), ('廬', '庐'),
    ('廳', '厅'), ('張', '张'), ('強', '强'), ('彌', '弥'), ('彎', '弯'), ('彙', '汇'), ('後', '后'), ('徑', '径'),
    ('從', '从'), ('復', '复'), ('愛', '爱'), ('態', '态'), ('慶', '庆'), ('憲', '宪'), ('應', '应'), ('懷', '怀'),
    ('戰', '战'), ('戲', '戏'), ('戶', '户'), ('揚', '扬'), ('換', '换'), ('撫', '抚'), ('擁', '拥'), ('擇', '择'),
    ('擊', '击'), ('據', '据'), ('擴', '扩'), ('攜', '携'), ('攝', '摄'), ('數', '数'), ('斷', '断'), ('於', '于'),
    ('時', '时'), ('晉', '晋'), ('暉', '晖'), ('暢', '畅'), ('曉', '晓'), ('書', '书'), ('會', '会'), ('東', '东'),
    ('條', '条'), ('棟', '栋'), ('棧', '栈'), ('楊', '杨'), ('業', '业'), ('極', '极'), ('榮', '荣'), ('構', '构'),
    ('樂', '乐'), ('樓', '楼'), ('標', '标'), ('樞', '枢'), ('樣', '样'), ('樹', '树'), ('橋', '桥'), ('機', '机'),
    ('橫', '横'), ('檢', '检'), ('櫃', '柜'), ('櫻', '樱'), ('權', '权'), ('歐', '欧'), ('歡', '欢'), ('歲', '岁'),
    ('歷', '历'), ('歸', '归'), ('氣', '气'), ('決', '决'), ('沒', '没'), ('沖', '冲'), ('況', '况'), ('涇', '泾'),
    ('涼', '凉'), ('淨', '净'), ('淵', '渊'), ('淺', '浅'), ('測', '测'), ('湧', '涌'), ('湯', '汤'), ('溝', '沟'),
    ('溫', '温'), ('滄', '沧'), ('滙', '汇'), ('滬', '沪'), ('滲', '渗'), ('滸', '浒'), ('滾', '滚'), ('滿', '满'),
    ('漁', '渔'), ('漢', '汉'), ('漲', '涨'), ('漸', '渐'), ('潔', '洁'), ('潛', '潜'), ('潤', '润'), ('澆', '浇'),
    ('澗', '涧'), ('澤', '泽'), ('濃', '浓'), ('濟', '济'), ('濤', '涛'), ('濰', '潍'), ('濱', '滨'), ('濾', '滤'),
    ('瀋', '沈'), ('瀏', '浏'), ('瀝', '沥'), ('瀾', '澜'), ('灃', '沣'), ('灑', '洒'), ('灘', '滩'), ('灣', '湾'),
    ('災', '灾'), ('為', '为'), ('烏', '乌'), ('無', '无'), ('煙', '烟'), ('熱', '热'), ('燈', '灯'), ('營', '营'),
    ('爐', '炉'), ('爭', '争'), ('牆', '墙'), ('狀', '状'), ('獅', '狮'), ('獎', '奖'), ('獨', '独'), ('獲', '获'),
    ('現', '现'), ('瑪', '玛'), ('環', '环'), ('瓊', '琼'), ('產', '产'), ('畝', '亩'), ('畫', '画'), ('異', '异'),
    ('當', '当'), ('疊', '叠'), ('療', '疗'), ('發', '发'), ('盞', '盏'), ('監', '监'), ('盤', '盘'), ('盧', '卢'),
    ('眾', '众'), ('碩', '硕'), ('確', '确'), ('碼', '码'), ('磚', '砖'), ('礦', '矿'), ('禪', '禅'), ('禮', '礼'),
    ('稅', '税'), ('種', '种'), ('稱', '称'), ('穀', '谷'), ('積', '积'), ('穩', '稳'), ('窮', '穷'), ('窯', '窑'),
    ('競', '竞'), ('筆', '笔'), ('節', '节'), ('範', '范'), ('築', '筑'), ('簡', '简'), ('簽', '签'), ('籃', '篮'),
    ('粵', '粤'), ('糧', '粮'), ('紀', '纪'), ('約', '约'), ('紅', '红'), ('紐', '纽'), ('純', '纯'), ('紙', '纸'),
    ('級', '级'), ('紡', '纺'), ('細', '细'), ('組', '组'), ('結', '结'), ('絕', '绝'), ('絡', '络'), ('統', '统'),
    ('絲', '丝'), ('經', '经'), ('綜', '综'), ('綠', '绿'), ('維', '维'), ('網', '网'), ('綿', '绵'), ('緊', '紧'),
    ('線', '线'), ('緣', '缘'), ('編', '编'), ('練', '练'), ('縣', '县'), ('縫', '缝'), ('總', '总'), ('織', '织'),
    ('繡', '绣'), ('繼', '继'), ('續', '续'), ('纖', '纤'), ('纜', '缆'), ('羅', '罗'), ('義', '义'), ('習', '习'),
    ('聖', '圣'), ('聞', '闻'), ('聯', '联'), ('聰', '聪'), ('聲', '声'), ('聶', '聂'), ('職', '职'), ('肅', '肃'),
    ('腦', '脑'), ('臨', '临'), ('臺', '台'), ('與', '与'), ('興', '兴'), ('舉', '举'), ('舊', '旧'), ('艙', '舱'),
    ('艦', '舰'), ('莊', '庄'), ('華', '华'), ('萬', '万'), ('葉', '叶'), ('蒼', '苍'), ('蓮', '莲'), ('蔣', '蒋'),
    ('蔭', '荫'), ('蕩', '荡'), ('蕭', '萧'), ('薈', '荟'), ('藍', '蓝'), ('藝', '艺'), ('藥', '药'), ('蘆', '芦'),
    ('蘇', '苏'), ('蘋', '苹'), ('蘭', '兰'), ('處', '处'), ('虛', '虚'), ('號', '号'), ('蟲', '虫'), ('衆', '众'),
    ('術', '术'), ('衛', '卫'), ('衝', '冲'), ('裏', '里'), ('補', '补'), ('裝', '装'), ('裡', '里'), ('製', '制'),
    ('複', '复'), ('見', '见'), ('規', '规'), ('視', '视'), ('親', '亲'), ('覽', '览'), ('觀', '观'), ('訓', '训'),
    ('記', '记'), ('訪', '访'), ('設', '设'), ('許', '许'), ('診', '诊'), ('詢', '询'), ('試', '试'), ('詩', '诗'),
    ('話', '话'), ('該', '该'), ('誌', '志'), ('認', '认'), ('語', '语'), ('誠', '诚'), ('說', '说'), ('課', '课'),
    ('調', '调'), ('談', '谈'), ('請', '请'), ('論', '论'), ('諾', '诺'), ('講', '讲'), ('謝', '谢'), ('證', '证'),
    ('識', '识'), ('譜', '谱'), ('譯', '译'), ('議', '议'), ('護', '护'), ('讀', '读'), ('變', '变'), ('豎', '竖'),
    ('豐', '丰'), ('貓', '猫'), ('貝', '贝'), ('負', '负'), ('財', '财'), ('貢', '贡'), ('貨', '货'), ('貫', '贯'),
    ('責', '责'), ('貴', '贵'), ('買', '买'), ('費', '费'), ('貿', '贸'), ('賀', '贺'), ('賃', '赁'), ('資', '资'),
    ('賓', '宾'), ('賢', '贤'), ('賣', '卖'), ('質', '质'), ('賴', '赖'), ('購', '购'), ('賽', '赛'), ('贊', '赞'),
    ('贏', '赢'), ('趕', '赶'), ('趙', '赵'), ('跡', '迹'), ('蹤', '踪'), ('躍', '跃'), ('車', '车'), ('軌', '轨'),
    ('軍', '军'), ('軒', '轩'), ('軟', '软'), ('載', '载'), ('輕', '轻'), ('輝', '辉'), ('輪', '轮'), ('輸', '输'),
    ('轄', '辖'), ('轉', '转'), ('辦', '办'), ('辭', '辞'), ('農', '农'), ('這', '这'), ('連', '连'), ('進', '进'),
    ('運', '运'), ('過', '过'), ('達', '达'), ('遙', '遥'), ('遞', '递'), ('遠', '远'), ('適', '适'), ('遷', '迁'),
    ('選', '选'), ('遺', '遗'), ('還', '还'), ('邊', '边'), ('郵', '邮'), ('鄉', '乡'), ('鄒', '邹'), ('鄧', '邓'),
    ('鄭', '郑'), ('鄰', '邻'), ('醫', '医'), ('醬', '酱'), ('釋', '释'), ('釘', '钉'), ('針', '针'), ('釣', '钓'),
    ('鈞', '钧'), ('鈴', '铃'), ('鉛', '铅'), ('銀', '银'), ('銅', '铜'), ('銘', '铭'), ('鋒', '锋'), ('鋪', '铺'),
    ('鋼', '钢'), ('錄', '录'), ('錢', '钱'), ('錦', '锦'), ('錫', '锡'), ('錯', '错'), ('鍋', '锅'), ('鍛', '锻'),
    ('鍵', '键'), ('鎖', '锁'), ('鎭', '镇'), ('鎮', '镇'), ('鏈', '链'), ('鏡', '镜'), ('鐘', '钟'), ('鐵', '铁'),
    ('長', '长'), ('門', '门'), ('閃', '闪'), ('開', '开'), ('閑', '闲'), ('間', '间'), ('閔', '闵'), ('閘', '闸'),
    ('閣', '阁'), ('閩', '闽'), ('閱', '阅'), ('閻', '阎'), ('闊', '阔'), ('關', '关'), ('陝', '陕'), ('陣', '阵'),
    ('陰', '阴'), ('陳', '陈'), ('陸', '陆'), ('陽', '阳'), ('隊', '队'), ('階', '阶'), ('際', '际'), ('隨', '随'),
    ('險', '险'), ('隱', '隐'), ('隸', '隶'), ('雖', '虽'), ('雙', '双'), ('雜', '杂'), ('雞', '鸡'), ('離', '离'),
    ('難', '难'), ('雲', '云'), ('電', '电'), ('霧', '雾'), ('靈', '灵'), ('靜', '静'), ('韓', '韩'), ('韻', '韵'),
    ('響', '响'), ('頁', '页'), ('頂', '顶'), ('項', '项'), ('順', '顺'), ('頌', '颂'), ('預', '预'), ('領', '领'),
    ('頤', '颐'), ('頭', '头'), ('頻', '频'), ('題', '题'), ('額', '额'), ('顏', '颜'), ('類', '类'), ('顧', '顾'),
    ('顯', '显'), ('風', '风'), ('飄', '飘'), ('飛', '飞'), ('飯', '饭'), ('飲', '饮'), ('餅', '饼'), ('養', '养'),
    ('餘', '余'), ('館', '馆'), ('馬', '马'), ('馮', '冯'), ('駐', '驻'), ('駕', '驾'), ('騰', '腾'), ('驅', '驱'),
    ('驗', '验'), ('驚', '惊'), ('驛', '驿'), ('體', '体'), ('鬧', '闹'), ('魚', '鱼'), ('魯', '鲁'), ('鮮', '鲜'),
    ('鳳', '凤'), ('鳴', '鸣'), ('鴨', '鸭'), ('鴻', '鸿'), ('鵝', '鹅'), ('鵬', '鹏'), ('鶴', '鹤'), ('鷹', '鹰'),
    ('鹽', '盐'), ('麗', '丽'), ('麥', '麦'), ('黃', '黄'), ('點', '点'), ('黨', '党'), ('齊', '齐'), ('齡', '龄'),
    ('龍', '龙'), ('龐', '庞'), ('龜', '龟'),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_not_chained() {
        assert!(TRAD_SIMP.windows(2).all(|w| w[0].0 < w[1].0));
        for &(t, s) in TRAD_SIMP {
            assert_ne!(t, s);
            assert_eq!(simplify(s), s, "{t}→{s} would chain");
        }
        assert!(TRAD_SIMP.len() > 300);
    }

    #[test]
    fn cases() {
        let cases = [
            ("", ""),
            ("，。！？", ""),
            ("上海 徐汇区 小木桥路 683 号", "上海徐汇区小木桥路683号"),
            ("上海\u{3000}徐汇区\t小木桥路", "上海徐汇区小木桥路"),
            ("６８３号", "683号"),
            ("ａｂｃ１２３（徐汇）", "ABC123徐汇"),
            ("abc", "ABC"),
            ("上海市徐匯區龍華東路", "上海市徐汇区龙华东路"),
            ("滬閔公路", "沪闵公路"),
            ("六百八十三号", "683号"),
            ("六八三号", "683号"),
            ("六八三號", "683号"),
            ("二十弄", "20弄"),
            ("十一号楼", "11号楼"),
            ("一百零五号", "105号"),
            ("一〇五号", "105号"),
            ("一千二百号", "1200号"),
            ("一千零一十号", "1010号"),
            ("一百五号", "150号"),
            ("两百号", "200号"),
            ("零号", "0号"),
            ("三支弄", "3支弄"),
            ("二单元", "2单元"),
            ("五〇二室", "502室"),
            ("三幢", "3幢"),
            ("七栋", "7栋"),
            ("五层", "5层"),
            ("十十号", "十十号"),
            ("六八十号", "六八十号"),
            ("四川北路", "四川北路"),
            ("中山北一路一二〇〇号", "中山北一路1200号"),
            ("九江路", "九江路"),
            ("三林镇", "三林镇"),
            ("七宝镇", "七宝镇"),
            ("十六铺", "十六铺"),
            ("小木桥路二五一弄三号", "小木桥路251弄3号"),
            ("12-3号", "12-3号"),
            ("12－3号", "12-3号"),
            ("12 - 3号", "12-3号"),
            ("12--3号", "12-3号"),
            ("徐汇区-小木桥路", "徐汇区小木桥路"),
            ("-12-", "12"),
            ("小木桥路·683号【近斜土路】", "小木桥路683号近斜土路"),
            ("😀小木桥路\u{200B}683号\u{0}", "小木桥路683号"),
            (
                "中国（上海）自由贸易试验区（保税片区）",
                "中国上海自由贸易试验区保税片区",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        let binary: String = (0u32..2000)
            .filter_map(|i| char::from_u32(i * 37 % 0x11_0000))
            .collect();
        let _ = normalize(&binary);
        assert_eq!(normalize(&"十".repeat(5000)), "十".repeat(5000));
        assert_eq!(
            normalize(&format!("{}号", "九".repeat(50))),
            format!("{}号", "9".repeat(50))
        );
    }
}
