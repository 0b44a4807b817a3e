//! The catalogue of findings: every problem mtasts can report, with a stable
//! kebab-case code, a default severity, the RFC section it comes from and, where
//! real senders and validators part from the RFC, what they do.
//!
//! Each code also belongs to a [`Part`] of the check and says whether it can
//! change the verdict: the report asks the catalogue, never the code's name.
//!
//! Codes are an interface: the web app, the JSON report, the CLI and the tests
//! name them. Never rename one; add a new one instead.

use serde::{Deserialize, Serialize};

/// How much a finding matters to mail delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Senders will not apply the policy (or will refuse mail) because of this.
    Error,
    /// Valid, but risky, or read differently by some senders.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where in the input a finding points: 1-based line and column (columns count
/// bytes, which is what an editor shows for the ASCII these records must be).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Self {
        Position { line, column }
    }
}

/// One problem found, worded for the person who has to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The exact problem and where it is.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// A corrected line or record to copy, where one exists.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub corrected: Option<String>,
    /// The RFC section the rule comes from, e.g. "RFC 8461 §3.2".
    pub rfc: String,
    /// What real senders and validators do where they differ from the RFC.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub senders: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none", default)]
    pub position: Option<Position>,
    /// How often this finding occurs when its repeats were folded into it
    /// (see [`super::fold`]); absent for a finding that occurs once.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<usize>,
    /// Where the next few repeats are, after `position`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub more_positions: Vec<Position>,
}

impl Finding {
    /// A finding with the catalogue's severity, RFC section and sender note.
    pub fn new(code: Code, message: impl Into<String>, fix: impl Into<String>) -> Self {
        let entry = code.entry();
        Finding {
            code,
            severity: entry.severity,
            message: message.into(),
            fix: fix.into(),
            corrected: None,
            rfc: entry.rfc.to_string(),
            senders: entry.senders.map(str::to_string),
            position: None,
            count: None,
            more_positions: Vec::new(),
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some(Position::new(line, column));
        self
    }

    pub fn corrected(mut self, line: impl Into<String>) -> Self {
        self.corrected = Some(line.into());
        self
    }

    /// Some findings matter more in one context than another (an uncovered MX
    /// is fatal under `enforce`, a warning under `testing`).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts findings most severe first, then by position, keeping the order of
/// discovery otherwise.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| {
        (
            f.severity,
            f.position.map(|p| (p.line, p.column)).unwrap_or((0, 0)),
        )
    });
}

/// The part of the check a finding is about: which record, fetch or document.
/// The report weighs findings by part (see [`Entry::affects_verdict`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// The domain name being checked, RFC 5321 §4.1.2.
    Domain,
    /// The `_mta-sts` TXT record and its id, RFC 8461 §3.1.
    StsTxt,
    /// The HTTPS fetch of the policy, RFC 8461 §3.3.
    Fetch,
    /// The policy body, RFC 8461 §3.2.
    Policy,
    /// What a readable policy means for senders beyond its syntax: the mode
    /// (RFC 8461 §5, §8.3), the lifetime and wildcard breadth (§10).
    Advice,
    /// The MX records against the policy, RFC 8461 §4.1.
    Mx,
    /// The `_smtp._tls` TXT record, RFC 8460 §3.
    TlsRpt,
    /// DANE TLSA records of the MX hosts, RFC 7672.
    Dane,
    /// The TLS each MX host offers over SMTP STARTTLS, RFC 8461 §4.2. Its
    /// errors change the verdict only under `enforce`.
    MxTls,
}

/// A catalogue entry: what is fixed about a code.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub code: Code,
    pub severity: Severity,
    pub rfc: &'static str,
    pub title: &'static str,
    pub senders: Option<&'static str>,
    pub part: Part,
    /// Whether an error of this code can make the verdict "broken". False
    /// where the finding costs something other than how senders apply
    /// MTA-STS: a TLS-RPT problem costs the failure reports (RFC 8460), not
    /// the policy.
    pub affects_verdict: bool,
}

