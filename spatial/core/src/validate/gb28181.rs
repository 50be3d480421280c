//! Structural check of GB/T 28181 device codes.
//!
//! A code is 20 digits: 1–8 the centre code (1–6 the GB/T 2260 admin code of the
//! place, 7–8 the grassroots unit), 9–10 the industry, 11–13 the device type,
//! 14 the network, 15–20 a serial. A camera layer only holds front-end devices,
//! so the type must be one of 111–199 (前端主设备 111–130, 前端外围设备 131–199).

/// Checks a device code; the error names the part that is wrong.
///
/// ```
/// use onemap_spatial::validate::gb28181::check;
/// assert!(check("31011500001320000001").is_ok());
/// assert!(check("3101150000132000001").is_err()); // 19 digits
/// ```
pub fn check(code: &str) -> Result<(), String> {
    if code.len() != 20 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a GB/T 28181 code has exactly 20 digits".into());
    }
    let province: u32 = code[0..2].parse().unwrap_or(0);
    if !(11..=82).contains(&province) {
        return Err(format!(
            "digits 1-2 `{}` are not a province code",
            &code[0..2]
        ));
    }
    let device_type: u32 = code[10..13].parse().unwrap_or(0);
    if !(111..=199).contains(&device_type) {
        return Err(format!(
            "digits 11-13 `{}` are not a front-end device type (111-199)",
            &code[10..13]
        ));
    }
    Ok(())
}
