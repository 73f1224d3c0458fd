//! `https-kit ticket-key new|rotate FILE`: the shared session-ticket key file, as an operator
//! drives it; the library (`Ticketer::from_key_file`) is the judge of what it writes.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use https_handshake::Ticketer;

fn kit(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_https-kit"))
        .args(args)
        .arg(file)
        .output()
        .expect("run https-kit")
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn key_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn new_then_rotate_keeps_two_keys_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tickets.key");
    assert!(kit(&["ticket-key", "new"], &file).status.success());
    assert_eq!(mode(&file), 0o600);
    assert_eq!(key_lines(&file).len(), 1);
    Ticketer::from_key_file(&file).expect("the library reads what the command wrote");
    let first = key_lines(&file)[0].clone();

    // `new` never overwrites: exit 1, file unchanged.
    let again = kit(&["ticket-key", "new"], &file);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(key_lines(&file), vec![first.clone()]);

    // Each rotation puts a fresh key first and keeps one previous key.
    assert!(kit(&["ticket-key", "rotate"], &file).status.success());
    let lines = key_lines(&file);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], first);
    assert!(kit(&["ticket-key", "rotate"], &file).status.success());
    let lines = key_lines(&file);
    assert_eq!(lines.len(), 2);
    assert!(!lines.contains(&first), "the oldest key is dropped");
    assert_eq!(mode(&file), 0o600);
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn rotate_refuses_a_readable_missing_or_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tickets.key");
    assert!(kit(&["ticket-key", "new"], &file).status.success());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = kit(&["ticket-key", "rotate"], &file);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("chmod 600"));

    let o = kit(&["ticket-key", "rotate"], &dir.path().join("missing"));
    assert_eq!(o.status.code(), Some(2));

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&file, "not a key file\n").unwrap();
    let o = kit(&["ticket-key", "rotate"], &file);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a key file\n");
}
