//! What people paste into the domain box (RFC 1035 §2.3.4, RFC 5321 §4.1.2,
//! UTS 46 / RFC 5891).

use mtasts::sts::domain::{normalise, DomainErrorKind};

#[test]
fn pasted_forms_normalise_to_the_policy_domain() {
    for (input, want) in [
        ("example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("  example.com  ", "example.com"),
        ("https://example.com/path?q=1", "example.com"),
        ("http://user@Example.com:8080/", "example.com"),
        ("user@example.com", "example.com"),
        ("mta-sts.example.com", "example.com"),
        ("_mta-sts.example.com", "example.com"),
        ("_smtp._tls.example.com", "example.com"),
        (
            "https://mta-sts.example.com/.well-known/mta-sts.txt",
            "example.com",
        ),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("mail.example.co.uk", "mail.example.co.uk"),
        // Found by the soak run: an invisible BOM hid the mta-sts prefix.
        ("\u{feff}Mta-Sts.Bücher.example", "xn--bcher-kva.example"),
    ] {
        let d = normalise(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(d.ascii, want, "{input}");
        if input != want {
            assert!(!d.changes.is_empty(), "{input}: a change must be reported");
        }
    }
    let d = normalise("bücher.example").unwrap();
    assert_eq!(d.unicode.as_deref(), Some("bücher.example"));
    assert!(d.changes.iter().any(|c| c.contains("A-label")));
    assert_eq!(
        normalise("example.com").unwrap().changes,
        Vec::<String>::new()
    );
}

#[test]
fn bad_input_gets_a_specific_message() {
    let long_label = format!("{}.com", "a".repeat(64));
    let long_name = format!("{}.com", vec!["a".repeat(60); 5].join("."));
    for (input, kind, says) in [
        ("", DomainErrorKind::Empty, "Enter a domain"),
        ("   ", DomainErrorKind::Empty, "Enter a domain"),
        ("192.0.2.1", DomainErrorKind::IpAddress, "IP address"),
        ("[2001:db8::1]", DomainErrorKind::IpAddress, "IP address"),
        ("2001:db8::1", DomainErrorKind::IpAddress, "IP address"),
        (
            "https://[2001:db8::1]/",
            DomainErrorKind::IpAddress,
            "IP address",
        ),
        ("example..com", DomainErrorKind::EmptyLabel, "two dots"),
        (
            ".example.com",
            DomainErrorKind::EmptyLabel,
            "starts with a dot",
        ),
        (long_label.as_str(), DomainErrorKind::LabelTooLong, "63"),
        (long_name.as_str(), DomainErrorKind::NameTooLong, "253"),
        ("exa mple.com", DomainErrorKind::InvalidCharacter, "space"),
        (
            "foo_bar.example.com",
            DomainErrorKind::InvalidCharacter,
            "underscore",
        ),
        ("exa$mple.com", DomainErrorKind::InvalidCharacter, "`$`"),
        ("-example.com", DomainErrorKind::Hyphen, "hyphen"),
        ("localhost", DomainErrorKind::SingleLabel, "single label"),
        ("user@", DomainErrorKind::Empty, "no domain"),
    ] {
        let e = normalise(input).expect_err(input);
        assert_eq!(e.kind, kind, "{input}: {}", e.message);
        assert!(e.message.contains(says), "{input}: {}", e.message);
    }
}

#[test]
fn names_that_browsers_and_resolvers_read_as_addresses_are_refused() {
    for input in [
        "127.1",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "1.2.3",
        "10.0.0.1.",
        "example.0x1f",
        "mta-sts.192.0.2.1",
        // Full-width digits and ideographic full stops: 127.0.0.1 after UTS 46.
        "\u{ff11}\u{ff12}\u{ff17}\u{3002}\u{ff10}\u{3002}\u{ff10}\u{3002}\u{ff11}",
        "https://0x7f000001/",
    ] {
        let e = normalise(input).expect_err(input);
        assert_eq!(e.kind, DomainErrorKind::IpAddress, "{input}: {}", e.message);
        assert!(e.message.contains("IP address"), "{input}: {}", e.message);
    }
    // A number inside the name is fine; only the last label decides.
    for ok in ["123.example.com", "0x7f.example.com", "mail2.example.net"] {
        assert!(normalise(ok).is_ok(), "{ok}");
    }
}

#[test]
fn the_length_limit_leaves_room_for_every_name_the_check_looks_up() {
    use mtasts::sts::domain::{MAX_CHECKED_NAME, MAX_NAME};
    // Labels of 60 characters, trimmed to the exact length wanted.
    let name_of = |len: usize| {
        let mut s = vec!["a".repeat(60); 5].join(".");
        s.truncate(len - 4);
        let s = s.trim_end_matches('.').to_string();
        let s = format!("{}{}.com", s, "b".repeat(len - 4 - s.len()));
        assert_eq!(s.len(), len);
        s
    };
    let fits = normalise(&name_of(MAX_CHECKED_NAME)).unwrap();
    for name in [fits.txt_name(), fits.tlsrpt_name(), fits.policy_host()] {
        assert!(name.len() <= MAX_NAME, "{} characters", name.len());
    }
    let e = normalise(&name_of(MAX_CHECKED_NAME + 1)).unwrap_err();
    assert_eq!(e.kind, DomainErrorKind::NameTooLong);
    assert!(e.message.contains("_smtp._tls."), "{}", e.message);
}
