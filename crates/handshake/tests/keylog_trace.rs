//! SSLKEYLOGFILE (NSS key log format) and the structured handshake trace.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use https_handshake::{ClientConnection, KeyLogFile, ServerConnection, TraceEvent};
use rustls::crypto::ring::{cipher_suite, kx_group};

#[derive(Debug, Default)]
struct Theirs_(Mutex<Vec<Logged>>);

/// (label, client random, secret)
type Logged = (String, Vec<u8>, Vec<u8>);
impl rustls::KeyLog for Theirs_ {
    fn log(&self, label: &str, random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.into(), random.to_vec(), secret.to_vec()));
    }
}

#[test]
fn sslkeylogfile_matches_the_peers_secrets() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.log");
    // The only test in this binary that touches the environment. Key logging is opt-in: the
    // builder reads nothing by itself; `KeyLogFile::from_env` is how a program honours the variable.
    std::env::set_var("SSLKEYLOGFILE", &path);
    let key_log = KeyLogFile::from_env().unwrap();
    // Configs built while the variable is set but given no key log must log nothing.
    let unlogged_client = trusting(&p.ca).build().unwrap();
    let unlogged_server = serving(&p.ecdsa).build().unwrap();
    std::env::remove_var("SSLKEYLOGFILE");
    assert!(key_log.is_enabled());
    let client = trusting(&p.ca)
        .with_key_log(Arc::new(key_log))
        .build()
        .unwrap();

    let log = Arc::new(Theirs_::default());
    let server = rustls_server(
        rustls_provider(cipher_suite::TLS13_AES_256_GCM_SHA384, kx_group::X25519),
        &p.ecdsa,
        &[],
    );
    let mut server = Arc::try_unwrap(server).unwrap();
    server.key_log = log.clone();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
    let mut s = Theirs::new(rustls::ServerConnection::new(Arc::new(server)).unwrap());
    handshake(&mut c, &mut s).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let theirs = log.0.lock().unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        let (_, random, secret) = theirs.iter().find(|(l, _, _)| l == label).expect(label);
        let line = format!("{label} {} {}", hex::encode(random), hex::encode(secret));
        assert!(
            text.lines().any(|l| l == line),
            "missing or different: {line}\n{text}"
        );
    }
    // The file holds secrets: created 0600.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "key log mode {mode:o}");
    let random = hex::encode(&theirs[0].1);
    assert_eq!(text.lines().filter(|l| l.contains(&random)).count(), 5);

    let mut c = Ours::new(ClientConnection::new(Arc::new(unlogged_client), "localhost").unwrap());
    let mut s = Ours::new(ServerConnection::new(Arc::new(unlogged_server)).unwrap());
    handshake(&mut c, &mut s).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after, text,
        "builders no longer read SSLKEYLOGFILE by themselves"
    );
}

#[test]
fn trace_names_every_step_and_no_secret_values() {
    let p = pki();
    let secrets = Arc::new(Collect::default());
    let client = trusting(&p.ca)
        .with_trace(true)
        .with_key_log(secrets.clone())
        .build()
        .unwrap();
    let server = serving(&p.rsa).with_trace(true).build().unwrap();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    handshake(&mut c, &mut s).unwrap();

    let lines: Vec<String> = c.conn.trace().iter().map(|e| e.to_string()).collect();
    let text = lines.join("\n");
    for needle in [
        "-> ClientHello",
        "<- ServerHello",
        "<- EncryptedExtensions",
        "<- Certificate",
        "check certificate chain",
        "<- CertificateVerify",
        "check CertificateVerify",
        "<- Finished",
        "check server Finished",
        "derive client_handshake_traffic_secret",
        "derive server_application_traffic_secret_0",
        "-> Finished",
        "cipher suite = TLS_AES_128_GCM_SHA256",
    ] {
        assert!(text.contains(needle), "trace lacks {needle:?}:\n{text}");
    }
    for secret in secrets.0.lock().unwrap().iter() {
        assert!(
            !text.contains(&hex::encode(secret)),
            "a secret value leaked into the trace"
        );
    }
    // The seed's steps are explained by the messages that realise them.
    let steps: Vec<&str> = c
        .conn
        .trace()
        .iter()
        .filter_map(TraceEvent::seed_step)
        .collect();
    assert!(steps.iter().any(|s| s.contains("forward secrecy")));
    assert!(steps.iter().any(|s| s.starts_with("5.")));
    let rendered = https_handshake::render_trace(c.conn.trace());
    assert!(rendered.contains("[seed step 4."), "{rendered}");
    assert_eq!(
        rendered.matches("[seed step 6.").count(),
        2,
        "secrets grouped per burst:\n{rendered}"
    );
    let server_text: Vec<String> = s.conn.trace().iter().map(|e| e.to_string()).collect();
    assert!(server_text
        .iter()
        .any(|l| l.starts_with("-> CertificateVerify")));
    assert!(server_text
        .iter()
        .any(|l| l.contains("check client Finished")));
}

#[derive(Debug, Default)]
struct Collect(Mutex<Vec<Vec<u8>>>);
impl https_handshake::KeyLog for Collect {
    fn log(&self, _: &str, _: &[u8], secret: &[u8]) {
        self.0.lock().unwrap().push(secret.to_vec());
    }
}
