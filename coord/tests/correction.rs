//! Local correction: fits recover known parameters, report residuals, reject degenerate input;
//! the pipeline applies the correction after PROJ and its exact inverse before.

use onemap_coord::{
    CoordConfig, CoordError, Crs, Fit, FitMethod, LocalCorrection, Transformer, fit, fit_affine,
    fit_helmert,
};

/// Deterministic noise in [-amp, amp].
fn noise(seed: &mut u64, amp: f64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amp
}

/// 25 control points on a 5×5 grid over the Shanghai 2000 plane (±50 km), jittered.
fn control_from() -> Vec<[f64; 2]> {
    let mut seed = 42;
    let mut pts = Vec::new();
    for i in 0..5 {
        for j in 0..5 {
            pts.push([
                -50_000.0 + 25_000.0 * i as f64 + noise(&mut seed, 3_000.0),
                -50_000.0 + 25_000.0 * j as f64 + noise(&mut seed, 3_000.0),
            ]);
        }
    }
    pts
}

fn pairs_for(c: &LocalCorrection, noise_amp: f64) -> Vec<([f64; 2], [f64; 2])> {
    let mut seed = 7;
    control_from()
        .into_iter()
        .map(|p| {
            let q = c.apply(p).unwrap();
            (
                p,
                [
                    q[0] + noise(&mut seed, noise_amp),
                    q[1] + noise(&mut seed, noise_amp),
                ],
            )
        })
        .collect()
}

fn check_residuals(fit: &Fit, pairs: &[([f64; 2], [f64; 2])]) {
    assert_eq!(fit.residuals.len(), pairs.len());
    let mut sum = 0.0;
    let mut max: f64 = 0.0;
    for (r, (from, to)) in fit.residuals.iter().zip(pairs) {
        let p = fit.correction.apply(*from).unwrap();
        assert!((r[0] - (to[0] - p[0])).abs() < 1e-9 && (r[1] - (to[1] - p[1])).abs() < 1e-9);
        sum += r[0] * r[0] + r[1] * r[1];
        max = max.max(r[0].hypot(r[1]));
    }
    assert!((fit.rms - (sum / pairs.len() as f64).sqrt()).abs() < 1e-12);
    assert!((fit.max_residual - max).abs() < 1e-12);
}

const ARCSEC: f64 = std::f64::consts::PI / 180.0 / 3600.0;

#[test]
fn helmert_recovers_known_parameters() {
    let truth = LocalCorrection::Helmert {
        dx: 12.5,
        dy: -7.25,
        scale: 1.0 + 35e-6,
        rotation_rad: 2.5 * ARCSEC,
    };
    // 2 mm of noise on the targets.
    let pairs = pairs_for(&truth, 0.002);
    let fit = fit_helmert(&pairs).unwrap();
    let LocalCorrection::Helmert {
        dx,
        dy,
        scale,
        rotation_rad,
    } = fit.correction
    else {
        panic!("not a Helmert: {:?}", fit.correction)
    };
    assert!((dx - 12.5).abs() < 2e-3, "dx {dx}");
    assert!((dy + 7.25).abs() < 2e-3, "dy {dy}");
    assert!((scale - (1.0 + 35e-6)).abs() < 5e-8, "scale {scale}");
    assert!(
        (rotation_rad - 2.5 * ARCSEC).abs() < 0.02 * ARCSEC,
        "rot {rotation_rad}"
    );
    check_residuals(&fit, &pairs);
    // The residuals are the noise: about 2 mm / √3 per axis, never more than 2√2 mm.
    assert!(fit.rms > 5e-4 && fit.rms < 3e-3, "rms {}", fit.rms);
    assert!(fit.max_residual < 4e-3);

    // Without noise the fit is exact.
    let exact = fit_helmert(&pairs_for(&truth, 0.0)).unwrap();
    assert!(exact.rms < 1e-8, "rms {}", exact.rms);
    // Two points determine a Helmert exactly.
    let two = fit_helmert(&pairs_for(&truth, 0.0)[..2]).unwrap();
    assert!(two.rms < 1e-8);
    for (from, to) in pairs_for(&truth, 0.0) {
        let p = two.correction.apply(from).unwrap();
        assert!((p[0] - to[0]).abs() < 1e-6 && (p[1] - to[1]).abs() < 1e-6);
    }
}

