//! The parts of a Chinese street address, as the parser splits them.

use serde::Serialize;

/// A parsed address: every level optional, because officers and other systems leave levels out
/// (小木桥路683号 has no district). Text fields are normalised (half-width, simplified, no spaces).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedAddress {
    /// 上海市 when written (or another province/city, which the geocoder then refuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// District code (GB/T 2260) when the written district (or its alias) is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district_code: Option<String>,
    /// The district as written, e.g. `浦东`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Township code (9 digits) when the written township is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township_code: Option<String>,
    /// The township (街道/镇/乡) as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// Road name including its suffix (路/街/公路/大道/巷…), e.g. `小木桥路`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub road: Option<String>,
    /// 弄 number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lane: Option<u32>,
    /// 支弄 number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_lane: Option<u32>,
    /// 号 number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// Building (幢/栋/号楼), normalised to `N号楼`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
    /// 单元 number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<u32>,
    /// 室 (room), as written after normalisation, e.g. `502`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Text the grammar could not place (a place name such as 徐家汇公园, or noise); the geocoder
    /// tries it against POI names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest: Option<String>,
}

/// The canonical standard address (标准地址) the gazetteer stores and the geocoder returns:
/// `上海市{district}{road}[{lane}弄][{sub_lane}支弄]{number}号[{building}]`, e.g.
/// `上海市徐汇区小木桥路251弄3号`. One spelling per door, so that stored and returned
/// addresses compare as plain strings.
pub fn standard_address(
    district_name: &str,
    road: &str,
    lane: Option<u32>,
    sub_lane: Option<u32>,
    number: u32,
    building: Option<&str>,
) -> String {
    let mut out = format!("上海市{district_name}{road}");
    if let Some(lane) = lane {
        out.push_str(&format!("{lane}弄"));
    }
    if let Some(sub_lane) = sub_lane {
        out.push_str(&format!("{sub_lane}支弄"));
    }
    out.push_str(&format!("{number}号{}", building.unwrap_or_default()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_addresses() {
        let cases = [
            (
                ("徐汇区", "小木桥路", None, None, 683, None),
                "上海市徐汇区小木桥路683号",
            ),
            (
                ("徐汇区", "小木桥路", Some(251), None, 3, None),
                "上海市徐汇区小木桥路251弄3号",
            ),
            (
                ("徐汇区", "小木桥路", Some(251), Some(3), 5, Some("2号楼")),
                "上海市徐汇区小木桥路251弄3支弄5号2号楼",
            ),
        ];
        for ((district, road, lane, sub_lane, number, building), want) in cases {
            assert_eq!(
                standard_address(district, road, lane, sub_lane, number, building),
                want
            );
        }
    }
}
