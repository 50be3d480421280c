//! Deterministic points for tests, benchmarks and comparisons, shared by path so the
//! library itself carries no test data.

/// `n` pseudo-random WGS84 points in the Shanghai bounding box (lon 120.85–122.2,
/// lat 30.67–31.88), from SplitMix64 seeded with `seed`: dependency-free and the same on every run.
pub fn shanghai_points(seed: u64, n: usize) -> Vec<[f64; 2]> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            [
                120.85 + next() * (122.2 - 120.85),
                30.67 + next() * (31.88 - 30.67),
            ]
        })
        .collect()
}
