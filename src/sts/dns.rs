//! DNS messages in wire format (RFC 1035) for DNS over HTTPS (RFC 8484).
