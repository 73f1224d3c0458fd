//! The demo's handshake and communication stages: our TLS 1.3 client and server, in memory, with
//! every flight's bytes counted and every check shown, on the files the application stage made.

use crate::demo::AppArtifacts;
use anyhow::{bail, ensure, Context, Result};
use https_handshake::{
    ClientConfig, ClientConnection, Connection, KeyLog, KeyLogFile, ServerConfig, ServerConnection,
};
use https_kit::verify::{verify_with_report, Purpose, Request, ServerName, TrustAnchors};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// Collects the secrets each side derives, so the demo can show both sides hold the same keys
/// without those keys ever crossing the wire; the client's copy also goes to SSLKEYLOGFILE when
/// it is set (as curl does), so Wireshark can follow the demo.
#[derive(Debug)]
struct SecretsSeen(Mutex<BTreeMap<String, Vec<u8>>>, KeyLogFile);

impl KeyLog for SecretsSeen {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(label.to_string(), secret.to_vec());
        }
        self.1.log(label, client_random, secret);
    }
}

impl SecretsSeen {
    fn get(&self) -> BTreeMap<String, Vec<u8>> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// The two ends after the handshake, and what went over the wire.
pub struct Session {
    client: ClientConnection,
    server: ServerConnection,
}

fn heading(text: &str) {
    println!();
    println!("{text}");
    println!("{}", "-".repeat(text.chars().count()));
}

/// Moves one flight from `from` to `to`; returns the wire bytes.
fn flight(from: &mut Connection, to: &mut Connection) -> Result<Vec<u8>> {
    let mut wire = Vec::new();
    while from.wants_write() {
        if from.write_tls(&mut wire)? == 0 {
            break;
        }
    }
    let mut rd = &wire[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd)?;
        to.process_new_packets()?;
    }
    Ok(wire)
}

/// Splits wire bytes into (content type, length) of each record, for the narration.
fn records(wire: &[u8]) -> Vec<(u8, usize)> {
    let mut out = Vec::new();
    let mut rest = wire;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        out.push((rest[0], len));
        rest = rest.get(5 + len..).unwrap_or(&[]);
    }
    out
}

fn record_kind(t: u8) -> &'static str {
    match t {
        20 => "change_cipher_spec (compatibility, ignored)",
        21 => "alert",
        22 => "handshake (plaintext)",
        23 => "application_data (encrypted)",
        _ => "?",
    }
}

fn show_flight(label: &str, wire: &[u8]) {
    println!("  {label}: {} bytes on the wire", wire.len());
    for (t, len) in records(wire) {
        println!(
            "      record type {t:>2} {:<44} {len:>5} bytes",
            record_kind(t)
        );
    }
}

fn hex8(b: &[u8]) -> String {
    b.iter()
        .take(8)
        .map(|x| format!("{x:02x}"))
        .collect::<String>()
        + "…"
}

