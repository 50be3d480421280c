//! Class breaks for range-value thematic maps (范围值专题图): a choropleth of counts or
//! sums per district or township colours each area by the class its value falls in.
//!
//! [`breaks`] turns the values into `classes + 1` ascending boundaries, [`class_of`]
//! places one value, [`counts`] tallies a legend. All methods share one reading of
//! the boundaries, so a legend, a tile and a count never disagree about an area that
//! sits exactly on a break: class `i` holds `b[i] < v <= b[i + 1]`, and the first class
//! is also closed on the left so that the minimum is classified.
//!
//! Degenerate data never panics. When there are fewer distinct values than classes
//! (all values equal being the extreme), quantile and natural breaks give every
//! distinct value its own class and leave the surplus classes empty at the top, their
//! boundaries repeating the maximum; equal interval repeats `min == max` throughout.
//! Either way every value lands in a class and the caller always gets `classes + 1`
//! boundaries, so a legend of the requested size can still be drawn.

/// The most classes [`breaks`] will make: more colours than this cannot be told apart
/// on a map, and the natural-breaks table grows with the class count.
pub const MAX_CLASSES: usize = 32;

/// Above this many distinct values natural breaks run on an evenly spaced sample of
/// this many sorted values (always including the minimum and maximum), keeping the
/// `O(classes · n²)` programme to a fraction of a second.
pub const JENKS_SAMPLE: usize = 5000;

/// How to cut values into classes.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Equal interval: `min..max` in classes of equal width; easy to read, but a few
    /// large districts can leave most areas in the first class.
    Equal,
    /// Quantile: about the same number of areas in every class; boundaries are data values.
    Quantile,
    /// Fisher–Jenks natural breaks: the classes with the least total within-class sum of
    /// squared deviations, i.e. breaks placed at the data's own gaps.
    Jenks,
    /// The caller's own inner breaks, e.g. round numbers fixed by policy.
    Manual,
}

/// Why the values or the request cannot be classified.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    #[error("there are no values to classify")]
    NoValues,
    #[error("at least one class is needed")]
    NoClasses,
    #[error("{classes} classes requested; at most {max} are supported")]
    TooManyClasses { classes: usize, max: usize },
    #[error("value #{index} is not a finite number")]
    NonFinite { index: usize },
    #[error("{classes} classes need {expected} manual breaks, {got} given")]
    ManualCount {
        classes: usize,
        expected: usize,
        got: usize,
    },
    #[error("manual break #{index} is not a finite number")]
    ManualNonFinite { index: usize },
    #[error("manual break #{index} ({value}) is not greater than the break before it")]
    ManualNotIncreasing { index: usize, value: f64 },
    #[error(
        "manual break #{index} ({value}) is not strictly between the minimum {min} and the maximum {max}"
    )]
    ManualOutOfRange {
        index: usize,
        value: f64,
        min: f64,
        max: f64,
    },
}

