//! Hostile policy and record bodies of the largest size senders read
//! (64 KiB): the shapes that once took seconds to lint or printed a finding
//! per line. Shared by the bench, the soak run and the tests.

/// The size senders read, RFC 8461 §3.3.
pub const SIZE: usize = 64 * 1024;

/// `head`, then `line` repeated while the body stays within [`SIZE`].
pub fn fill(head: &str, line: &str) -> Vec<u8> {
    let mut body = head.as_bytes().to_vec();
    while body.len() + line.len() <= SIZE {
        body.extend_from_slice(line.as_bytes());
    }
    body
}

/// Every shape, named: policies first, then TXT and TLS-RPT records.
pub fn policies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("blank lines", fill("version: STSv1\n", "\n")),
        ("whitespace lines", fill("version: STSv1\n", " \t\r\n")),
        (
            "repeated mode lines",
            fill("version: STSv1\n", "mode: enforce\n"),
        ),
        ("bad lines", fill("version: STSv1\n", "ab\n")),
        ("comment lines", fill("version: STSv1\n", "#\n")),
        ("empty fields", fill("version: STSv1\n", "x:\n")),
        ("unknown fields", fill("version: STSv1\n", "mdoe: 1\n")),
        ("invalid mx lines", fill("version: STSv1\n", "mx: -\n")),
        (
            "duplicate mx lines",
            fill("version: STSv1\n", "mx: Mail.Example.com\n"),
        ),
        ("one long line", fill("mx: ", "a")),
        ("bare carriage returns", fill("version: STSv1\n", "\r\r\n")),
    ]
}

/// Long `_mta-sts` and `_smtp._tls` records (DNS allows 64 KiB of strings).
pub fn records() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("txt: extension fields", fill("v=STSv1; id=1", ";a=b")),
        ("txt: empty fields", fill("v=STSv1; id=1", "; ;")),
        ("tlsrpt: bad rua list", fill("v=TLSRPTv1; rua=", "x,")),
        (
            "tlsrpt: extension fields",
            fill("v=TLSRPTv1; rua=mailto:a@b.c", ";a=b"),
        ),
    ]
}
