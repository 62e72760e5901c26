//! Evidence files: what the console collected (pod logs), saved exactly as
//! received under the data directory, and read back for the viewer.
//!
//! A file is written, flushed and fsynced (and its directory fsynced)
//! before the action is reported done, and an existing file is never
//! overwritten: two collections in the same second get `-2`, `-3`, ….

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, Utc};

use sha2::{Digest, Sha256};

use crate::actions::{Evidence, SavedEvidence};

/// The most the viewer reads of one file; larger files show their end.
pub const VIEW_LIMIT: u64 = 4 * 1024 * 1024;

/// `20261124T101500Z-shop-backend-7d9-app.log`: sortable by time, and only
/// characters that are safe in any shell and file system. A label ending
/// in `.json` keeps that extension; everything else is a `.log`.
pub fn file_name(at: DateTime<Utc>, label: &str, n: u32) -> String {
    let (label, ext) = match label.strip_suffix(".json") {
        Some(stem) => (stem, "json"),
        None => (label, "log"),
    };
    let label: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .take(120)
        .collect();
    let label = label.trim_start_matches('.');
    let suffix = if n > 1 { format!("-{n}") } else { String::new() };
    format!("{}-{label}{suffix}.{ext}", at.format("%Y%m%dT%H%M%SZ"))
}

/// The file name alone, for titles and menus.
pub fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Lower-case hex SHA-256 of `bytes`, as `sha256sum` prints it.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Saves `evidence` in `dir` (created if missing): its path, size and hash.
pub fn save(dir: &Path, at: DateTime<Utc>, evidence: &Evidence) -> io::Result<SavedEvidence> {
    fs::create_dir_all(dir)?;
    for n in 1..=1000 {
        let path = dir.join(file_name(at, &evidence.label, n));
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        file.write_all(evidence.text.as_bytes())?;
        file.flush()?;
        file.sync_all()?;
        // The new directory entry must survive a crash too.
        File::open(dir)?.sync_all()?;
        let bytes = evidence.text.as_bytes();
        return Ok(SavedEvidence { path, bytes: bytes.len() as u64, sha256: sha256(bytes) });
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "1000 evidence files with this name already exist"))
}

/// Reads a file for the viewer as text (invalid UTF-8 replaced). Beyond
/// `limit` bytes only the end is read, from the first whole line, after a
/// line saying how much was left out.
pub fn read(path: &Path, limit: u64) -> io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let skipped = len.saturating_sub(limit);
    file.seek(SeekFrom::Start(skipped))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len.min(limit)).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes)?;
    if skipped == 0 {
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    let start = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let shown = &bytes[start..];
    Ok(format!(
        "[first {} bytes not shown; the file has {len}]\n{}",
        skipped + start as u64,
        String::from_utf8_lossy(shown)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_515_300, 0).unwrap()
    }

    fn ev(label: &str, text: &str) -> Evidence {
        Evidence { label: label.into(), text: text.into() }
    }

    #[test]
    fn names_sort_by_time_and_stay_in_the_directory() {
        assert_eq!(file_name(at(), "shop-backend-7d9-app", 1), "20261124T101500Z-shop-backend-7d9-app.log");
        assert_eq!(file_name(at(), "../../etc/passwd", 1), "20261124T101500Z-_.._etc_passwd.log");
        assert_eq!(file_name(at(), "a b\x1b[31m", 3), "20261124T101500Z-a_b__31m-3.log");
        assert_eq!(
            file_name(at(), "cloudtrail-eu-west-1-last-1h.json", 2),
            "20261124T101500Z-cloudtrail-eu-west-1-last-1h-2.json"
        );
    }

    #[test]
    fn saves_exactly_what_was_collected_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("evidence");
        let raw = "line 1\n\x1b[31mred\x1b[0m\nlast\n";
        let first = save(&sub, at(), &ev("shop-p-app", raw)).unwrap();
        assert_eq!(first.bytes, raw.len() as u64);
        assert_eq!(first.sha256, sha256(&fs::read(&first.path).unwrap()));
        let (first, second) = (first.path, save(&sub, at(), &ev("shop-p-app", "other")).unwrap().path);
        assert_ne!(first, second);
        assert_eq!(fs::read_to_string(&first).unwrap(), raw, "evidence is kept byte for byte");
        assert_eq!(fs::read_to_string(&second).unwrap(), "other");
        assert!(second.ends_with("20261124T101500Z-shop-p-app-2.log"), "{}", second.display());
    }

    #[test]
    fn large_files_show_their_end_from_a_whole_line() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
        let path = save(dir.path(), at(), &ev("big", &text)).unwrap().path;
        assert_eq!(read(&path, 10_000).unwrap(), text);
        let tail = read(&path, 25).unwrap();
        let mut lines = tail.lines();
        assert_eq!(lines.next(), Some("[first 882 bytes not shown; the file has 900]"));
        assert_eq!(lines.collect::<Vec<_>>(), ["line 098", "line 099"]);
    }

    #[test]
    fn hashes_are_what_sha256sum_prints() {
        assert_eq!(sha256(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("gone.log"), VIEW_LIMIT).unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