/// Upper bounds of each class plus the minimum: returns `classes + 1` ascending boundaries
/// b[0] = min(values), b[k] = max(values) (for Manual: the caller's inner breaks between min and max).
///
/// The boundaries never decrease; see the module documentation for when they repeat.
/// `manual` is read only by [`Method::Manual`], which needs exactly `classes - 1` finite,
/// strictly increasing breaks strictly between the minimum and the maximum.
///
/// - Equal: `b[i] = min + i · (max − min) / classes`.
/// - Quantile: the `i`-th inner boundary is the value ending the class at cumulative rank
///   `i · n / classes`, rounded to the nearest rank (a tie goes to the lower rank). Equal
///   values are never split between classes, so with many equal values the cut moves to
///   the nearest place where the value changes, keeping the inner boundaries distinct
///   whenever there are at least `classes` distinct values.
/// - Jenks: the exact optimum over all ways to cut the sorted values into `classes`
///   non-empty runs (an optimal cut never separates equal values when enough distinct
///   values exist, so each boundary is the largest value of its class). With more than
///   [`JENKS_SAMPLE`] distinct values it is exact for a deterministic, evenly spaced
///   sample of that many sorted values that includes the minimum and the maximum.
///
/// # Examples
///
/// ```
/// use onemap_spatial::classify::{Method, breaks, class_of, counts};
///
/// let people = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 20.0, 21.0, 22.0];
/// let b = breaks(&people, &Method::Jenks, 3, &[])?;
/// assert_eq!(b, [1.0, 3.0, 12.0, 22.0]);
/// assert_eq!(class_of(&b, 12.0), Some(1)); // an upper bound belongs to its class
/// assert_eq!(counts(&b, &people), [3, 3, 3]);
///
/// let policy = breaks(&people, &Method::Manual, 2, &[15.0])?;
/// assert_eq!(policy, [1.0, 15.0, 22.0]);
/// # Ok::<(), onemap_spatial::classify::ClassifyError>(())
/// ```
pub fn breaks(
    values: &[f64],
    method: &Method,
    classes: usize,
    manual: &[f64],
) -> Result<Vec<f64>, ClassifyError> {
    if values.is_empty() {
        return Err(ClassifyError::NoValues);
    }
    if classes == 0 {
        return Err(ClassifyError::NoClasses);
    }
    if classes > MAX_CLASSES {
        return Err(ClassifyError::TooManyClasses {
            classes,
            max: MAX_CLASSES,
        });
    }
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(ClassifyError::NonFinite { index });
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match method {
        Method::Equal => Ok(equal_bounds(min, max, classes)),
        Method::Manual => manual_bounds(min, max, classes, manual),
        Method::Quantile => Ok(quantile_bounds(&sorted(values), classes)),
        Method::Jenks => Ok(jenks_bounds(&sorted(values), classes)),
    }
}

/// Index of the class a value falls in, given the boundaries from `breaks`: class i holds
/// b[i] <= v <= b[i+1] for i == 0 and b[i] < v <= b[i+1] otherwise (closed on the first class's left).
///
/// Upper bounds are inclusive because the boundaries are data values (the largest value
/// of each class); where boundaries repeat, a value goes to the first class that can hold
/// it. `None` for a value outside `b[0]..=b[last]`, for NaN, and for fewer than two
/// boundaries, so the caller can draw it as "no class".
pub fn class_of(bounds: &[f64], v: f64) -> Option<usize> {
    let (&first, uppers) = bounds.split_first()?;
    let &last = uppers.last()?;
    if !(first..=last).contains(&v) {
        return None;
    }
    Some(uppers.partition_point(|&b| b < v))
}

/// Counts per class.
///
/// One count per class (`bounds.len() - 1`), by [`class_of`]; values outside the
/// boundaries are not counted, so for the values the boundaries came from the counts
/// sum to their number.
pub fn counts(bounds: &[f64], values: &[f64]) -> Vec<usize> {
    let mut n = vec![0; bounds.len().saturating_sub(1)];
    for &v in values {
        if let Some(i) = class_of(bounds, v) {
            n[i] += 1;
        }
    }
    n
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

fn equal_bounds(min: f64, max: f64, k: usize) -> Vec<f64> {
    let span = max - min;
    let mut bounds = Vec::with_capacity(k + 1);
    bounds.push(min);
    for i in 1..k {
        let t = i as f64 / k as f64;
        let b = if span.is_finite() {
            min + span * i as f64 / k as f64
        } else {
            // max − min overflowed (values near ±f64::MAX): interpolate without it.
            min * (1.0 - t) + max * t
        };
        // Rounding must not break the ordering.
        bounds.push(b.clamp(bounds[i - 1], max));
    }
    bounds.push(max);
    bounds
}

fn manual_bounds(
    min: f64,
    max: f64,
    classes: usize,
    manual: &[f64],
) -> Result<Vec<f64>, ClassifyError> {
    let expected = classes - 1;
    if manual.len() != expected {
        return Err(ClassifyError::ManualCount {
            classes,
            expected,
            got: manual.len(),
        });
    }
    if let Some(index) = manual.iter().position(|b| !b.is_finite()) {
        return Err(ClassifyError::ManualNonFinite { index });
    }
    for (index, &value) in manual.iter().enumerate() {
        if index > 0 && value <= manual[index - 1] {
            return Err(ClassifyError::ManualNotIncreasing { index, value });
        }
    }
    // An inner break at or beyond the data's range would make an always-empty class.
    if let Some(index) = manual.iter().position(|&b| b <= min || b >= max) {
        return Err(ClassifyError::ManualOutOfRange {
            index,
            value: manual[index],
            min,
            max,
        });
    }
    let mut bounds = Vec::with_capacity(classes + 1);
    bounds.push(min);
    bounds.extend_from_slice(manual);
    bounds.push(max);
    Ok(bounds)
}

/// The distinct values of sorted `s` with how often each occurs.
fn distinct(s: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut w): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    for &v in s {
        match x.last() {
            // -0.0 == 0.0, so the two zeros count as one value.
            Some(&prev) if prev == v => *w.last_mut().expect("w follows x") += 1.0,
            _ => {
                x.push(v);
                w.push(1.0);
            }
        }
    }
    (x, w)
}

