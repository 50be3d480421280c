//! How one existing feature resembles a report: the evidence and the score combining it.

use serde::Serialize;

/// Weights of the evidence; a missing piece (no footprint, no address on one side) drops out
/// and the rest is renormalised, so a bare point report is judged on distance alone.
const W_DISTANCE: f64 = 0.45;
const W_OVERLAP: f64 = 0.35;
const W_ADDRESS: f64 = 0.15;
const W_SAME: f64 = 0.05;

/// What was measured between a report and one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Shortest distance in metres between the two (point or footprint each); 0 when they touch.
    pub distance_m: f64,
    /// Intersection over union of the footprints, when both have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iou: Option<f64>,
    /// 1 − normalised edit distance of the normalised addresses, when both have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_similarity: Option<f64>,
    /// Share of the rule's `same` properties present on both that are equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_share: Option<f64>,
}

impl Evidence {
    /// The score in [0, 1]: a weighted mean of closeness (1 at 0 m, 0 at the buffer's edge),
    /// IoU, address similarity and agreeing properties, over the pieces present.
    pub fn score(&self, buffer_m: f64) -> f64 {
        let closeness = (1.0 - self.distance_m / buffer_m).clamp(0.0, 1.0);
        let mut sum = W_DISTANCE * closeness;
        let mut weight = W_DISTANCE;
        for (w, v) in [
            (W_OVERLAP, self.iou),
            (W_ADDRESS, self.address_similarity),
            (W_SAME, self.same_share),
        ] {
            if let Some(v) = v {
                sum += w * v;
                weight += w;
            }
        }
        sum / weight
    }

    /// Human-readable reasons, in Chinese as the officers read them.
    pub fn reasons(&self, buffer_m: f64) -> Vec<String> {
        let mut r = vec![if self.distance_m == 0.0 {
            "位置重叠".to_string()
        } else {
            format!("相距{:.1}米(缓冲区{buffer_m}米)", self.distance_m)
        }];
        if let Some(iou) = self.iou {
            r.push(format!("四至范围重叠度{:.0}%", iou * 100.0));
        }
        if let Some(a) = self.address_similarity {
            r.push(format!("地址相似度{:.0}%", a * 100.0));
        }
        if let Some(s) = self.same_share {
            r.push(format!("属性一致{:.0}%", s * 100.0));
        }
        r
    }
}

/// An address reduced to what identifies it: full-width forms folded to ASCII, whitespace
/// and punctuation dropped, Latin letters lower-cased.
pub fn normalize_address(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !is_cjk_punctuation(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{3001}'..='\u{303F}' | '\u{FF0C}' | '\u{FF1A}' | '\u{FF1B}' | '·' | '—' | '…'
    )
}

/// Similarity of two addresses in [0, 1] after normalising both.
pub fn address_similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(&normalize_address(a), &normalize_address(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_after_normalising() {
        assert_eq!(
            normalize_address("徐汇区 小木桥路６８３号（东）"),
            "徐汇区小木桥路683号东"
        );
        assert_eq!(address_similarity("小木桥路683号", "小木桥路 683 号"), 1.0);
        // One character of eight differs.
        let s = address_similarity("小木桥路683号", "小木桥路685号");
        assert!((s - (1.0 - 1.0 / 8.0)).abs() < 1e-12, "{s}");
        assert_eq!(address_similarity("", ""), 1.0);
    }

    #[test]
    fn score_renormalises_over_the_evidence_present() {
        let bare = Evidence {
            distance_m: 5.0,
            iou: None,
            address_similarity: None,
            same_share: None,
        };
        assert!((bare.score(50.0) - 0.9).abs() < 1e-12);
        let full = Evidence {
            distance_m: 0.0,
            iou: Some(0.5),
            address_similarity: Some(1.0),
            same_share: Some(0.0),
        };
        // (0.45·1 + 0.35·0.5 + 0.15·1 + 0.05·0) / 1.0
        assert!((full.score(50.0) - 0.775).abs() < 1e-12);
        let far = Evidence {
            distance_m: 80.0,
            ..bare
        };
        assert_eq!(far.score(50.0), 0.0);
    }
}
