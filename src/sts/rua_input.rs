//! From files as people have them to TLS-RPT reports: `.json`, `.json.gz`,
//! `.eml` (RFC 8460 §5.3 mail) and `.mbox`, recognised by their bytes, not
//! their names. Every file gets an outcome; a file that cannot be read does
//! not stop the others.
//!
//! Caps (documented in the README):
//! - [`MAX_FILE_BYTES`] per file as given;
//! - [`MAX_REPORT_BYTES`] per report after base64 and gzip (a gzip bomb
//!   stops there);
//! - [`MAX_REPORTS`] reports in one reading.

use serde::Serialize;

use super::gzip;
use super::rua_mail;
use super::rua_report::{self, TlsReport};

/// Largest file read (32 MiB: a month of mail in an mbox fits many times).
pub const MAX_FILE_BYTES: usize = 32 << 20;
/// Largest report after inflating (8 MiB; real daily reports are kilobytes).
pub const MAX_REPORT_BYTES: usize = 8 << 20;
/// Most reports in one reading.
pub const MAX_REPORTS: usize = 5_000;

/// One report and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadReport {
    /// The file, and inside it the message and attachment.
    pub source: String,
    pub report: TlsReport,
}

/// Whether a file was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Every report in it was read.
    Ok,
    /// The file, or something in it, could not be read.
    Error,
}

/// What became of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileOutcome {
    pub name: String,
    pub status: FileStatus,
    /// The first problem, in words; every problem is in `errors`.
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Things skipped that are not errors (mail without a report in an mbox).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// Reports read from the file.
    pub reports: usize,
}

/// Reads files one after the other, keeping the reports and an outcome per
/// file.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub files: Vec<FileOutcome>,
    pub reports: Vec<ReadReport>,
}

/// The message for a file larger than [`MAX_FILE_BYTES`]; shells call this
/// before reading a file, from its size.
pub fn too_large(size: u64) -> Option<String> {
    (size > MAX_FILE_BYTES as u64).then(|| {
        format!(
            "the file is {} bytes, more than the {} cap for one file; split the mailbox or read the reports in smaller batches",
            size,
            gzip::human_size(MAX_FILE_BYTES)
        )
    })
}

impl Reading {
    pub fn new() -> Self {
        Self::default()
    }

    /// A file the shell could not open or refused (by size), with the reason.
    pub fn refuse(&mut self, name: &str, error: String) {
        self.files.push(FileOutcome {
            name: name.to_string(),
            status: FileStatus::Error,
            error: Some(error.clone()),
            errors: vec![error],
            skipped: Vec::new(),
            reports: 0,
        });
    }

    /// Reads one file's bytes.
    pub fn add(&mut self, name: &str, bytes: &[u8]) {
        let mut file = FileOutcome {
            name: name.to_string(),
            status: FileStatus::Ok,
            error: None,
            errors: Vec::new(),
            skipped: Vec::new(),
            reports: 0,
        };
        if let Some(e) = too_large(bytes.len() as u64) {
            file.errors.push(e);
        } else {
            self.read(name, bytes, &mut file);
        }
        if !file.errors.is_empty() {
            file.status = FileStatus::Error;
            file.error = file.errors.first().cloned();
        }
        self.files.push(file);
    }

    fn read(&mut self, name: &str, bytes: &[u8], file: &mut FileOutcome) {
        let hint = rua_mail::domain_from_filename(name);
        let start = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        if gzip::is_gzip(bytes) || matches!(start, Some(b'{') | Some(b'[')) {
            self.payload(name.to_string(), bytes, hint.as_deref(), file);
        } else if rua_mail::looks_like_mbox(bytes) {
            let messages = rua_mail::split_mbox(bytes);
            if messages.is_empty() {
                file.errors.push("the mbox holds no messages".to_string());
            }
            for (i, m) in messages.iter().enumerate() {
                self.message(&format!("{name}, message {}", i + 1), m, file, true);
            }
        } else if rua_mail::looks_like_message(bytes) {
            self.message(name, bytes, file, false);
        } else if bytes.starts_with(b"PK\x03\x04") {
            file.errors.push(
                "a zip archive: TLS-RPT reports are JSON or gzip (RFC 8460 §5.3); unzip it and read the files inside".to_string(),
            );
        } else if bytes.is_empty() {
            file.errors.push("the file is empty".to_string());
        } else {
            file.errors.push(
                "not a TLS-RPT report: expected report JSON, a .json.gz, an e-mail (.eml) or an mbox".to_string(),
            );
        }
    }

    fn message(&mut self, source: &str, bytes: &[u8], file: &mut FileOutcome, in_mbox: bool) {
        let msg = rua_mail::read_message(bytes);
        if msg.attachments.is_empty() {
            let what = format!(
                "{source}: no TLS-RPT attachment (application/tlsrpt+gzip or +json, RFC 8460 §5.3){}",
                msg.subject
                    .as_deref()
                    .map(|s| format!("; subject \"{s}\""))
                    .unwrap_or_default()
            );
            if in_mbox {
                file.skipped.push(what);
            } else {
                file.errors.push(what);
            }
            return;
        }
        for a in &msg.attachments {
            let label = match &a.filename {
                Some(f) => format!("{source}: {f}"),
                None => format!("{source}: {}", a.content_type),
            };
            let hint = msg.report_domain.clone().or_else(|| {
                a.filename
                    .as_deref()
                    .and_then(rua_mail::domain_from_filename)
            });
            self.payload(label, &a.data, hint.as_deref(), file);
        }
    }

    /// One report: gzip or JSON bytes.
    fn payload(
        &mut self,
        source: String,
        bytes: &[u8],
        hint: Option<&str>,
        file: &mut FileOutcome,
    ) {
        if self.reports.len() >= MAX_REPORTS {
            file.errors.push(format!(
                "{source}: more than {MAX_REPORTS} reports in one reading; read the rest in another batch"
            ));
            return;
        }
        let inflated;
        let json = if gzip::is_gzip(bytes) {
            match gzip::inflate(bytes, MAX_REPORT_BYTES) {
                Ok(v) => {
                    inflated = v;
                    inflated.as_slice()
                }
                Err(e) => {
                    file.errors.push(format!("{source}: {e}"));
                    return;
                }
            }
        } else if bytes.len() > MAX_REPORT_BYTES {
            file.errors.push(format!(
                "{source}: the report is {} bytes, more than the {} cap for one report",
                bytes.len(),
                gzip::human_size(MAX_REPORT_BYTES)
            ));
            return;
        } else {
            bytes
        };
        match rua_report::parse(json, hint) {
            Ok(report) => {
                file.reports += 1;
                self.reports.push(ReadReport { source, report });
            }
            Err(e) => file.errors.push(format!("{source}: {e}")),
        }
    }
}