/// Fewer distinct values (ascending, `x.len() <= k`) than classes: one class per
/// value, the surplus classes empty at the top.
fn one_class_per_value(x: &[f64], k: usize) -> Vec<f64> {
    let max = x[x.len() - 1];
    let mut bounds = Vec::with_capacity(k + 1);
    bounds.push(x[0]);
    bounds.extend_from_slice(x);
    bounds.resize(k + 1, max);
    bounds
}

fn quantile_bounds(s: &[f64], k: usize) -> Vec<f64> {
    let n = s.len();
    // Places a class may end: `j` values below, where the value changes.
    let cuts: Vec<usize> = (1..n).filter(|&j| s[j - 1] < s[j]).collect();
    let m = cuts.len();
    if m + 1 < k {
        return one_class_per_value(&distinct(s).0, k);
    }
    let mut bounds = Vec::with_capacity(k + 1);
    bounds.push(s[0]);
    let mut lo = 0;
    for i in 1..k {
        // Rank i·n/k compared as c·k against i·n, exact in integers.
        let target = i as u128 * n as u128;
        let scaled = |c: usize| c as u128 * k as u128;
        let p = cuts.partition_point(|&c| scaled(c) < target);
        let nearest = if p == 0 {
            0
        } else if p == m || target - scaled(cuts[p - 1]) <= scaled(cuts[p]) - target {
            p - 1
        } else {
            p
        };
        // Leave room before for the cuts made and after for the cuts still to make; the
        // distance to the target only grows away from `nearest`, so clamping keeps it least.
        let p = nearest.clamp(lo, m + i - k);
        bounds.push(s[cuts[p] - 1]);
        lo = p + 1;
    }
    bounds.push(s[n - 1]);
    bounds
}

fn jenks_bounds(s: &[f64], k: usize) -> Vec<f64> {
    let (mut x, mut w) = distinct(s);
    if x.len() > JENKS_SAMPLE {
        let (n, last) = (s.len() as u128, JENKS_SAMPLE as u128 - 1);
        let sample: Vec<f64> = (0..=last)
            .map(|i| s[((i * (n - 1) + last / 2) / last) as usize])
            .collect();
        (x, w) = distinct(&sample);
    }
    if x.len() <= k {
        return one_class_per_value(&x, k);
    }
    fisher_jenks(&x, &w, k)
}

