//! The `https-kit` PKI commands as a new user drives them, with openssl and curl as judges.
//! Tests needing openssl/curl skip with a message when the tool is missing.
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_https-kit")
}

/// Run https-kit in `cwd` with a private HOME and no inherited CA dir.
fn kit(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("HTTPS_KIT_CA_DIR")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", cwd.join("home"))
        .output()
        .expect("run https-kit")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        out(&o),
        err(&o)
    );
    o
}

fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg(if tool == "curl" {
            "--version"
        } else {
            "version"
        })
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        eprintln!("skipping: `{tool}` is not installed (the CI script installs it)");
    }
    found
}

fn openssl(cwd: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run openssl")
}

fn verify_ok(cwd: &Path, args: &[&str]) {
    let mut a = vec!["verify"];
    a.extend_from_slice(args);
    let o = openssl(cwd, &a);
    let t = format!("{}{}", out(&o), err(&o));
    assert!(
        o.status.success() && t.contains(": OK"),
        "openssl verify {args:?}: {t}"
    );
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Assert a failure: the exit code, a single line on stderr naming `names`, nothing on stdout.
fn fails(o: &Output, code: i32, names: &[&str]) {
    let e = err(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {e}",
        out(o)
    );
    assert_eq!(e.trim_end().lines().count(), 1, "more than one line: {e}");
    for n in names {
        assert!(e.contains(n), "{n:?} not in: {e}");
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_application_stage_step_by_step() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // Step 1: the site's key pair.
    let o = ok(kit(
        d,
        &["key", "new", "--out", "site.key", "--pub", "site.pub"],
    ));
    assert!(
        out(&o).contains("site.key") && out(&o).contains("site.pub"),
        "{}",
        out(&o)
    );
    // Step 2: the CSR.
    let o = ok(kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "site.key",
            "--cn",
            "www.example.test",
            "--san",
            "DNS:www.example.test",
            "--san",
            "DNS:*.example.test",
            "--san",
            "IP:192.0.2.10",
            "--out",
            "site.csr",
        ],
    ));
    assert!(
        out(&o).contains("DNS:www.example.test, DNS:*.example.test, IP:192.0.2.10"),
        "{}",
        out(&o)
    );
    // Step 3: a CA checks and signs.
    ok(kit(d, &["ca", "init", "--dir", "ca", "--name", "Step CA"]));
    let o = ok(kit(
        d,
        &["ca", "sign", "site.csr", "--dir", "ca", "--out", "site.crt"],
    ));
    assert!(
        out(&o).contains("Step CA") && out(&o).contains("site.crt"),
        "{}",
        out(&o)
    );
    // Step 4: what the administrator gets.
    let o = ok(kit(d, &["inspect", "site.crt"]));
    let text = out(&o);
    assert!(text.contains("CN=www.example.test"), "{text}");
    assert!(text.contains("issuer:      CN=Step CA"), "{text}");
    assert!(text.contains("expires in 397 days"), "{text}");

    #[cfg(unix)]
    {
        assert_eq!(mode(&d.join("site.key")), 0o600);
        assert_eq!(mode(&d.join("ca/ca.key")), 0o600);
        assert_eq!(mode(&d.join("ca")), 0o700);
        assert_eq!(mode(&d.join("site.crt")), 0o644);
    }
    // No temp files left behind.
    assert_eq!(
        files_in(d),
        ["ca", "site.crt", "site.csr", "site.key", "site.pub"]
    );
    assert_eq!(files_in(&d.join("ca")), ["ca.crt", "ca.key"]);

    if have("openssl") {
        let o = openssl(d, &["req", "-verify", "-noout", "-in", "site.csr"]);
        assert!(o.status.success(), "{}", err(&o));
        verify_ok(
            d,
            &["-CAfile", "ca/ca.crt", "-purpose", "sslserver", "site.crt"],
        );
        // site.pub is the public half of site.key and is what the certificate certifies.
        let pubkey = openssl(d, &["x509", "-in", "site.crt", "-noout", "-pubkey"]);
        assert_eq!(
            out(&pubkey),
            std::fs::read_to_string(d.join("site.pub")).unwrap()
        );
    }
}

