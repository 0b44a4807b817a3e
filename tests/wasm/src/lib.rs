//! Empty: the tests are in tests/web.rs.