#[test]
fn affine_recovers_known_parameters() {
    let a = [3.0, 1.0 + 2e-5, -4e-5];
    let b = [-1.5, 3e-5, 1.0 - 1e-5];
    let truth = LocalCorrection::Affine { a, b };
    let pairs = pairs_for(&truth, 0.002);
    let fit = fit(FitMethod::Affine, &pairs).unwrap();
    let LocalCorrection::Affine { a: fa, b: fb } = fit.correction else {
        panic!("not affine")
    };
    for k in 0..3 {
        let tol = if k == 0 { 2e-3 } else { 1e-7 };
        assert!((fa[k] - a[k]).abs() < tol, "a{k}: {} vs {}", fa[k], a[k]);
        assert!((fb[k] - b[k]).abs() < tol, "b{k}: {} vs {}", fb[k], b[k]);
    }
    check_residuals(&fit, &pairs);
    assert!(fit.rms > 5e-4 && fit.rms < 3e-3, "rms {}", fit.rms);

    // An affine fit of Helmert data finds the Helmert (as an affine).
    let h = LocalCorrection::Helmert {
        dx: 1.0,
        dy: 2.0,
        scale: 0.99999,
        rotation_rad: -10.0 * ARCSEC,
    };
    let fit = fit_affine(&pairs_for(&h, 0.0)).unwrap();
    for p in control_from() {
        let (x, y) = (fit.correction.apply(p).unwrap(), h.apply(p).unwrap());
        assert!((x[0] - y[0]).abs() < 1e-6 && (x[1] - y[1]).abs() < 1e-6);
    }
}