#[test]
fn cert_issue_is_one_step_and_names_its_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(d, &["ca", "init", "--dir", "ca"]));
    let o = ok(kit(
        d,
        &[
            "cert",
            "issue",
            "localhost",
            "127.0.0.1",
            "::1",
            "--dir",
            "ca",
        ],
    ));
    let text = out(&o);
    for s in [
        "localhost.crt",
        "localhost.key",
        "localhost.fullchain.crt",
        "DNS:localhost, IP:127.0.0.1, IP:::1",
        "expires:",
        "next:",
    ] {
        assert!(text.contains(s), "{s:?} missing from:\n{text}");
    }
    let o = ok(kit(
        d,
        &[
            "cert",
            "issue",
            "*.dev.example.test",
            "dev.example.test",
            "--dir",
            "ca",
        ],
    ));
    assert!(
        out(&o).contains("_wildcard.dev.example.test.crt"),
        "{}",
        out(&o)
    );
    assert!(d.join("_wildcard.dev.example.test.key").exists());
    let o = ok(kit(
        d,
        &[
            "cert",
            "issue",
            "alice",
            "--client",
            "--dir",
            "ca",
            "--out",
            "people/alice",
        ],
    ));
    assert!(out(&o).contains("client certificate"), "{}", out(&o));
    assert!(d.join("people/alice.crt").exists());

    // The default CA dir: $HTTPS_KIT_CA_DIR.
    let o = Command::new(bin())
        .args(["cert", "issue", "env.example.test"])
        .current_dir(d)
        .env("HTTPS_KIT_CA_DIR", d.join("ca"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));

    if have("openssl") {
        verify_ok(
            d,
            &[
                "-CAfile",
                "ca/ca.crt",
                "-purpose",
                "sslserver",
                "localhost.crt",
            ],
        );
        verify_ok(
            d,
            &["-CAfile", "ca/ca.crt", "_wildcard.dev.example.test.crt"],
        );
    }
}

#[test]
fn the_default_ca_dir_is_the_platform_data_dir() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = ok(kit(d, &["ca", "init"]));
    let expected = d.join("home/.local/share/https-kit/ca.crt");
    assert!(expected.exists(), "{}", out(&o));
    ok(kit(d, &["cert", "issue", "x.example.test"]));
}

#[test]
fn an_intermediate_ca_issues_chains_openssl_accepts() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(d, &["ca", "init", "--dir", "root", "--name", "Root"]));
    let o = ok(kit(
        d,
        &[
            "ca",
            "intermediate",
            "--dir",
            "int",
            "--parent",
            "root",
            "--name",
            "Issuing",
        ],
    ));
    assert!(out(&o).contains("chain.crt"), "{}", out(&o));
    assert_eq!(files_in(&d.join("int")), ["ca.crt", "ca.key", "chain.crt"]);
    ok(kit(
        d,
        &[
            "cert",
            "issue",
            "svc.example.test",
            "--dir",
            "int",
            "--out",
            "svc",
        ],
    ));
    let full = std::fs::read_to_string(d.join("svc.fullchain.crt")).unwrap();
    assert_eq!(full.matches("BEGIN CERTIFICATE").count(), 2);
    // inspect --json on a bundle: an array, leaf first.
    let o = ok(kit(d, &["inspect", "svc.fullchain.crt", "--json"]));
    let arr: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(arr[0]["subject"], "CN=svc.example.test");
    assert_eq!(arr[1]["subject"], "CN=Issuing");
    // ca sign through the intermediate, with --fullchain.
    ok(kit(d, &["key", "new", "--out", "s.key"]));
    ok(kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "s.key",
            "--cn",
            "s.example.test",
            "--out",
            "s.csr",
        ],
    ));
    ok(kit(
        d,
        &[
            "ca",
            "sign",
            "s.csr",
            "--dir",
            "int",
            "--out",
            "s.crt",
            "--fullchain",
            "s.full.crt",
        ],
    ));
    if have("openssl") {
        verify_ok(
            d,
            &[
                "-CAfile",
                "root/ca.crt",
                "-untrusted",
                "int/chain.crt",
                "svc.crt",
            ],
        );
        verify_ok(
            d,
            &[
                "-CAfile",
                "root/ca.crt",
                "-untrusted",
                "s.full.crt",
                "s.crt",
            ],
        );
        let o = openssl(d, &["x509", "-in", "int/ca.crt", "-noout", "-text"]);
        assert!(out(&o).contains("CA:TRUE, pathlen:0"), "{}", out(&o));
    }
}

