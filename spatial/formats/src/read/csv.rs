//! CSV with a header row, streamed from disk: UTF-8 (with or without BOM), or GBK as Chinese
//! Excel saves it (decided by a first pass over the bytes, then decoded on the fly).

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{Encoding, GBK, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::table::Layout;
use super::{Emit, Input};

/// Streams the CSV's rows to `emit`; Err when the file cannot be read as CSV of this layer.
pub fn read(input: &Input, emit: &Emit) -> Result<(), String> {
    let size = std::fs::metadata(&input.path)
        .map_err(|e| e.to_string())?
        .len()
        .max(1);
    let encoding = detect(&input.path)?;
    let counted = Arc::new(AtomicU64::new(0));
    let file = Counting {
        inner: File::open(&input.path).map_err(|e| e.to_string())?,
        read: counted.clone(),
    };
    let text = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .build(BufReader::new(file));
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("reading the header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let layout = Layout::new(&input.def, &header)?;
    let mut cells = Vec::with_capacity(header.len());
    for (i, rec) in r.records().enumerate() {
        // Row 1 is the header, as a spreadsheet numbers them.
        let rec = rec.map_err(|e| format!("row {}: {e}", i + 2))?;
        cells.clear();
        cells.extend(rec.iter().map(str::to_owned));
        emit.row(layout.row(&input.def, i + 2, &cells))?;
        if i % 1024 == 0 {
            emit.progress(counted.load(Ordering::Relaxed) as f64 / size as f64);
        }
    }
    Ok(())
}

/// UTF-8 when every byte sequence is valid UTF-8, else GBK when that decodes cleanly.
fn detect(path: &std::path::Path) -> Result<&'static Encoding, String> {
    let scan = |enc: &'static Encoding| -> Result<bool, String> {
        let mut file = BufReader::new(File::open(path).map_err(|e| e.to_string())?);
        let mut decoder = enc.new_decoder_without_bom_handling();
        let (mut buf, mut out) = (vec![0u8; 1 << 16], String::with_capacity(1 << 17));
        loop {
            let n = file.read(&mut buf).map_err(|e| e.to_string())?;
            out.clear();
            let (result, _, bad) = decoder.decode_to_string(&buf[..n], &mut out, n == 0);
            debug_assert!(matches!(result, encoding_rs::CoderResult::InputEmpty));
            if bad {
                return Ok(false);
            }
            if n == 0 {
                return Ok(true);
            }
        }
    };
    if scan(UTF_8)? {
        Ok(UTF_8)
    } else if scan(GBK)? {
        Ok(GBK)
    } else {
        Err("the file is neither UTF-8 nor GBK text".into())
    }
}

/// Counts the raw bytes read, for progress through a decoding reader.
struct Counting {
    inner: File,
    read: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