#[test]
fn degenerate_control_points_are_errors() {
    let p = |x: f64, y: f64| ([x, y], [x + 1.0, y + 1.0]);
    assert!(matches!(
        fit_helmert(&[p(0.0, 0.0)]),
        Err(CoordError::TooFewPoints {
            needed: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        fit_helmert(&[]),
        Err(CoordError::TooFewPoints { got: 0, .. })
    ));
    assert!(matches!(
        fit_helmert(&[p(5.0, 5.0), p(5.0, 5.0), p(5.0, 5.0)]),
        Err(CoordError::Degenerate { .. })
    ));
    assert!(matches!(
        fit_affine(&[p(0.0, 0.0), p(1.0, 1.0)]),
        Err(CoordError::TooFewPoints {
            needed: 3,
            got: 2,
            ..
        })
    ));
    // Collinear: enough points, but on a line.
    let line: Vec<_> = (0..10)
        .map(|i| p(i as f64 * 100.0, i as f64 * 50.0))
        .collect();
    assert!(matches!(
        fit_affine(&line),
        Err(CoordError::Degenerate { .. })
    ));
    // A Helmert is fine with collinear points.
    assert!(fit_helmert(&line).is_ok());
    // Targets all equal: the fitted map is singular.
    let collapsed: Vec<_> = (0..5)
        .map(|i| ([i as f64, (i * i) as f64], [7.0, 7.0]))
        .collect();
    assert!(matches!(
        fit_helmert(&collapsed),
        Err(CoordError::Degenerate { .. })
    ));
    // NaN: error with the pair's index.
    let mut bad: Vec<_> = (0..5).map(|i| p(i as f64, (i * i) as f64)).collect();
    bad[3].1[0] = f64::NAN;
    assert_eq!(fit_affine(&bad).unwrap_err().index(), Some(3));
}

#[test]
fn serde_forms() {
    let h = LocalCorrection::Helmert {
        dx: 1.0,
        dy: 2.0,
        scale: 1.0,
        rotation_rad: 0.0,
    };
    let json = serde_json::to_string(&h).unwrap();
    assert_eq!(
        json,
        r#"{"method":"helmert","dx":1.0,"dy":2.0,"scale":1.0,"rotation_rad":0.0}"#
    );
    let a: LocalCorrection =
        serde_json::from_str(r#"{"method":"affine","a":[1,1,0],"b":[2,0,1]}"#).unwrap();
    assert_eq!(
        a,
        LocalCorrection::Affine {
            a: [1.0, 1.0, 0.0],
            b: [2.0, 0.0, 1.0]
        }
    );
    let fit = fit_helmert(&[([0.0, 0.0], [1.0, 1.0]), ([10.0, 0.0], [11.0, 1.0])]).unwrap();
    let back: Fit = serde_json::from_str(&serde_json::to_string(&fit).unwrap()).unwrap();
    assert_eq!(back, fit);
    let m: FitMethod = serde_json::from_str("\"affine\"").unwrap();
    assert_eq!(m, FitMethod::Affine);
    let cfg: CoordConfig = serde_json::from_str(
        r#"{"correction":{"method":"helmert","dx":1,"dy":2,"scale":1,"rotation_rad":0}}"#,
    )
    .unwrap();
    assert!(cfg.is_unofficial_profile());
    assert_eq!(cfg.correction, Some(h));
}

#[test]
fn pipeline_applies_correction_after_proj_and_inverse_before() {
    let plain = CoordConfig::default();
    let c = LocalCorrection::Helmert {
        dx: 100.0,
        dy: -50.0,
        scale: 1.0 + 1e-5,
        rotation_rad: 30.0 * ARCSEC,
    };
    let corrected = CoordConfig {
        correction: Some(c),
        ..CoordConfig::default()
    };
    let lonlat = (121.4737, 31.2304);
    let (e, n) = Transformer::new(Crs::Wgs84, Crs::Sh2000, &plain)
        .unwrap()
        .convert(lonlat.0, lonlat.1)
        .unwrap();
    let want = c.apply([e, n]).unwrap();
    let (ce, cn) = Transformer::new(Crs::Wgs84, Crs::Sh2000, &corrected)
        .unwrap()
        .convert(lonlat.0, lonlat.1)
        .unwrap();
    assert!((ce - want[0]).abs() < 1e-9 && (cn - want[1]).abs() < 1e-9);
    let (lon, lat) = Transformer::new(Crs::Sh2000, Crs::Wgs84, &corrected)
        .unwrap()
        .convert(ce, cn)
        .unwrap();
    assert!((lon - lonlat.0).abs() < 1e-10 && (lat - lonlat.1).abs() < 1e-10);
    let back = c.apply_inverse(want).unwrap();
    assert!((back[0] - e).abs() < 1e-9 && (back[1] - n).abs() < 1e-9);

    // A correction that cannot be inverted is refused up front.
    for bad in [
        LocalCorrection::Affine {
            a: [0.0, 1.0, 2.0],
            b: [0.0, 2.0, 4.0],
        },
        LocalCorrection::Helmert {
            dx: 0.0,
            dy: 0.0,
            scale: 0.0,
            rotation_rad: 0.0,
        },
        LocalCorrection::Helmert {
            dx: f64::NAN,
            dy: 0.0,
            scale: 1.0,
            rotation_rad: 0.0,
        },
    ] {
        let cfg = CoordConfig {
            correction: Some(bad),
            ..CoordConfig::default()
        };
        assert!(matches!(
            Transformer::new(Crs::Wgs84, Crs::Sh2000, &cfg),
            Err(CoordError::InvalidCorrection(_))
        ));
        assert!(cfg.validate().is_err());
    }
}