#[test]
fn every_key_type_works_through_the_cli() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    for kt in [
        "ecdsa-p256",
        "ecdsa-p384",
        "ed25519",
        "rsa-2048",
        "rsa-3072",
    ] {
        let ca = format!("ca-{kt}");
        ok(kit(d, &["ca", "init", "--dir", &ca, "--key-type", kt]));
        ok(kit(
            d,
            &[
                "cert",
                "issue",
                "k.example.test",
                "--dir",
                &ca,
                "--key-type",
                kt,
                "--out",
                kt,
            ],
        ));
        ok(kit(
            d,
            &[
                "key",
                "new",
                "--type",
                kt,
                "--out",
                &format!("{kt}-own.key"),
            ],
        ));
        ok(kit(
            d,
            &[
                "csr",
                "new",
                "--key",
                &format!("{kt}-own.key"),
                "--cn",
                "own.example.test",
                "--out",
                &format!("{kt}.csr"),
            ],
        ));
        ok(kit(
            d,
            &[
                "ca",
                "sign",
                &format!("{kt}.csr"),
                "--dir",
                &ca,
                "--out",
                &format!("{kt}-own.crt"),
            ],
        ));
        if have("openssl") {
            verify_ok(
                d,
                &["-CAfile", &format!("{ca}/ca.crt"), &format!("{kt}.crt")],
            );
            verify_ok(
                d,
                &["-CAfile", &format!("{ca}/ca.crt"), &format!("{kt}-own.crt")],
            );
            let o = openssl(
                d,
                &["req", "-verify", "-noout", "-in", &format!("{kt}.csr")],
            );
            assert!(o.status.success(), "{kt}: {}", err(&o));
        }
    }
}

#[test]
fn our_ca_signs_a_csr_from_openssl_req() {
    if !have("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(d, &["ca", "init", "--dir", "ca"]));
    let o = openssl(
        d,
        &[
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "rsa:2048",
            "-subj",
            "/CN=legacy.example.test",
            "-addext",
            "subjectAltName=DNS:legacy.example.test",
            "-keyout",
            "legacy.key",
            "-out",
            "legacy.csr",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    ok(kit(
        d,
        &[
            "ca",
            "sign",
            "legacy.csr",
            "--dir",
            "ca",
            "--profile",
            "client",
            "--days",
            "30",
            "--out",
            "legacy.crt",
        ],
    ));
    verify_ok(
        d,
        &[
            "-CAfile",
            "ca/ca.crt",
            "-purpose",
            "sslclient",
            "legacy.crt",
        ],
    );
    let o = ok(kit(d, &["inspect", "legacy.crt", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["expires_in_days"], 30);
    assert_eq!(v["key"]["type"], "rsa");
    assert_eq!(v["key"]["bits"], 2048);
    // A key made by openssl (PKCS#8 here) signs our CSRs too.
    ok(kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "legacy.key",
            "--san",
            "DNS:again.example.test",
            "--out",
            "again.csr",
        ],
    ));
}

#[test]
fn inspect_json_fingerprint_equals_openssls() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(d, &["ca", "init", "--dir", "ca"]));
    ok(kit(
        d,
        &[
            "cert",
            "issue",
            "fp.example.test",
            "--dir",
            "ca",
            "--out",
            "fp",
        ],
    ));
    let o = ok(kit(d, &["inspect", "fp.crt", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["kind"], "certificate");
    assert_eq!(v["subject_alt_names"][0], "DNS:fp.example.test");
    let ours = v["sha256_fingerprint"].as_str().unwrap().to_string();
    // Under a root CA the fullchain is the leaf alone: one object.
    let o = ok(kit(d, &["inspect", "fp.fullchain.crt", "--json"]));
    let one: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(one["sha256_fingerprint"], ours.as_str());
    // The key's public half has the same fingerprint as the certificate's.
    let o = ok(kit(d, &["inspect", "fp.key", "--json"]));
    let k: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(k["public_key_sha256"], v["public_key_sha256"]);
    if have("openssl") {
        let o = openssl(
            d,
            &["x509", "-in", "fp.crt", "-noout", "-fingerprint", "-sha256"],
        );
        let theirs = out(&o).trim().rsplit('=').next().unwrap().to_string();
        assert_eq!(ours, theirs);
        // DER input too.
        openssl(
            d,
            &["x509", "-in", "fp.crt", "-outform", "DER", "-out", "fp.der"],
        );
        let o = ok(kit(d, &["inspect", "fp.der", "--json"]));
        let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        assert_eq!(v["sha256_fingerprint"], theirs.as_str());
    }
}

#[test]
fn policy_refusals_exit_1_and_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(
        d,
        &[
            "ca",
            "init",
            "--dir",
            "ca",
            "--permit-dns",
            "example.internal",
        ],
    ));
    let o = kit(d, &["cert", "issue", "www.example.com", "--dir", "ca"]);
    fails(&o, 1, &["www.example.com", "refused by policy"]);
    let o = kit(d, &["cert", "issue", "10.0.0.1", "--dir", "ca"]);
    fails(&o, 1, &["10.0.0.1"]);
    ok(kit(
        d,
        &["cert", "issue", "app.example.internal", "--dir", "ca"],
    ));

    ok(kit(d, &["ca", "init", "--dir", "open"]));
    ok(kit(d, &["key", "new", "--out", "k.key"]));
    ok(kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "k.key",
            "--san",
            "DNS:*.com",
            "--out",
            "tld.csr",
        ],
    ));
    let o = kit(
        d,
        &["ca", "sign", "tld.csr", "--dir", "open", "--out", "tld.crt"],
    );
    fails(&o, 1, &["tld.csr", "*.com"]);
    assert!(!d.join("tld.crt").exists());
    assert_eq!(
        files_in(d),
        [
            "app.example.internal.crt",
            "app.example.internal.fullchain.crt",
            "app.example.internal.key",
            "ca",
            "k.key",
            "open",
            "tld.csr"
        ]
    );
}

