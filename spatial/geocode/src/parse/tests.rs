//! Table-driven cases, one or more per rule of [`parse`].

use super::*;
use crate::admin::shanghai_for_tests;

/// Builds the expected address from `field=value` pairs, so that each case states every field
/// it expects and all others are `None`.
fn addr(fields: &str) -> ParsedAddress {
    let mut a = ParsedAddress::default();
    for pair in fields.split_whitespace() {
        let (key, value) = pair.split_once('=').expect("field=value");
        let text = Some(value.to_string());
        let number = value.parse::<u32>().ok();
        match key {
            "city" => a.city = text,
            "district" => a.district = text,
            "dc" => a.district_code = text,
            "township" => a.township = text,
            "tc" => a.township_code = text,
            "road" => a.road = text,
            "lane" => a.lane = number,
            "sub" => a.sub_lane = number,
            "number" => a.number = number,
            "building" => a.building = text,
            "unit" => a.unit = number,
            "room" => a.room = text,
            "rest" => a.rest = text,
            _ => panic!("unknown field {key}"),
        }
    }
    a
}

#[test]
fn table() {
    let v = shanghai_for_tests();
    let cases = [
        (
            "徐汇区小木桥路683号",
            "district=徐汇区 dc=310104 road=小木桥路 number=683",
        ),
        ("小木桥路683号", "road=小木桥路 number=683"),
        ("小木桥路683", "road=小木桥路 number=683"),
        ("683号", "number=683"),
        (
            "上海市浦东新区世纪大道100号",
            "city=上海市 district=浦东新区 dc=310115 road=世纪大道 number=100",
        ),
        (
            "浦东世纪大道100号",
            "district=浦东 dc=310115 road=世纪大道 number=100",
        ),
        (
            "上海 徐汇区 小木桥路 683 号",
            "city=上海市 district=徐汇区 dc=310104 road=小木桥路 number=683",
        ),
        (
            "中国上海市徐汇区小木桥路683号",
            "city=上海市 district=徐汇区 dc=310104 road=小木桥路 number=683",
        ),
        ("６８３号", "number=683"),
        ("六百八十三号", "number=683"),
        ("小木桥路二五一弄三号", "road=小木桥路 lane=251 number=3"),
        ("251弄3支弄5号", "lane=251 sub=3 number=5"),
        ("3号楼502室", "building=3号楼 room=502"),
        ("3幢2单元502", "building=3号楼 unit=2 room=502"),
        ("十一号楼", "building=11号楼"),
        ("B座1201室", "building=B号楼 room=1201"),
        (
            "小木桥路683号3号楼502",
            "road=小木桥路 number=683 building=3号楼 room=502",
        ),
        (
            "崇明县城桥镇人民路100号",
            "district=崇明县 dc=310151 township=城桥镇 tc=310151101 road=人民路 number=100",
        ),
        ("卢湾区", "district=卢湾区 dc=310101"),
        (
            "闸北区共和新路100号",
            "district=闸北区 dc=310106 road=共和新路 number=100",
        ),
        (
            "南汇惠南镇",
            "district=南汇 dc=310115 township=惠南镇 tc=310115131",
        ),
        ("中山北一路1200号", "road=中山北一路 number=1200"),
        ("中山北一路一二〇〇号", "road=中山北一路 number=1200"),
        ("四川北路", "road=四川北路"),
        ("南京东路300号", "road=南京东路 number=300"),
        ("南京东路街道", "township=南京东路街道 tc=310101002"),
        (
            "徐家汇小木桥路683号",
            "township=徐家汇 tc=310104014 road=小木桥路 number=683",
        ),
        ("徐家汇街道", "township=徐家汇街道 tc=310104014"),
        ("徐家汇公园", "rest=徐家汇公园"),
        (
            "徐汇区徐家汇公园",
            "district=徐汇区 dc=310104 rest=徐家汇公园",
        ),
        ("徐汇中学", "rest=徐汇中学"),
        ("上海南站", "rest=上海南站"),
        ("上海小木桥683号", "city=上海市 number=683 rest=小木桥"),
        ("上海市第六人民医院", "rest=上海市第六人民医院"),
        (
            "七宝镇七莘路100号",
            "township=七宝镇 tc=310112102 road=七莘路 number=100",
        ),
        ("七宝七莘路100号", "road=七宝七莘路 number=100"),
        (
            "徐汇区七宝镇",
            "district=徐汇区 dc=310104 township=七宝镇 tc=310112102",
        ),
        (
            "浦东新区张江镇",
            "district=浦东新区 dc=310115 township=张江镇 tc=310115125",
        ),
        ("浦东南路100号", "road=浦东南路 number=100"),
        ("浦东大道100号", "road=浦东大道 number=100"),
        ("宝山路100号", "road=宝山路 number=100"),
        ("长宁路100号", "road=长宁路 number=100"),
        (
            "长宁长宁路100号",
            "district=长宁 dc=310105 road=长宁路 number=100",
        ),
        ("虹桥路100号", "road=虹桥路 number=100"),
        ("中山南二路100号", "road=中山南二路 number=100"),
        (
            "金山卫镇卫清西路100号",
            "township=金山卫镇 tc=310116109 road=卫清西路 number=100",
        ),
        ("上海市市光路100号", "city=上海市 road=市光路 number=100"),
        ("上海市光路100号", "city=上海市 road=市光路 number=100"),
        ("小木乔路683号", "road=小木乔路 number=683"),
        ("12-3号", "number=12 rest=-3"),
        (
            "江苏省昆山市前进路100号",
            "city=江苏省昆山市 road=前进路 number=100",
        ),
        ("昆山市前进路100号", "city=昆山市 road=前进路 number=100"),
        (
            "北京市朝阳区建国路100号",
            "city=北京市 road=朝阳区建国路 number=100",
        ),
        ("中国银行", "rest=中国银行"),
        (
            "中国（上海）自由贸易试验区（保税片区）",
            "township=中国上海自由贸易试验区保税片区 tc=310115501",
        ),
        (
            "上海松江出口加工区",
            "township=上海松江出口加工区 tc=310117507",
        ),
        (
            "徐汇区小木桥路683号 200030",
            "district=徐汇区 dc=310104 road=小木桥路 number=683 rest=200030",
        ),
        ("小木桥路5楼502", "road=小木桥路 room=502 rest=5楼"),
        ("，。！？", ""),
        ("", ""),
        ("😀🏠", ""),
    ];
    for (input, want) in cases {
        assert_eq!(parse(input, &v), addr(want), "{input}");
    }
}

#[test]
fn oversized_and_binary_input() {
    let v = shanghai_for_tests();
    let long = "徐汇区小木桥路683号".repeat(1000);
    assert!(long.len() > 10_000);
    assert_eq!(
        parse(&long, &v),
        ParsedAddress {
            rest: Some(long.clone()),
            ..Default::default()
        }
    );
    let at_cap = format!("小木桥路683号{}", "甲".repeat(MAX_CHARS - 8));
    assert_eq!(parse(&at_cap, &v).number, Some(683));

    let bytes = [0xFF, 0xFE, 0x00, 0x01, 0x1B, 0x80, b'a', b'b', 0xC3, 0x28];
    let binary = String::from_utf8_lossy(&bytes);
    assert_eq!(parse(&binary, &v), addr("rest=AB"));
}
