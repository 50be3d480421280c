//! Photos and documents attached to case actions: type and size checked, images decoded under
//! limits, stored as a compressed copy plus a thumbnail for lists and map pop-ups.
//!
//! Why re-encode: on-site photos from phones run to 5–15 MB; a 2048-pixel JPEG keeps what an
//! inspector needs to see at a tenth of the size, and decoding first proves the file is the
//! image it claims to be (nothing else is kept).

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::problem::{Problem, ProblemType};

/// Largest attachment accepted.
pub const MAX_BYTES: usize = 20 << 20;
/// Longest side of the stored copy of an image.
const STORED_SIDE: u32 = 2048;
/// Longest side of a thumbnail.
const THUMB_SIDE: u32 = 256;
/// Pixels an image may decode to (a 12,000 × 8,000 panorama), against decompression bombs.
const MAX_PIXELS: u64 = 100_000_000;

/// An attachment ready to store.
#[derive(Debug)]
pub struct Processed {
    /// The name the client gave the file.
    pub filename: String,
    /// Of the stored bytes: `image/jpeg` for every image, `application/pdf` for documents.
    pub content_type: &'static str,
    /// The upload's size.
    pub original_size: usize,
    /// The bytes kept: the re-encoded JPEG for an image, the PDF as sent.
    pub stored: Vec<u8>,
    /// JPEG, for images only.
    pub thumbnail: Option<Vec<u8>>,
    /// Pixel size of the stored copy, for images.
    pub dimensions: Option<(u32, u32)>,
}

/// Checks and converts one upload. JPEG, PNG and WebP photos become a compressed JPEG copy and
/// a thumbnail; PDF documents are kept as they are; anything else is 415.
pub fn process(filename: &str, bytes: &[u8]) -> Result<Processed, Problem> {
    if bytes.len() > MAX_BYTES {
        return Err(
            Problem::new(ProblemType::AttachmentTooLarge).detail(format!(
                "`{filename}` is {} bytes; attachments are limited to {} MiB",
                bytes.len(),
                MAX_BYTES >> 20
            )),
        );
    }
    let base = Processed {
        filename: filename.to_owned(),
        content_type: "application/pdf",
        original_size: bytes.len(),
        stored: Vec::new(),
        thumbnail: None,
        dimensions: None,
    };
    if bytes.starts_with(b"%PDF-") {
        return Ok(Processed {
            stored: bytes.to_vec(),
            ..base
        });
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        _ => {
            return Err(Problem::new(ProblemType::AttachmentType).detail(format!(
                "`{filename}` is not a JPEG, PNG or WebP image or a PDF document"
            )));
        }
    };
    let img = decode(bytes, format).map_err(|e| {
        Problem::new(ProblemType::AttachmentUnreadable).detail(format!("`{filename}`: {e}"))
    })?;
    let stored = fit(&img, STORED_SIDE);
    let dimensions = Some((stored.width(), stored.height()));
    Ok(Processed {
        content_type: "image/jpeg",
        stored: jpeg(&stored, 80)?,
        thumbnail: Some(jpeg(&fit(&img, THUMB_SIDE), 70)?),
        dimensions,
        ..base
    })
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, image::ImageError> {
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format).into_dimensions()?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(image::ImageError::Limits(
            image::error::LimitError::from_kind(image::error::LimitErrorKind::DimensionError),
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    reader.decode()
}

/// The image scaled down (never up) to fit `side` × `side`.
fn fit(img: &DynamicImage, side: u32) -> DynamicImage {
    if img.width() <= side && img.height() <= side {
        img.clone()
    } else {
        img.resize(side, side, FilterType::Triangle)
    }
}

fn jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    // JPEG has no alpha: photos are flattened to RGB.
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| Problem::new(ProblemType::AttachmentUnreadable).detail(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_photo_is_scaled_to_a_copy_and_a_thumbnail() {
        let p = process("site.png", &png(3000, 1500)).unwrap();
        assert_eq!(p.content_type, "image/jpeg");
        assert_eq!(p.dimensions, Some((2048, 1024)));
        let stored = image::load_from_memory(&p.stored).unwrap();
        assert_eq!((stored.width(), stored.height()), (2048, 1024));
        let thumb = image::load_from_memory(p.thumbnail.as_ref().unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (256, 128));
        assert_eq!(image::guess_format(&p.stored).unwrap(), ImageFormat::Jpeg);
    }

    #[test]
    fn a_small_image_keeps_its_size() {
        let p = process("s.png", &png(100, 40)).unwrap();
        assert_eq!(p.dimensions, Some((100, 40)));
    }

    #[test]
    fn pdf_is_kept_and_other_types_are_refused() {
        let pdf = b"%PDF-1.7\n...".to_vec();
        let p = process("order.pdf", &pdf).unwrap();
        assert_eq!(
            (p.content_type, p.stored.as_slice()),
            ("application/pdf", &pdf[..])
        );
        assert!(p.thumbnail.is_none());
        for bad in [&b"MZ\x90\x00 an exe"[..], b"", b"GIF89a......"] {
            let e = process("x", bad).unwrap_err().to_json();
            assert_eq!(e["status"], 415, "{e}");
        }
    }

    #[test]
    fn broken_or_oversized_images_are_refused() {
        let good = png(64, 64);
        let e = process("t.png", &good[..good.len() / 2])
            .unwrap_err()
            .to_json();
        assert_eq!(e["status"], 422, "{e}");
        // A PNG header claiming 200,000 × 200,000 pixels: refused before decoding.
        let mut bomb = good.clone();
        bomb[16..20].copy_from_slice(&200_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&200_000u32.to_be_bytes());
        let e = process("bomb.png", &bomb).unwrap_err().to_json();
        assert_eq!(e["status"], 422, "{e}");
        let e = process("huge.jpg", &vec![0xff; MAX_BYTES + 1])
            .unwrap_err()
            .to_json();
        assert_eq!(e["status"], 413, "{e}");
    }
}
