//! The upload's progress: a line redrawn on standard error when it is a terminal, nothing
//! otherwise (a CI log gets the summary lines only).

use std::{
    io::{IsTerminal, Write},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

/// Chunks of this size are sent, and counted, one at a time.
const CHUNK: usize = 64 * 1024;

/// `bytes` as a stream of chunks that draws how far the upload is.
pub fn upload_stream(bytes: Bytes) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let total = bytes.len() as u64;
    let shown = Arc::new(AtomicU64::new(0));
    let draw = std::io::stderr().is_terminal();
    let chunks: Vec<Bytes> = (0..bytes.len())
        .step_by(CHUNK)
        .map(|from| bytes.slice(from..(from + CHUNK).min(bytes.len())))
        .collect();
    futures_util::stream::iter(chunks).map(move |chunk| {
        let sent = shown.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
        if draw {
            bar(sent, total);
        }
        Ok(chunk)
    })
}

fn bar(sent: u64, total: u64) {
    const WIDTH: u64 = 30;
    let filled = (sent * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r  uploading [{}{}] {} / {}",
        "#".repeat(filled as usize),
        " ".repeat((WIDTH - filled) as usize),
        human(sent),
        human(total)
    );
    if sent >= total {
        let _ = writeln!(err);
    }
    let _ = err.flush();
}

/// `12.3 MiB`, `512 KiB`, `80 B`.
pub fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}
