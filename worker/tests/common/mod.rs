//! Running the `mtasts` binary as a user does, for the command-line tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `mtasts ARGS` with `stdin` on standard input: its exit status and output.
pub fn mtasts(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mtasts"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}