#[test]
fn nothing_is_overwritten_without_force() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(d, &["ca", "init", "--dir", "ca"]));
    let before = std::fs::read(d.join("ca/ca.key")).unwrap();
    let o = kit(d, &["ca", "init", "--dir", "ca"]);
    fails(&o, 2, &["ca.crt", "--force"]);
    assert_eq!(std::fs::read(d.join("ca/ca.key")).unwrap(), before);
    ok(kit(d, &["ca", "init", "--dir", "ca", "--force"]));
    assert_ne!(std::fs::read(d.join("ca/ca.key")).unwrap(), before);

    ok(kit(d, &["cert", "issue", "a.example.test", "--dir", "ca"]));
    // Only the fullchain is in the way: still nothing at all is written.
    std::fs::remove_file(d.join("a.example.test.crt")).unwrap();
    std::fs::remove_file(d.join("a.example.test.key")).unwrap();
    let o = kit(d, &["cert", "issue", "a.example.test", "--dir", "ca"]);
    fails(&o, 2, &["a.example.test.fullchain.crt"]);
    assert!(!d.join("a.example.test.crt").exists());
    assert!(!d.join("a.example.test.key").exists());
}

/// A key written over a FIFO with --force would replace it by renaming (as root, over /dev/null
/// the device node itself): refused, and the FIFO is left alone.
#[test]
fn force_does_not_replace_a_fifo_or_device() {
    use std::os::unix::fs::FileTypeExt;
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("k.key"))
        .status();
    if !made.map(|s| s.success()).unwrap_or(false) {
        eprintln!("skipped: mkfifo failed");
        return;
    }
    let o = kit(d, &["key", "new", "--out", "k.key", "--force"]);
    fails(&o, 2, &["k.key", "not a regular file"]);
    let kind = std::fs::symlink_metadata(d.join("k.key"))
        .unwrap()
        .file_type();
    assert!(kind.is_fifo());
}

/// Make a CA and a CSR to feed bad variants of.
fn bad_input_fixture(d: &Path) {
    ok(kit(d, &["ca", "init", "--dir", "ca"]));
    ok(kit(d, &["key", "new", "--out", "good.key"]));
    ok(kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "good.key",
            "--cn",
            "good.example.test",
            "--out",
            "good.csr",
        ],
    ));
}

#[test]
fn a_corrupt_pem_is_reported_with_its_file_and_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    let good = std::fs::read_to_string(d.join("good.csr")).unwrap();
    std::fs::write(d.join("corrupt.csr"), good.replacen("MII", "M*I", 1)).unwrap();
    let o = kit(
        d,
        &["ca", "sign", "corrupt.csr", "--dir", "ca", "--out", "x.crt"],
    );
    fails(&o, 2, &["corrupt.csr"]);
    assert!(!d.join("x.crt").exists());
    std::fs::write(d.join("garbage.csr"), "hello, I am not a CSR\n").unwrap();
    let o = kit(
        d,
        &["ca", "sign", "garbage.csr", "--dir", "ca", "--out", "x.crt"],
    );
    fails(&o, 2, &["garbage.csr", "PEM"]);
    assert!(!d.join("x.crt").exists());
}

