//! The gzip container (RFC 1952) around TLS-RPT reports
//! (`application/tlsrpt+gzip`, RFC 8460 §5.3), inflated with a hard cap on
//! the output so a small file that expands to gigabytes (a gzip bomb) is
//! refused instead of filling memory.

use core::fmt;

/// Why a gzip file could not be inflated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GzipError {
    /// Not a gzip file (no 1f 8b magic, or not deflate).
    NotGzip,
    /// The header or the data ends early.
    Truncated,
    /// The deflate data is invalid.
    Corrupt,
    /// The inflated data would exceed the cap (bytes).
    TooLarge(usize),
    /// The data inflated, but its CRC-32 or length does not match the trailer.
    ChecksumMismatch,
}

impl fmt::Display for GzipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GzipError::NotGzip => f.write_str("not a gzip file (RFC 1952): it does not start with the bytes 1f 8b 08"),
            GzipError::Truncated => f.write_str("the gzip file ends early: it was cut short in transfer or saving"),
            GzipError::Corrupt => f.write_str("the gzip data is corrupt and cannot be inflated"),
            GzipError::TooLarge(cap) => write!(
                f,
                "the gzip file inflates to more than {} (the cap for one report); refused, as real reports are far smaller and this looks like a gzip bomb",
                human_size(*cap)
            ),
            GzipError::ChecksumMismatch => f.write_str("the gzip data does not match its checksum: the file is damaged"),
        }
    }
}

/// `1.5 MiB`-style sizes for messages.
pub fn human_size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// True when the bytes start like a gzip file.
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// Inflates one gzip member, refusing output past `cap` bytes.
pub fn inflate(data: &[u8], cap: usize) -> Result<Vec<u8>, GzipError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if !is_gzip(data) {
        return Err(GzipError::NotGzip);
    }
    if data.get(2) != Some(&8) {
        return Err(GzipError::NotGzip);
    }
    let flags = *data.get(3).ok_or(GzipError::Truncated)?;
    let mut pos = 10usize;
    if data.len() < pos {
        return Err(GzipError::Truncated);
    }
    if flags & FEXTRA != 0 {
        let lo = *data.get(pos).ok_or(GzipError::Truncated)?;
        let hi = *data.get(pos + 1).ok_or(GzipError::Truncated)?;
        pos += 2 + usize::from(u16::from_le_bytes([lo, hi]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = data.get(pos..).ok_or(GzipError::Truncated)?;
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(GzipError::Truncated)?;
            pos += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    // The trailer: CRC-32 and the length mod 2^32, little-endian.
    let body_end = data.len().checked_sub(8).ok_or(GzipError::Truncated)?;
    let deflated = data.get(pos..body_end).ok_or(GzipError::Truncated)?;
    let trailer = data.get(body_end..).ok_or(GzipError::Truncated)?;
    let out = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, cap).map_err(|e| {
        use miniz_oxide::inflate::TINFLStatus;
        match e.status {
            TINFLStatus::HasMoreOutput => GzipError::TooLarge(cap),
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                GzipError::Truncated
            }
            _ => GzipError::Corrupt,
        }
    })?;
    let word = |i: usize| -> u32 {
        let b: [u8; 4] = trailer
            .get(i..i + 4)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 4]);
        u32::from_le_bytes(b)
    };
    if crc32(&out) != word(0) || out.len() as u32 != word(4) {
        return Err(GzipError::ChecksumMismatch);
    }
    Ok(out)
}

/// CRC-32 (ISO 3309, the one gzip uses), bitwise: reports are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_the_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn short_and_foreign_input_is_refused() {
        assert_eq!(inflate(b"{}", 100), Err(GzipError::NotGzip));
        assert_eq!(
            inflate(&[0x1f, 0x8b, 8, 0, 0], 100),
            Err(GzipError::Truncated)
        );
    }
}
