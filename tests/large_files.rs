//! Issue 8, item 10: a text larger than memory should hold is scanned in
//! windows. In a test binary of its own: the peak resident set that
//! `wait4` reports for a child includes what its parent held when it forked
//! (Linux copies the high-water mark on fork and keeps it across exec), so
//! the parent must stay small for the child's figure to be its own.

mod common;

use std::path::Path;

use common::*;

/// Runs keyhound and returns its output and its peak resident set in
/// bytes, as the kernel counted it for the child (`wait4`'s `ru_maxrss`).
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by `wait4`, not `Child::wait`
fn run_measured(dir: &Path, args: &[&str]) -> (std::process::Output, u64) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let own_peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(
        own_peak_kib < 32 << 10,
        "the test process holds {own_peak_kib} KiB"
    );
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keyhound runs");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut err_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        err_pipe.read_to_end(&mut err).unwrap();
        err
    });
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let err = reader.join().unwrap();
    let mut status = 0;
    // SAFETY: plain libc call on our own child's pid, with valid pointers.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        assert_eq!(pid, child.id() as libc::pid_t, "wait4");
        usage
    };
    use std::os::unix::process::ExitStatusExt;
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out,
        stderr: err,
    };
    // ru_maxrss is in KiB on Linux.
    (output, usage.ru_maxrss as u64 * 1024)
}

#[cfg(target_os = "linux")]
#[test]
fn issue8_10_a_200_mb_single_line_file_is_scanned_in_bounded_memory() {
    // Broke: skipped as over --max-file-size; raising the limit read it
    // whole (peak memory over the file's size).
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.txt");
    let filler = "lorem ipsum dolor sit amet, ".repeat(4096);
    let mut size = 0;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        while size < 200 << 20 {
            f.write_all(filler.as_bytes()).unwrap();
            size += filler.len();
        }
        write!(f, "BINANCE_API_SECRET={}", binance_key("one-line")).unwrap();
        f.flush().unwrap();
    }
    let column = size + "BINANCE_API_SECRET=".len() + 1;
    let (o, peak) = run_measured(dir.path(), &["scan", "one-line.txt", "--format", "json"]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &findings(&doc)[0];
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(column as u64))
    );
    assert_eq!(f["end_column"].as_u64(), Some(column as u64 + 63));
    assert_eq!(findings(&doc).len(), 1);
    // Well below the file's 200 MB: windows of 8 MiB, not the whole file.
    // (This process, whose high-water mark the child's figure starts from,
    // holds a few MiB.)
    assert!(peak < 80 << 20, "peak RSS {} MiB", peak >> 20);
}