#[test]
fn a_truncated_pem_is_reported_with_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    let good = std::fs::read_to_string(d.join("good.csr")).unwrap();
    std::fs::write(d.join("cut.csr"), &good[..good.len() / 2]).unwrap();
    let o = kit(
        d,
        &["ca", "sign", "cut.csr", "--dir", "ca", "--out", "x.crt"],
    );
    fails(&o, 2, &["cut.csr", "truncated"]);
    let key = std::fs::read_to_string(d.join("good.key")).unwrap();
    std::fs::write(d.join("cut.key"), &key[..key.len() - 30]).unwrap();
    let o = kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "cut.key",
            "--cn",
            "a.example.test",
            "--out",
            "x.csr",
        ],
    );
    fails(&o, 2, &["cut.key"]);
    let o = kit(d, &["inspect", "cut.csr"]);
    fails(&o, 2, &["cut.csr"]);
    assert!(!d.join("x.crt").exists() && !d.join("x.csr").exists());
}

#[test]
fn a_wrong_pem_label_is_reported_with_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    // A certificate where a CSR belongs, and a CSR where a key belongs.
    let o = kit(
        d,
        &["ca", "sign", "ca/ca.crt", "--dir", "ca", "--out", "x.crt"],
    );
    fails(&o, 2, &["ca/ca.crt", "CERTIFICATE REQUEST", "CERTIFICATE"]);
    let o = kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "good.csr",
            "--cn",
            "a.example.test",
            "--out",
            "x.csr",
        ],
    );
    fails(&o, 2, &["good.csr", "PRIVATE KEY"]);
    assert!(!d.join("x.crt").exists() && !d.join("x.csr").exists());
}

#[test]
fn a_csr_with_a_bad_signature_is_refused_with_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    let pem = std::fs::read_to_string(d.join("good.csr")).unwrap();
    let block = pem::parse(&pem).unwrap();
    let mut der = block.contents().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x55; // inside the signature
    std::fs::write(
        d.join("forged.csr"),
        pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", der)),
    )
    .unwrap();
    let o = kit(
        d,
        &["ca", "sign", "forged.csr", "--dir", "ca", "--out", "x.crt"],
    );
    fails(&o, 2, &["forged.csr", "signature"]);
    assert!(!d.join("x.crt").exists());
}

#[test]
fn a_key_not_matching_the_ca_certificate_is_reported_with_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    std::fs::copy(d.join("good.key"), d.join("ca/ca.key")).unwrap();
    let o = kit(
        d,
        &["ca", "sign", "good.csr", "--dir", "ca", "--out", "x.crt"],
    );
    fails(&o, 2, &["ca/ca.key", "does not match", "ca/ca.crt"]);
    let o = kit(d, &["cert", "issue", "a.example.test", "--dir", "ca"]);
    fails(&o, 2, &["ca/ca.key"]);
    assert!(!d.join("x.crt").exists() && !d.join("a.example.test.crt").exists());
}

#[test]
fn a_missing_ca_dir_is_reported_with_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    let o = kit(
        d,
        &[
            "ca", "sign", "good.csr", "--dir", "nowhere", "--out", "x.crt",
        ],
    );
    fails(&o, 2, &["nowhere", "ca init"]);
    let o = kit(d, &["cert", "issue", "a.example.test", "--dir", "nowhere"]);
    fails(&o, 2, &["nowhere"]);
    let o = kit(
        d,
        &["ca", "intermediate", "--dir", "int", "--parent", "nowhere"],
    );
    fails(&o, 2, &["nowhere"]);
    assert!(!d.join("x.crt").exists() && !d.join("int").exists());
}

#[test]
fn an_unsupported_key_type_is_reported_with_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // On the command line: clap lists the choices.
    let o = kit(d, &["key", "new", "--type", "dsa-1024", "--out", "x.key"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("ecdsa-p256"), "{}", err(&o));
    assert!(!d.join("x.key").exists());
    // In a file: an X25519 key cannot sign anything.
    if have("openssl") {
        let o = openssl(
            d,
            &["genpkey", "-algorithm", "X25519", "-out", "x25519.key"],
        );
        assert!(o.status.success());
        let o = kit(
            d,
            &[
                "csr",
                "new",
                "--key",
                "x25519.key",
                "--cn",
                "a.example.test",
                "--out",
                "x.csr",
            ],
        );
        fails(&o, 2, &["x25519.key", "unsupported key"]);
        assert!(!d.join("x.csr").exists());
    }
}