/// Seed handshake stage, steps 1-7, done the TLS 1.3 way.
pub fn handshake_stage(app: &AppArtifacts) -> Result<Session> {
    heading("Handshake stage (seed steps 1-7): TLS 1.3 between our client and our server");
    let chain_pem = std::fs::read(&app.site_fullchain)?;
    let key_pem = std::fs::read(&app.site_key)?;
    let server_secrets = Arc::new(SecretsSeen(Mutex::default(), KeyLogFile::disabled()));
    let key_log = KeyLogFile::from_env().context("SSLKEYLOGFILE")?;
    let client_secrets = Arc::new(SecretsSeen(Mutex::default(), key_log));
    let server_config = ServerConfig::builder()
        .with_certified_key(https_handshake::CertifiedKey::from_pem(
            &chain_pem, &key_pem,
        )?)
        .with_alpn(&[b"http/1.1"])
        .with_key_log(server_secrets.clone())
        .with_trace(true)
        .build()?;
    let anchors = TrustAnchors::from_file(&app.ca_cert)?;
    let client_config = ClientConfig::builder()
        .with_root_certificates(anchors)
        .with_alpn(&[b"http/1.1"])
        .with_key_log(client_secrets.clone())
        .with_trace(true)
        .build()?;
    let mut client = ClientConnection::new(Arc::new(client_config), &app.host)?;
    let mut server = ServerConnection::new(Arc::new(server_config))?;

    println!(
        "\n1. The browser asks for a secure connection; the website answers with its certificate."
    );
    let hello = flight(&mut client, &mut server)?;
    show_flight(
        "client -> server (ClientHello with X25519MLKEM768 and X25519 key shares)",
        &hello,
    );
    let reply = flight(&mut server, &mut client)?;
    show_flight(
        "server -> client (ServerHello; then, encrypted: EncryptedExtensions, Certificate, CertificateVerify, Finished)",
        &reply,
    );
    let fin = flight(&mut client, &mut server)?;
    show_flight("client -> server (Finished, encrypted)", &fin);
    ensure!(
        !client.is_handshaking() && !server.is_handshaking(),
        "handshake did not complete"
    );

    println!(
        "\n   The client's view, message by message (trace), with the seed step each realises:"
    );
    let mut last_step = "";
    for ev in client.trace() {
        if let Some(step) = ev.seed_step() {
            if step != last_step {
                println!("     [{step}]");
                last_step = step;
            }
        }
        println!("       {ev}");
    }

    println!("\n2-4. The certificate checks (dates, trusted issuer, the CA's signature, the hash, the name),");
    println!("     repeated here with the step-by-step report of https-verify on the chain the server sent:");
    let peer = client
        .peer_certificates()
        .context("the server sent no certificate")?
        .to_vec();
    let anchors = TrustAnchors::from_file(&app.ca_cert)?;
    let name = ServerName::parse(&app.host)?;
    let intermediates: Vec<&[u8]> = peer.iter().skip(1).map(|c| c.as_slice()).collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let request = Request::new(&peer[0], &anchors, now)
        .intermediates(&intermediates)
        .name(&name)
        .purpose(Purpose::Server);
    let (report, verdict) = verify_with_report(&request);
    for line in report.to_string().lines() {
        println!("     {line}");
    }
    verdict.context("the demo chain must verify")?;

    println!("\n5-7. The symmetric key. The seed's legacy way: the browser makes a key and encrypts it with");
    println!("     the site's public key. TLS 1.3 instead has both sides send ephemeral keys (key_share): here");
    println!("     the hybrid X25519MLKEM768, an X25519 exchange plus an ML-KEM-768 encapsulation, both mixed");
    println!("     into the shared secret, so a recording stays secret even against a future quantum computer");
    println!("     that breaks X25519 (and ML-KEM being new, X25519 still guards it). The site proves it owns site.key by");
    println!("     signing the handshake (CertificateVerify). A stolen site.key later cannot decrypt this");
    println!("     recording: forward secrecy. Both sides derived, without sending them:");
    let (c, s) = (client_secrets.get(), server_secrets.get());
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        let (Some(cv), Some(sv)) = (c.get(label), s.get(label)) else {
            bail!("{label} was not derived on both sides")
        };
        ensure!(cv == sv, "{label} differs between client and server");
        let on_wire = [&hello, &reply, &fin]
            .iter()
            .any(|w| w.windows(cv.len()).any(|x| x == &cv[..]));
        ensure!(!on_wire, "{label} appeared on the wire");
        println!(
            "       {label:<32} client {}  server {}  equal, never on the wire",
            hex8(cv),
            hex8(sv)
        );
    }
    println!(
        "     negotiated: {} with {} (ALPN {})",
        client
            .negotiated_cipher_suite()
            .map(|s| s.name())
            .unwrap_or("?"),
        client.negotiated_group().map(|g| g.name()).unwrap_or("?"),
        client
            .alpn_protocol()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default()
    );
    Ok(Session { client, server })
}

/// Seed communication stage: the request and the response, each sealed with the session keys.
pub fn communication_stage(mut session: Session, host: &str) -> Result<()> {
    heading("Communication stage (seed steps 1-2): AEAD-protected records both ways");
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
    println!(
        "\n1. The browser encrypts the request with the symmetric key; the server decrypts it."
    );
    session.client.writer().write_all(request.as_bytes())?;
    let wire = flight(&mut session.client, &mut session.server)?;
    show_flight("client -> server", &wire);
    println!(
        "      first bytes: {}  (header 17 03 03 + length, then ciphertext + 16-byte tag)",
        wire.iter()
            .take(24)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    ensure!(
        !wire.windows(3).any(|w| w == b"GET"),
        "the request is visible on the wire"
    );
    let mut got = vec![0u8; request.len()];
    session.server.reader().read_exact(&mut got)?;
    ensure!(got == request.as_bytes(), "the server read something else");
    println!(
        "      the server decrypted: {:?}",
        String::from_utf8_lossy(&got).lines().next().unwrap_or("")
    );

    println!(
        "\n2. The server encrypts the response with the symmetric key; the browser decrypts it."
    );
    let body = "<h1>Hello over TLS 1.3</h1>\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    session.server.writer().write_all(response.as_bytes())?;
    let wire = flight(&mut session.server, &mut session.client)?;
    show_flight("server -> client", &wire);
    let mut got = vec![0u8; response.len()];
    session.client.reader().read_exact(&mut got)?;
    ensure!(got == response.as_bytes(), "the client read something else");
    println!(
        "      the browser decrypted {} bytes: {:?}",
        got.len(),
        body.trim_end()
    );

    println!("\n   Integrity: the same kind of record with one bit flipped in transit is refused.");
    session
        .client
        .writer()
        .write_all(b"GET /tampered HTTP/1.1\r\n\r\n")?;
    let mut wire = Vec::new();
    while session.client.wants_write() {
        if session.client.write_tls(&mut wire)? == 0 {
            break;
        }
    }
    if let Some(last) = wire.last_mut() {
        *last ^= 0x01;
    }
    session.server.read_tls(&mut &wire[..])?;
    match session.server.process_new_packets() {
        Ok(_) => bail!("a tampered record was accepted"),
        Err(e) => println!(
            "      server: {e} -> alert {:?} sent, connection closed",
            e.alert().map(|a| format!("{a:?}")).unwrap_or_default()
        ),
    }
    Ok(())
}
