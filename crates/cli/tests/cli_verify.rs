//! `https-kit verify` as a user drives it: exit 0 valid, 1 invalid, 2 unreadable input; ✓/✗ text
//! and JSON.
use std::path::Path;
use std::process::{Command, Output};

fn kit(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_https-kit"))
        .args(args)
        .current_dir(cwd)
        .env_remove("HTTPS_KIT_CA_DIR")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", cwd.join("home"))
        .output()
        .expect("run https-kit")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let o = kit(d, &["ca", "init", "--dir", "root"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = kit(
        d,
        &["ca", "intermediate", "--dir", "inter", "--parent", "root"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kit(
        d,
        &[
            "cert",
            "issue",
            "www.example.test",
            "127.0.0.1",
            "--dir",
            "inter",
            "--out",
            "site",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    dir
}

#[test]
fn verify_exit_codes_text_and_json() {
    let dir = setup();
    let d = dir.path();

    // The fullchain (leaf + intermediate) against the root: valid, every step shown.
    let o = kit(
        d,
        &[
            "verify",
            "site.fullchain.crt",
            "--roots",
            "root/ca.crt",
            "--host",
            "www.example.test",
        ],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("✓ signature") && out.contains("SHA-256(TBS) = ") && out.contains("✓ VALID"),
        "{out}"
    );

    // Leaf alone plus --chain, IP name, JSON.
    let o = kit(
        d,
        &[
            "verify",
            "site.crt",
            "--chain",
            "inter/ca.crt",
            "--roots",
            "root/ca.crt",
            "--host",
            "127.0.0.1",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    assert_eq!(json["valid"], true);
    assert_eq!(json["path"].as_array().map(|p| p.len()), Some(3));

    // Wrong name, future time, client purpose, missing intermediate: invalid, exit 1, with the reason.
    for (args, reason) in [
        (vec!["--host", "evil.test"], "name mismatch"),
        (vec!["--at", "2099-01-01T00:00:00Z"], "expired"),
        (vec!["--purpose", "client"], "extended key usage"),
    ] {
        let mut all = vec!["verify", "site.fullchain.crt", "--roots", "root/ca.crt"];
        all.extend(args);
        let o = kit(d, &all);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(
            out.contains("✗ INVALID") && out.contains(reason),
            "{reason}: {out}"
        );
    }
    let o = kit(d, &["verify", "site.crt", "--roots", "root/ca.crt"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("unknown issuer"));
    // The alert a TLS client would send (the handshake's mapping), in text and JSON.
    assert!(text(&o).contains("(alert unknown_ca)"), "{}", text(&o));
    let o = kit(
        d,
        &["verify", "site.crt", "--roots", "root/ca.crt", "--json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    assert_eq!(json["error"]["kind"], "unknown_issuer");
    assert_eq!(json["error"]["alert"], "unknown_ca");

    // Not a certificate, a missing file, a bad time: exit 2.
    std::fs::write(d.join("junk.pem"), "hello").expect("write");
    for args in [
        vec!["verify", "junk.pem", "--roots", "root/ca.crt"],
        vec!["verify", "missing.crt", "--roots", "root/ca.crt"],
        vec![
            "verify",
            "site.crt",
            "--roots",
            "root/ca.crt",
            "--at",
            "yesterday",
        ],
        vec!["verify", "site.crt", "--roots", "junk.pem"],
    ] {
        let o = kit(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
}

/// openssl as the CRL issuer: `openssl ca -revoke` + `-gencrl` with our CA's key, then `--crl`.
#[test]
fn verify_honours_openssl_crls() {
    let have = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("skipped: openssl not found");
        return;
    }
    let dir = setup();
    let d = dir.path();
    std::fs::create_dir(d.join("crl")).expect("mkdir");
    std::fs::write(d.join("crl/index.txt"), "").expect("index");
    std::fs::write(d.join("crl/crlnumber"), "01\n").expect("crlnumber");
    std::fs::write(
        d.join("crl/cfg"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = crl/index.txt\ncrlnumber = crl/crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n",
    )
    .expect("cfg");
    let openssl = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .expect("openssl");
        assert!(o.status.success(), "openssl {args:?}: {}", text(&o));
    };
    let ca = [
        "-config",
        "crl/cfg",
        "-keyfile",
        "inter/ca.key",
        "-cert",
        "inter/ca.crt",
    ];
    openssl(&[&["ca", "-gencrl", "-out", "crl/empty.pem"][..], &ca].concat());
    openssl(&[&["ca", "-revoke", "site.crt"][..], &ca].concat());
    openssl(&[&["ca", "-gencrl", "-out", "crl/revoked.pem"][..], &ca].concat());

    let check = |crl: &str| {
        kit(
            d,
            &[
                "verify",
                "site.fullchain.crt",
                "--roots",
                "root/ca.crt",
                "--crl",
                crl,
            ],
        )
    };
    let o = check("crl/empty.pem");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("✓ revocation"), "{}", text(&o));
    let o = check("crl/revoked.pem");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("revoked") && text(&o).contains("certificate_revoked"),
        "{}",
        text(&o)
    );
}