#[test]
fn bad_names_are_usage_errors() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    bad_input_fixture(d);
    let o = kit(d, &["cert", "issue", "bad_name.example", "--dir", "ca"]);
    fails(&o, 2, &["bad_name.example"]);
    let o = kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "good.key",
            "--san",
            "IP:999.1.1.1",
            "--out",
            "x.csr",
        ],
    );
    fails(&o, 2, &["999.1.1.1"]);
    let o = kit(d, &["csr", "new", "--key", "good.key", "--out", "x.csr"]);
    fails(&o, 2, &["--san"]);
}

#[test]
fn help_teaches_with_examples() {
    let t = tempfile::tempdir().unwrap();
    let o = ok(kit(t.path(), &["--help"]));
    assert!(
        out(&o).contains("cert issue localhost 127.0.0.1"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("Exit codes"), "{}", out(&o));
    let o = ok(kit(t.path(), &["ca", "sign", "--help"]));
    assert!(out(&o).contains("Policy"), "{}", out(&o));
    let o = kit(t.path(), &["ca", "sign"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start `openssl s_server` on a free loopback port; retry if another process grabs the port.
fn start_s_server(dir: &Path, cert: &str, key: &str) -> Option<(Server, u16)> {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                cert,
                "-key",
                key,
                "-www",
                "-quiet",
            ])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut server = Server(child);
        // Bounded wait for the listener (up to ~10 s).
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some((server, port));
            }
            if let Ok(Some(_)) = server.0.try_wait() {
                break; // exited: port taken, try another
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    None
}

#[test]
fn curl_trusts_a_cert_issue_certificate_served_by_openssl_on_loopback() {
    if !have("openssl") || !have("curl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(kit(d, &["ca", "init", "--dir", "ca"]));
    ok(kit(
        d,
        &["cert", "issue", "localhost", "127.0.0.1", "--dir", "ca"],
    ));
    let (server, port) = start_s_server(d, "localhost.fullchain.crt", "localhost.key")
        .expect("s_server did not start");
    let curl = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "--silent",
            "--show-error",
            "--max-time",
            "20",
            "--cacert",
            "ca/ca.crt",
        ];
        args.extend_from_slice(extra);
        args.push(url);
        Command::new("curl")
            .args(&args)
            .current_dir(d)
            .output()
            .unwrap()
    };
    // By name (pinned to the IPv4 loopback the server listens on) and by IP address.
    let resolve = format!("localhost:{port}:127.0.0.1");
    let o = curl(
        &format!("https://localhost:{port}/"),
        &["--resolve", &resolve],
    );
    assert!(o.status.success(), "curl by name: {}", err(&o));
    assert!(out(&o).contains("s_server"), "{}", out(&o));
    let o = curl(&format!("https://127.0.0.1:{port}/"), &[]);
    assert!(o.status.success(), "curl by IP: {}", err(&o));
    // A name the certificate does not carry is refused by curl.
    let resolve = format!("other.test:{port}:127.0.0.1");
    let o = curl(
        &format!("https://other.test:{port}/"),
        &["--resolve", &resolve],
    );
    assert!(!o.status.success(), "curl accepted a wrong name");
    drop(server);
}

#[test]
fn json_outputs_are_machine_readable() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = ok(kit(d, &["ca", "init", "--dir", "ca", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["kind"], "root CA");
    assert_eq!(v["key_type"], "ECDSA P-256");
    let ca_fp = v["sha256_fingerprint"].as_str().unwrap().to_string();
    let o = ok(kit(
        d,
        &[
            "key", "new", "--type", "ed25519", "--out", "k.key", "--json",
        ],
    ));
    let k: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(k["key_type"], "Ed25519");
    let o = ok(kit(
        d,
        &[
            "csr",
            "new",
            "--key",
            "k.key",
            "--san",
            "DNS:j.example.test",
            "--out",
            "k.csr",
            "--json",
        ],
    ));
    let c: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(c["subject_alt_names"][0], "DNS:j.example.test");
    let o = ok(kit(
        d,
        &[
            "ca", "sign", "k.csr", "--dir", "ca", "--out", "k.crt", "--json",
        ],
    ));
    let s: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        s["description"]["public_key_sha256"],
        k["public_key_sha256"]
    );
    if have("openssl") {
        let o = openssl(
            d,
            &[
                "x509",
                "-in",
                "ca/ca.crt",
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        );
        assert_eq!(out(&o).trim().rsplit('=').next().unwrap(), ca_fp);
    }
}