/// Fisher's exact programme over distinct ascending values `x` with multiplicities `w`
/// (`k < x.len()`): `cost[c][j]` is the least within-class sum of squared deviations of
/// `x[..=j]` cut into `c + 1` classes, and `start[c][j]` where its last class begins.
/// Working on distinct values is what keeps equal values in one class.
fn fisher_jenks(x: &[f64], w: &[f64], k: usize) -> Vec<f64> {
    let d = x.len();
    let mut cost = vec![vec![f64::INFINITY; d]; k];
    let mut start = vec![vec![0usize; d]; k];
    for j in 0..d {
        // The sum of squared deviations of x[i..=j], grown leftwards one value at a time
        // (West's weighted update: no cancellation between large sums of squares).
        let (mut weight, mut mean, mut ssd) = (0.0, 0.0, 0.0);
        for i in (0..=j).rev() {
            weight += w[i];
            let delta = x[i] - mean;
            mean += delta * w[i] / weight;
            ssd += w[i] * delta * (x[i] - mean);
            if i == 0 {
                cost[0][j] = ssd;
                continue;
            }
            // x[..i] can be cut into at most i classes.
            for c in 1..k.min(i + 1) {
                let candidate = cost[c - 1][i - 1] + ssd;
                if candidate < cost[c][j] {
                    cost[c][j] = candidate;
                    start[c][j] = i;
                }
            }
        }
    }
    let mut bounds = vec![0.0; k + 1];
    bounds[0] = x[0];
    bounds[k] = x[d - 1];
    let mut j = d - 1;
    for c in (1..k).rev() {
        let i = start[c][j];
        bounds[c] = x[i - 1];
        j = i - 1;
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jenks(values: &[f64], k: usize) -> Vec<f64> {
        breaks(values, &Method::Jenks, k, &[]).unwrap()
    }

    fn ssd(group: &[f64]) -> f64 {
        if group.is_empty() {
            return 0.0;
        }
        let mean = group.iter().sum::<f64>() / group.len() as f64;
        group.iter().map(|v| (v - mean) * (v - mean)).sum()
    }

    /// Total within-class SSD of the classes `class_of` makes from `bounds`.
    fn classified_ssd(bounds: &[f64], values: &[f64]) -> f64 {
        let mut groups = vec![Vec::new(); bounds.len() - 1];
        for &v in values {
            groups[class_of(bounds, v).expect("every value has a class")].push(v);
        }
        groups.iter().map(|g| ssd(g)).sum()
    }

    /// Least total SSD over every cut of sorted `s` into `k` non-empty runs, equal values
    /// allowed on both sides of a cut.
    fn brute_force_min(s: &[f64], k: usize) -> Option<f64> {
        if k == 1 {
            return (!s.is_empty()).then(|| ssd(s));
        }
        (1..s.len())
            .filter_map(|first| Some(ssd(&s[..first]) + brute_force_min(&s[first..], k - 1)?))
            .min_by(f64::total_cmp)
    }

    #[test]
    fn jenks_three_clear_groups() {
        let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 20.0, 21.0, 22.0];
        let b = jenks(&v, 3);
        assert_eq!(b, [1.0, 3.0, 12.0, 22.0]);
        assert_eq!(classified_ssd(&b, &v), 6.0);
        // Order of the input does not matter.
        let shuffled = [21.0, 3.0, 12.0, 1.0, 22.0, 10.0, 2.0, 20.0, 11.0];
        assert_eq!(jenks(&shuffled, 3), b);
    }

    #[test]
    fn jenks_two_classes_by_hand() {
        // [1, 3, 5, 11, 13] into two classes; every cut, SSD = Σ (v − class mean)²:
        //   {1} | {3,5,11,13}   0 + (mean 8: 25 + 9 + 9 + 25)             = 68
        //   {1,3} | {5,11,13}   (mean 2: 1 + 1) + (mean 29/3: 196/9 + 16/9 + 100/9)
        //                       = 2 + 312/9                                ≈ 36.67
        //   {1,3,5} | {11,13}   (mean 3: 4 + 0 + 4) + (mean 12: 1 + 1)     = 10  ← least
        //   {1,3,5,11} | {13}   (mean 5: 16 + 4 + 0 + 36) + 0               = 56
        let v = [1.0, 3.0, 5.0, 11.0, 13.0];
        let b = jenks(&v, 2);
        assert_eq!(b, [1.0, 5.0, 13.0]);
        assert_eq!(classified_ssd(&b, &v), 10.0);
        assert_eq!(classified_ssd(&[1.0, 11.0, 13.0], &v), 56.0);
        assert_eq!(brute_force_min(&v, 2), Some(10.0));
    }

    #[test]
    fn jenks_keeps_equal_values_together() {
        // Two classes of [1, 5, 5, 5, 5, 9, 9]:
        //   {1,5,5,5,5} | {9,9}   (mean 4.2: 3.2² + 4·0.8²) + 0   = 12.8  ← least
        //   {1,5} | {5,5,5,9,9}   8 + (mean 6.6: 3·1.6² + 2·2.4²) = 27.2  (splits the 5s)
        //   {1} | {5,5,5,5,9,9}   0 + (mean 19/3: 4·(4/3)² + 2·(8/3)²) ≈ 21.33
        let v = [5.0, 5.0, 9.0, 5.0, 1.0, 5.0, 9.0];
        let b = jenks(&v, 2);
        assert_eq!(b, [1.0, 5.0, 9.0]);
        assert_eq!(counts(&b, &v), [5, 2]);
        assert!((classified_ssd(&b, &v) - 12.8).abs() < 1e-12);
        // Three classes for three distinct values: one each (b[0] == b[1] == the minimum).
        let b = jenks(&v, 3);
        assert_eq!(b, [1.0, 1.0, 5.0, 9.0]);
        assert_eq!(counts(&b, &v), [1, 4, 2]);
    }

    #[test]
    fn jenks_fewer_distinct_values_than_classes_clamps() {
        // Two distinct values, four classes: one class each, two empty classes on top.
        let v = [7.0, 2.0, 2.0];
        let b = jenks(&v, 4);
        assert_eq!(b, [2.0, 2.0, 7.0, 7.0, 7.0]);
        assert_eq!(counts(&b, &v), [2, 1, 0, 0]);
        // Exactly as many distinct values as classes.
        assert_eq!(jenks(&v, 2), [2.0, 2.0, 7.0]);
    }

    #[test]
    fn jenks_is_optimal_against_brute_force() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut compared = 0;
        for case in 0..240 {
            let n = 1 + rng.below(9);
            let k = 1 + rng.below(4);
            let v: Vec<f64> = (0..n)
                .map(|_| match case % 3 {
                    // Few small integers: many ties.
                    0 => rng.below(4) as f64,
                    1 => rng.below(1000) as f64 / 7.0 - 50.0,
                    _ => (rng.below(100) as f64).powi(2),
                })
                .collect();
            let b = jenks(&v, k);
            assert_eq!(b.len(), k + 1, "{v:?} k={k}");
            assert!(b.windows(2).all(|p| p[0] <= p[1]), "{v:?} k={k}: {b:?}");
            assert_eq!(counts(&b, &v).iter().sum::<usize>(), n);
            let Some(best) = brute_force_min(&sorted(&v), k) else {
                continue; // fewer values than classes: no cut into non-empty classes exists
            };
            let got = classified_ssd(&b, &v);
            assert!(
                (got - best).abs() <= 1e-9 * best.max(1.0),
                "{v:?} k={k}: jenks {b:?} has SSD {got}, best is {best}"
            );
            compared += 1;
        }
        assert!(compared >= 200, "only {compared} cases compared");
    }

    #[test]
    fn jenks_large_input_is_sampled_and_still_finds_the_gaps() {
        // 6,000 distinct values in three far-apart clusters: sampled, min and max kept.
        let v: Vec<f64> = (0..6000)
            .map(|i| (i % 3) as f64 * 100.0 + (i / 3) as f64 / 2000.0)
            .collect();
        let b = jenks(&v, 3);
        assert_eq!(b[0], 0.0);
        assert_eq!(b[3], 200.0 + 1999.0 / 2000.0);
        assert!(b[1] < 1.0 && b[2] >= 100.0 && b[2] < 101.0, "{b:?}");
        assert_eq!(counts(&b, &v), [2000, 2000, 2000]);
        // Many values but few distinct ones: exact on all of them, no sampling.
        let many: Vec<f64> = (0..20_000).map(|i| (i % 10) as f64).collect();
        let b = jenks(&many, 2);
        assert_eq!(b, [0.0, 4.0, 9.0]);
        assert_eq!(counts(&b, &many), [10_000, 10_000]);
    }

    #[test]
    fn equal_interval() {
        let v = [22.0, 1.0, 5.0];
        assert_eq!(
            breaks(&v, &Method::Equal, 3, &[]).unwrap(),
            [1.0, 8.0, 15.0, 22.0]
        );
        let b = breaks(&[0.0, 10.0], &Method::Equal, 4, &[]).unwrap();
        assert_eq!(b, [0.0, 2.5, 5.0, 7.5, 10.0]);
        assert_eq!(breaks(&v, &Method::Equal, 1, &[]).unwrap(), [1.0, 22.0]);
        // Spans too wide for f64 still give ordered, finite bounds.
        let b = breaks(&[-f64::MAX, f64::MAX], &Method::Equal, 2, &[]).unwrap();
        assert_eq!(b, [-f64::MAX, 0.0, f64::MAX]);
    }

    #[test]
    fn quantile() {
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        let b = breaks(&nine, &Method::Quantile, 3, &[]).unwrap();
        assert_eq!(b, [1.0, 3.0, 6.0, 9.0]);
        assert_eq!(counts(&b, &nine), [3, 3, 3]);
        // 10 into 3: ranks 3⅓ and 6⅔ round to 3 and 7.
        let ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let b = breaks(&ten, &Method::Quantile, 3, &[]).unwrap();
        assert_eq!(b, [1.0, 3.0, 7.0, 10.0]);
        assert_eq!(counts(&b, &ten), [3, 4, 3]);
        // 10 into 4: ranks 2½ and 7½ are ties, which go to the lower rank.
        let b = breaks(&ten, &Method::Quantile, 4, &[]).unwrap();
        assert_eq!(b, [1.0, 2.0, 5.0, 7.0, 10.0]);
        assert_eq!(counts(&b, &ten), [2, 3, 2, 3]);
    }

    #[test]
    fn quantile_with_many_equal_values() {
        let v = [0., 0., 0., 0., 0., 0., 0., 0., 1., 2.];
        // Rank 5 falls inside the zeros; the nearest place the value changes is rank 8.
        let b = breaks(&v, &Method::Quantile, 2, &[]).unwrap();
        assert_eq!(b, [0.0, 0.0, 2.0]);
        assert_eq!(counts(&b, &v), [8, 2]);
        // Both places the value changes are needed; the inner bounds stay distinct.
        let b = breaks(&v, &Method::Quantile, 3, &[]).unwrap();
        assert_eq!(b, [0.0, 0.0, 1.0, 2.0]);
        assert_eq!(counts(&b, &v), [8, 1, 1]);
        // Ranks 2 and 4 both are nearest the change at rank 3 (4 by a tie, which goes
        // lower); the second break moves on to the next change, at rank 5.
        let v = [1., 1., 1., 2., 2., 3.];
        let b = breaks(&v, &Method::Quantile, 3, &[]).unwrap();
        assert_eq!(b, [1.0, 1.0, 2.0, 3.0]);
        assert_eq!(counts(&b, &v), [3, 2, 1]);
        // Fewer distinct values than classes: one class each, the rest empty on top.
        let b = breaks(&[3.0, 7.0, 3.0], &Method::Quantile, 4, &[]).unwrap();
        assert_eq!(b, [3.0, 3.0, 7.0, 7.0, 7.0]);
        assert_eq!(counts(&b, &[3.0, 7.0, 3.0]), [2, 1, 0, 0]);
    }

    #[test]
    fn all_values_equal() {
        let v = [4.0; 5];
        for method in [Method::Equal, Method::Quantile, Method::Jenks] {
            let b = breaks(&v, &method, 3, &[]).unwrap();
            assert_eq!(b, [4.0; 4], "{method:?}");
            assert_eq!(counts(&b, &v), [5, 0, 0], "{method:?}");
        }
        assert_eq!(breaks(&v, &Method::Manual, 1, &[]).unwrap(), [4.0, 4.0]);
        assert!(matches!(
            breaks(&v, &Method::Manual, 2, &[4.0]),
            Err(ClassifyError::ManualOutOfRange { index: 0, .. })
        ));
    }

    #[test]
    fn manual() {
        let v = [3.0, 120.0, 45.0, 9.0];
        let b = breaks(&v, &Method::Manual, 3, &[10.0, 50.0]).unwrap();
        assert_eq!(b, [3.0, 10.0, 50.0, 120.0]);
        assert_eq!(counts(&b, &v), [2, 1, 1]);
        let err = |classes, manual: &[f64]| breaks(&v, &Method::Manual, classes, manual);
        assert_eq!(
            err(3, &[10.0]),
            Err(ClassifyError::ManualCount {
                classes: 3,
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            err(3, &[50.0, 10.0]),
            Err(ClassifyError::ManualNotIncreasing {
                index: 1,
                value: 10.0
            })
        );
        assert_eq!(
            err(3, &[10.0, 10.0]),
            Err(ClassifyError::ManualNotIncreasing {
                index: 1,
                value: 10.0
            })
        );
        assert_eq!(
            err(3, &[10.0, 120.0]),
            Err(ClassifyError::ManualOutOfRange {
                index: 1,
                value: 120.0,
                min: 3.0,
                max: 120.0
            })
        );
        assert!(matches!(
            err(2, &[3.0]),
            Err(ClassifyError::ManualOutOfRange { index: 0, .. })
        ));
        assert_eq!(
            err(3, &[10.0, f64::NAN]),
            Err(ClassifyError::ManualNonFinite { index: 1 })
        );
    }

    #[test]
    fn rejected_requests() {
        for method in [
            Method::Equal,
            Method::Quantile,
            Method::Jenks,
            Method::Manual,
        ] {
            assert_eq!(
                breaks(&[], &method, 3, &[]),
                Err(ClassifyError::NoValues),
                "{method:?}"
            );
            assert_eq!(
                breaks(&[1.0, 2.0], &method, 0, &[]),
                Err(ClassifyError::NoClasses)
            );
            assert_eq!(
                breaks(&[1.0, 2.0], &method, 33, &[]),
                Err(ClassifyError::TooManyClasses {
                    classes: 33,
                    max: 32
                })
            );
            assert_eq!(
                breaks(&[1.0, 2.0, f64::NAN], &method, 1, &[]),
                Err(ClassifyError::NonFinite { index: 2 })
            );
            assert_eq!(
                breaks(&[f64::NEG_INFINITY, 2.0], &method, 1, &[]),
                Err(ClassifyError::NonFinite { index: 0 })
            );
        }
        assert_eq!(
            ClassifyError::NonFinite { index: 2 }.to_string(),
            "value #2 is not a finite number"
        );
        // 32 classes is allowed.
        let v: Vec<f64> = (0..40).map(f64::from).collect();
        assert_eq!(breaks(&v, &Method::Jenks, 32, &[]).unwrap().len(), 33);
    }

    #[test]
    fn class_of_boundaries_are_inclusive_above() {
        let b = [1.0, 3.0, 12.0, 22.0];
        assert_eq!(class_of(&b, 1.0), Some(0)); // the minimum: first class closed on the left
        assert_eq!(class_of(&b, 3.0), Some(0)); // an upper bound belongs to its class
        assert_eq!(class_of(&b, 3.0001), Some(1));
        assert_eq!(class_of(&b, 12.0), Some(1));
        assert_eq!(class_of(&b, 22.0), Some(2));
        assert_eq!(class_of(&b, 0.999), None);
        assert_eq!(class_of(&b, 22.5), None);
        assert_eq!(class_of(&b, f64::NAN), None);
        assert_eq!(class_of(&[1.0], 1.0), None);
        assert_eq!(class_of(&[], 1.0), None);
        // Repeated bounds: the first class that can hold the value.
        assert_eq!(class_of(&[0.0, 0.0, 1.0, 1.0], 0.0), Some(0));
        assert_eq!(class_of(&[0.0, 0.0, 1.0, 1.0], 1.0), Some(1));
    }

    #[test]
    fn counts_sum_to_n() {
        let v = [1.0, 3.0, 3.0, 4.0, 12.0, 12.0, 13.0, 22.0];
        let b = [1.0, 3.0, 12.0, 22.0];
        assert_eq!(counts(&b, &v), [3, 3, 2]);
        assert_eq!(counts(&b, &[0.0, 23.0, f64::NAN]), [0, 0, 0]);
        assert!(counts(&[5.0], &v).is_empty());
        let mut rng = XorShift(7);
        for method in [Method::Equal, Method::Quantile, Method::Jenks] {
            for _ in 0..50 {
                let n = 1 + rng.below(30);
                let v: Vec<f64> = (0..n).map(|_| rng.below(50) as f64 * 0.3).collect();
                let k = 1 + rng.below(6);
                let b = breaks(&v, &method, k, &[]).unwrap();
                assert_eq!(b.len(), k + 1);
                assert!(b.windows(2).all(|p| p[0] <= p[1]), "{method:?} {b:?}");
                assert_eq!(counts(&b, &v).iter().sum::<usize>(), n, "{method:?} {v:?}");
            }
        }
    }

    #[test]
    fn method_names_in_json() {
        assert_eq!(serde_json::to_string(&Method::Jenks).unwrap(), "\"jenks\"");
        let m: Method = serde_json::from_str("\"quantile\"").unwrap();
        assert_eq!(m, Method::Quantile);
        assert!(serde_json::from_str::<Method>("\"Jenks\"").is_err());
    }

    /// xorshift64: deterministic test data without a crate.
    struct XorShift(u64);

    impl XorShift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }
}