/// Sections open with `[part: P, affects_verdict: B]`; every entry up to the
/// next section belongs to part `P`.
macro_rules! catalogue {
    ($( [part: $part:ident, affects_verdict: $affects:literal]
        $( $variant:ident = $code:literal, $sev:ident, $rfc:literal, $title:literal $(, senders: $senders:literal)? ; )*
    )*) => {
        /// Every finding code mtasts can emit.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $( $variant, )* )* }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[ $( $( Code::$variant, )* )* ];

            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $( $( Code::$variant => $code, )* )* }
            }

            pub fn from_name(name: &str) -> Option<Code> {
                match name { $( $( $code => Some(Code::$variant), )* )* _ => None }
            }

            pub fn entry(self) -> Entry {
                match self {
                    $( $( Code::$variant => Entry {
                        code: Code::$variant,
                        severity: Severity::$sev,
                        rfc: $rfc,
                        title: $title,
                        senders: catalogue!(@opt $($senders)?),
                        part: Part::$part,
                        affects_verdict: $affects,
                    }, )* )*
                }
            }
        }
    };
    (@opt) => { None };
    (@opt $s:literal) => { Some($s) };
}

catalogue! {
    // Domain input (the name being checked).
    [part: Domain, affects_verdict: true]
    DomainInvalid = "domain-invalid", Error, "RFC 5321 §4.1.2", "The domain cannot be checked";

    // The `_mta-sts` TXT record, RFC 8461 §3.1.
    [part: StsTxt, affects_verdict: true]
    TxtMissing = "txt-missing", Error, "RFC 8461 §3.1", "No _mta-sts TXT record";
    TxtLookupFailed = "txt-lookup-failed", Error, "RFC 8461 §3.1", "The _mta-sts TXT lookup failed",
        senders: "A sender that cannot resolve the TXT record continues without MTA-STS unless it has a cached policy.";
    TxtMultiple = "txt-multiple", Error, "RFC 8461 §3.1", "More than one STS TXT record";
    TxtNotSts = "txt-not-sts", Error, "RFC 8461 §3.1", "The record is not an MTA-STS record";
    TxtIgnoredRecord = "txt-ignored-record", Info, "RFC 8461 §3.1", "A TXT record that senders discard";
    TxtVersion = "txt-version", Error, "RFC 8461 §3.1", "The record does not start with v=STSv1",
        senders: "mailauth matches v=STSv1 case-insensitively; every other sender discards the record.";
    TxtSyntax = "txt-syntax", Error, "RFC 8461 §3.1", "The TXT record does not follow the ABNF",
        senders: "go-mtasts and Postfix resolvers reject these; a few validators trim whitespace and accept them.";
    TxtNonAscii = "txt-non-ascii", Error, "RFC 8461 §3.1", "The TXT record is not US-ASCII";
    TxtIdMissing = "txt-id-missing", Error, "RFC 8461 §3.1", "No valid id field";
    TxtIdInvalid = "txt-id-invalid", Error, "RFC 8461 §3.1", "The id is not 1-32 letters and digits",
        senders: "mox, NCSC Mail Check and aykevl reject such ids; pmsr, Stalwart, go-mtasts and mailauth do not check them.";
    TxtDuplicateField = "txt-duplicate-field", Warning, "RFC 8461 §3.1, §3.2", "A TXT field appears twice",
        senders: "§3.1 is silent; mtasts applies the §3.2 rule (the first wins), as mox does.";
    TxtSpaceBeforeSemicolon = "txt-space-before-semicolon", Warning, "RFC 8461 §3.1 (erratum 6285)", "Whitespace before the first semicolon",
        senders: "The ABNF allows it, but the discard rule looks for \"v=STSv1;\" literally: senders that follow the prose (go-mtasts, several validators) discard the record.";
    TxtExtension = "txt-extension", Info, "RFC 8461 §3.1", "An extension field senders ignore",
        senders: "checkdmarc rejects unknown TXT fields.";
    TxtCname = "txt-cname", Info, "RFC 8461 §3.1, §8.2", "_mta-sts is delegated by CNAME";

    // The policy fetch, RFC 8461 §3.3.
    [part: Fetch, affects_verdict: true]
    PolicyHostCname = "policy-host-cname", Info, "RFC 8461 §3.3, §8.2", "mta-sts host is delegated by CNAME";
    PolicyHostMissing = "policy-host-missing", Error, "RFC 8461 §3.2", "mta-sts host has no address";
    PolicyConnect = "policy-connect", Error, "RFC 8461 §3.3", "The policy host refused the connection";
    PolicyTimeout = "policy-timeout", Error, "RFC 8461 §3.3", "The policy fetch timed out";
    PolicyTlsExpired = "policy-tls-expired", Error, "RFC 8461 §3.3", "The policy host's certificate has expired";
    PolicyTlsHostname = "policy-tls-hostname", Error, "RFC 8461 §3.3", "The certificate is not valid for the mta-sts host";
    PolicyTlsUntrusted = "policy-tls-untrusted", Error, "RFC 8461 §3.3", "The certificate does not chain to a trusted CA";
    PolicyTls = "policy-tls", Error, "RFC 8461 §3.3", "The TLS handshake with the policy host failed";
    PolicyFetchFailed = "policy-fetch-failed", Error, "RFC 8461 §3.3", "The policy could not be fetched";
    PolicyRedirect = "policy-redirect", Error, "RFC 8461 §3.3", "The policy URL redirects",
        senders: "checkdmarc, NCSC and some web checkers follow redirects and report success; MTAs do not.";
    PolicyHttpStatus = "policy-http-status", Error, "RFC 8461 §3.3", "The policy URL did not answer 200",
        senders: "mailauth and NCSC accept any 2xx and Stalwart never checks the status; Postfix resolvers, mox and Google require 200.";
    PolicyUaBlocked = "policy-ua-blocked", Error, "RFC 8461 §3.3", "Mail servers are blocked but browsers are not";
    PolicyContentType = "policy-content-type", Warning, "RFC 8461 §3.2", "The policy is not served as text/plain",
        senders: "postfix-mta-sts-resolver and go-mtasts (maddy) fail the fetch, so mail from them gets no policy; checkdmarc and EFF warn; Mimecast, mox, Stalwart, postfix-tlspol, mailauth and NCSC ignore the header.";
    PolicyTooLarge = "policy-too-large", Error, "RFC 8461 §3.3", "The policy is larger than 64 KiB",
        senders: "pmsr, mox, EFF, Mimecast and aykevl stop reading at 64 KiB.";

    // The policy body, RFC 8461 §3.2.
    [part: Policy, affects_verdict: true]
    PolicyEmpty = "policy-empty", Error, "RFC 8461 §3.2", "The policy body is empty";
    PolicyHtml = "policy-html", Error, "RFC 8461 §3.2", "The body is an HTML page, not a policy";
    PolicyRtf = "policy-rtf", Error, "RFC 8461 §3.2", "The body is a rich-text (RTF) document";
    PolicyFrontMatter = "policy-front-matter", Error, "RFC 8461 §3.2", "The body starts with Jekyll front matter";
    PolicyBom = "policy-bom", Error, "RFC 8461 §3.2", "The body starts with a byte-order mark",
        senders: "No sender strips a BOM: the first line is read as an unknown field and version is missing.";
    PolicyInvalidUtf8 = "policy-invalid-utf8", Error, "RFC 8461 §3.2", "The body is not UTF-8";
    PolicyNonAscii = "policy-non-ascii", Error, "RFC 8461 §3.2", "Non-ASCII characters where only ASCII is allowed";
    PolicyControlChar = "policy-control-char", Error, "RFC 8461 §3.2", "A control character inside a line";
    PolicyBareCr = "policy-bare-cr", Error, "RFC 8461 §3.2", "A carriage return not followed by a line feed";
    PolicyLfLineEndings = "policy-lf-line-endings", Info, "RFC 8461 §3.2 (erratum 6253)", "Lines end in LF, not CRLF",
        senders: "The ABNF allows LF and Gmail serves LF; some validators (esmtp.email, webperf_core, aykevl) still flag it.";
    PolicyMixedLineEndings = "policy-mixed-line-endings", Warning, "RFC 8461 §3.2", "Lines end in a mix of CRLF and LF",
        senders: "checkdmarc fails on mixed line endings.";
    PolicyBlankLine = "policy-blank-line", Error, "RFC 8461 §3.2", "An empty line in the policy",
        senders: "checkdmarc, pmsr, mailauth and tlspol skip blank lines; mox and go-mtasts reject the policy; NCSC stops reading at the first one.";
    PolicyLeadingWhitespace = "policy-leading-whitespace", Error, "RFC 8461 §3.2", "A line starts with whitespace",
        senders: "EFF and Stalwart trim lines; pmsr and most MTAs read \"  mode\" as an unknown field.";
    PolicyTrailingWhitespace = "policy-trailing-whitespace", Info, "RFC 8461 §3.2", "Whitespace after a value",
        senders: "The ABNF allows it; go-mtasts and pmsr compare values without trimming in some versions.";
    PolicyComment = "policy-comment", Error, "RFC 8461 §3.2", "A comment line; the policy format has no comments",
        senders: "Most senders reject the policy; a few skip lines that do not parse.";
    PolicySyntax = "policy-syntax", Error, "RFC 8461 §3.2", "A line is not \"key: value\"";
    PolicyFieldName = "policy-field-name", Error, "RFC 8461 §3.2", "A field name is not valid";
    PolicyUnknownField = "policy-unknown-field", Info, "RFC 8461 §3.2", "An unknown field, ignored by senders",
        senders: "checkdmarc and NCSC reject policies with unknown fields; aykevl warns.";
    PolicyDuplicateField = "policy-duplicate-field", Warning, "RFC 8461 §3.2", "A field other than mx appears twice",
        senders: "The RFC keeps the first; pmsr, Stalwart, mailauth and go-mtasts keep the last; checkdmarc and NCSC reject the policy.";
    PolicyVersionMissing = "policy-version-missing", Error, "RFC 8461 §3.2", "No version field";
    PolicyVersionInvalid = "policy-version-invalid", Error, "RFC 8461 §3.2", "The version is not STSv1",
        senders: "Stalwart compares the version case-insensitively; every other sender rejects it.";
    PolicyModeMissing = "policy-mode-missing", Error, "RFC 8461 §3.2", "No mode field";
    PolicyModeInvalid = "policy-mode-invalid", Error, "RFC 8461 §3.2", "The mode is not enforce, testing or none",
        senders: "mailauth lowercases the mode; every other sender rejects the policy.";
    PolicyMaxAgeMissing = "policy-max-age-missing", Error, "RFC 8461 §3.2", "No max_age field";
    PolicyMaxAgeInvalid = "policy-max-age-invalid", Error, "RFC 8461 §3.2", "max_age is not 1 to 10 digits";
    PolicyMaxAgeTooLarge = "policy-max-age-too-large", Error, "RFC 8461 §3.2 (erratum 7282)", "max_age is over 31557600",
        senders: "checkdmarc, pmsr, mailauth and EFF reject the policy; tlspol and Mimecast cap it; Stalwart uses 86400; mox (up to 2147483647) and go-mtasts accept it as is.";
    PolicyMxMissing = "policy-mx-missing", Error, "RFC 8461 §3.2", "No mx field",
        senders: "Required unless mode is none; Stalwart, NCSC and Mimecast also reject mode none without mx.";
    PolicyMxInvalid = "policy-mx-invalid", Error, "RFC 8461 §3.2", "An mx value is not a host name pattern";
    PolicyMxWildcard = "policy-mx-wildcard", Error, "RFC 8461 §3.2, §4.1", "A wildcard not of the form *.example.com";
    PolicyMxULabel = "policy-mx-u-label", Error, "RFC 8461 §3.2", "An mx value in Unicode instead of its A-label",
        senders: "mox rejects U-labels explicitly; other senders never match them against the A-label MX host.";
    PolicyMxDuplicate = "policy-mx-duplicate", Info, "RFC 8461 §3.2", "The same mx pattern appears twice";
    PolicyMxPlaceholder = "policy-mx-placeholder", Warning, "RFC 8461 §3.2", "An mx value left over from a template";
    PolicyMxIp = "policy-mx-ip", Warning, "RFC 8461 §3.2, §4.1", "An mx value is an IP address",
        senders: "MX records hold host names, so an address never matches; postfix-tlspol filters these out (tlspol#70).";

    // Policy semantics beyond syntax.
    [part: Advice, affects_verdict: true]
    ModeTesting = "mode-testing", Warning, "RFC 8461 §5", "The policy is in testing mode";
    ModeNone = "mode-none", Warning, "RFC 8461 §5, §8.3", "The policy is in mode none (teardown)";
    MaxAgeShort = "max-age-short", Warning, "RFC 8461 §3.2, §10.2", "max_age is under one day",
        senders: "Mimecast raises max_age to 604800; EFF rejects 0; aykevl reports under 86400 as an error; a widely repeated claim says Google ignores policies under one day.";
    MaxAgeUnderWeek = "max-age-under-week", Warning, "RFC 8461 §3.2, §10.2", "max_age is under one week in enforce mode",
        senders: "NCSC Mail Check warns under 14 days in enforce mode.";
    MxWildcardBroad = "mx-wildcard-broad", Warning, "RFC 8461 §10.4", "A wildcard that covers a whole top-level domain";
    MxWildcardOwnDomain = "mx-wildcard-own-domain", Info, "RFC 8461 §10.4", "A wildcard over the policy domain itself";

    // MX records against the policy, RFC 8461 §4.1.
    [part: Mx, affects_verdict: true]
    MxNotCovered = "mx-not-covered", Error, "RFC 8461 §4.1", "An MX host matches no mx pattern",
        senders: "checkdmarc and mailauth match wildcards as suffixes and may call this covered; compliant senders do not.";
    MxPatternUnused = "mx-pattern-unused", Info, "RFC 8461 §4.1", "An mx pattern matches no MX host";
    MxMissing = "mx-missing", Warning, "RFC 5321 §5.1", "The domain has no MX records";
    MxNull = "mx-null", Info, "RFC 7505", "The domain publishes a null MX (accepts no mail)";
    MxLookupFailed = "mx-lookup-failed", Error, "RFC 8461 §4", "The MX lookup failed";
    MxCname = "mx-cname", Warning, "RFC 5321 §5.1", "An MX host is a CNAME",
        senders: "Exchange Online does not follow CNAMEs when validating MTA-STS; Gmail does.";

    // TLS reporting, RFC 8460 §3. Problems here cost the failure reports,
    // not how senders apply the policy, so they leave the verdict alone.
    [part: TlsRpt, affects_verdict: false]
    TlsrptMissing = "tlsrpt-missing", Warning, "RFC 8460 §3", "No _smtp._tls TXT record";
    TlsrptLookupFailed = "tlsrpt-lookup-failed", Warning, "RFC 8460 §3", "The _smtp._tls TXT lookup failed";
    TlsrptMultiple = "tlsrpt-multiple", Error, "RFC 8460 §3", "More than one TLS-RPT record";
    TlsrptNotTlsrpt = "tlsrpt-not-tlsrpt", Error, "RFC 8460 §3", "The record is not a TLS-RPT record";
    TlsrptIgnoredRecord = "tlsrpt-ignored-record", Info, "RFC 8460 §3", "A TXT record that reporters discard";
    TlsrptVersion = "tlsrpt-version", Error, "RFC 8460 §3", "The record does not start with v=TLSRPTv1";
    TlsrptSyntax = "tlsrpt-syntax", Error, "RFC 8460 §3", "The TLS-RPT record does not follow the ABNF";
    TlsrptSpaceBeforeSemicolon = "tlsrpt-space-before-semicolon", Warning, "RFC 8460 §3", "Whitespace before the first semicolon",
        senders: "The ABNF allows it, but the discard rule keeps only records that begin with \"v=TLSRPTv1;\": reporters that follow the prose discard the record and send no reports.";
    TlsrptRuaMissing = "tlsrpt-rua-missing", Error, "RFC 8460 §3", "No rua field";
    TlsrptRuaInvalid = "tlsrpt-rua-invalid", Error, "RFC 8460 §3", "An rua URI is not valid";
    TlsrptRuaScheme = "tlsrpt-rua-scheme", Error, "RFC 8460 §3", "An rua URI is not mailto: or https:";
    TlsrptRuaMultiple = "tlsrpt-rua-multiple", Info, "RFC 8460 §3", "Several rua destinations",
        senders: "Microsoft sends reports only to the first rua; put the one you read first.";
    TlsrptDuplicateField = "tlsrpt-duplicate-field", Warning, "RFC 8460 §3", "A TLS-RPT field appears twice";
    TlsrptExtension = "tlsrpt-extension", Info, "RFC 8460 §3", "An extension field reporters ignore";

    // DANE, RFC 7672: a related signal about the MX hosts, not part of
    // MTA-STS, so it leaves the verdict alone.
    [part: Dane, affects_verdict: false]
    DanePresent = "dane-present", Info, "RFC 7672", "An MX host publishes DANE TLSA records",
        senders: "Senders that support DANE (Postfix, Exim, Microsoft) prefer it to MTA-STS for that host.";

    // Each MX host's STARTTLS as an enforcing sender meets it, RFC 8461
    // §4.2. Errors break an enforce policy; under testing they say what
    // enforce would do (report/verdict.rs).
    [part: MxTls, affects_verdict: true]
    MxTlsNoStarttls = "mx-tls-no-starttls", Error, "RFC 8461 §4.2, RFC 3207", "An MX host does not offer STARTTLS",
        senders: "Enforcing senders (Gmail, Microsoft 365, Postfix with an MTA-STS resolver) refuse to deliver in plain text.";
    MxTlsNameMismatch = "mx-tls-name-mismatch", Error, "RFC 8461 §4.2, RFC 6125 §6.4", "An MX certificate does not name the MX host",
        senders: "Microsoft 365 bounces with \"551 5.7.5 Remote certificate failed MTA-STS validation\"; the policy's mx pattern is not used to match the certificate.";
    MxTlsExpired = "mx-tls-expired", Error, "RFC 8461 §4.2", "An MX certificate has expired";
    MxTlsNotYetValid = "mx-tls-not-yet-valid", Error, "RFC 8461 §4.2", "An MX certificate is not valid yet";
    MxTlsUntrusted = "mx-tls-untrusted", Error, "RFC 8461 §4.2", "An MX certificate does not chain to a trusted root",
        senders: "Senders trust the usual WebPKI roots; a self-signed or private-CA certificate, or a chain without its intermediate, fails.";
    MxTlsOldVersion = "mx-tls-old-version", Error, "RFC 8461 §4.2, RFC 8996", "An MX host offers only TLS older than 1.2",
        senders: "Google and Microsoft require TLS 1.2 or newer.";
    MxTlsHandshake = "mx-tls-handshake", Error, "RFC 8461 §4.2", "The TLS handshake with an MX host failed";
    MxTlsExpiringSoon = "mx-tls-expiring-soon", Warning, "RFC 8461 §4.2", "An MX certificate expires within 14 days";

    // What the probe could not learn: the checker's network, the address
    // guard or a busy server. Never blamed on the domain.
    [part: MxTls, affects_verdict: false]
    MxTlsNoAddress = "mx-tls-no-address", Warning, "RFC 5321 §5.1", "An MX host has no address";
    MxTlsAddressRefused = "mx-tls-address-refused", Info, "RFC 8461 §4.2", "An MX address was not probed (not public)";
    MxTlsConnectFailed = "mx-tls-connect-failed", Warning, "RFC 5321 §5.1", "Port 25 of an MX address could not be reached from the checker";
    MxTlsPortBlocked = "mx-tls-port-blocked", Warning, "RFC 8461 §4.2", "Port 25 seems blocked on the checker's network";
    MxTlsTimeout = "mx-tls-timeout", Warning, "RFC 5321 §4.5.3.2", "An MX host did not answer within the wait";
    MxTlsBusy = "mx-tls-busy", Warning, "RFC 5321 §3.8", "An MX host answered 4xx (busy) to the checker";
    MxTlsRejected = "mx-tls-rejected", Warning, "RFC 5321 §3.1", "An MX host refused the checker (5xx greeting)";
    MxTlsProtocol = "mx-tls-protocol", Warning, "RFC 5321 §4.2", "An MX host did not speak SMTP as expected";

    // Id drift between two checks, RFC 8461 §3.1.
    [part: StsTxt, affects_verdict: true]
    IdNotBumped = "id-not-bumped", Error, "RFC 8461 §3.1", "The policy changed but the id did not";
    IdChangedPolicySame = "id-changed-policy-same", Info, "RFC 8461 §3.1", "The id changed but the policy did not";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Code::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code `{name}`")))
    }
}

impl core::fmt::Display for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
