//! Writes the committed seed corpora (`fuzz/corpus/TARGET/seed-*`) from real handshakes:
//! RFC 8448's traces, a rustls client and server exchange (in memory, both directions recorded and
//! decrypted with their key logs), and an `openssl s_client` ↔ `openssl s_server` exchange captured
//! on 127.0.0.1 by a recording relay (decrypted with s_server's `-keylogfile`); both also with a
//! HelloRetryRequest. Run through `cargo xtask fuzz --make-seeds` (needs `openssl` on PATH and
//! `../shared/data/rfc8448/transcripts.vec`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use https_handshake::codec::{Codec, HandshakeMessage, HandshakePayload};
use https_kit_fuzz::fixtures;
use https_kit_fuzz::records::{plaintext, split_records, Sealer};
use https_kit_fuzz::script::{push_op, Op};
use https_record::Tls13Suite;

/// One recorded exchange, decrypted: handshake messages per direction in order.
#[derive(Debug, Default, Clone)]
struct Exchange {
    name: String,
    client: Vec<Vec<u8>>,
    server: Vec<Vec<u8>>,
    server_app: Vec<u8>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).map_or("corpus", String::as_str));
    let rfc = PathBuf::from(
        args.get(2)
            .map_or("../../shared/data/rfc8448/transcripts.vec", String::as_str),
    );
    let mut exchanges = rfc8448(&rfc);
    exchanges.push(rustls_exchange(false));
    exchanges.push(rustls_exchange(true));
    for hrr in [false, true] {
        match openssl_exchange(hrr) {
            Ok(x) => exchanges.push(x),
            Err(e) => eprintln!("make_seeds: openssl exchange skipped: {e}"),
        }
    }
    for x in &exchanges {
        eprintln!(
            "{}: {} client / {} server handshake messages",
            x.name,
            x.client.len(),
            x.server.len()
        );
    }
    let mut n = 0;
    n += server_seeds(&out.join("server"), &exchanges);
    n += client_seeds(&out.join("client"), &exchanges);
    n += codec_seeds(&out.join("handshake_codec"), &exchanges);
    n += record_seeds(&out.join("record"), &exchanges);
    let limbo = PathBuf::from(
        args.get(3)
            .map_or("../../shared/data/x509-limbo/limbo.json", String::as_str),
    );
    n += x509_seeds(&out.join("x509"), &limbo);
    n += pem_seeds(&out.join("pem_csr_key"));
    n += http_seeds(&out.join("http_request"));
    eprintln!("make_seeds: {n} seeds written under {}", out.display());
}

/// The limbo cases whose chains seed the `x509` target (their anchors are in
/// `fixtures/limbo_anchors.pem`, part of the target's fixed anchor set).
const LIMBO_PREFIXES: [(&str, usize); 7] = [
    ("rfc5280::", 10),
    ("webpki::", 8),
    ("pathlen::", 4),
    ("pathological::", 3),
    ("cve::", 2),
    ("crl::", 1),
    ("bettertls::", 3),
];

fn write_seed(dir: &Path, name: &str, bytes: &[u8]) -> usize {
    std::fs::create_dir_all(dir).expect("corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("write seed");
    1
}

// ---- RFC 8448 ----

fn rfc8448(path: &Path) -> Vec<Exchange> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "make_seeds: {}: {e}; RFC 8448 seeds skipped",
                path.display()
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut cur: Option<Exchange> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.extend(cur.take());
            cur = Some(Exchange {
                name: format!("rfc8448-{}", name.to_lowercase().replace('_', "-")),
                ..Exchange::default()
            });
            continue;
        }
        let (Some(x), Some((key, value))) = (cur.as_mut(), line.split_once(" = ")) else {
            continue;
        };
        let Ok(bytes) = hex_decode(value.trim()) else {
            continue;
        };
        match key {
            // Plaintext records: strip the 5-byte header.
            "Record_ClientHello_1" | "Record_ClientHello_2" => x.client.push(bytes[5..].to_vec()),
            "Record_HelloRetryRequest" => x.server.push(bytes[5..].to_vec()),
            k if k.starts_with("Message_") => x.server.push(bytes),
            _ => {}
        }
    }
    out.extend(cur);
    // HRR before the ServerHello it precedes.
    for x in &mut out {
        x.server
            .sort_by_key(|m| match HandshakeMessage::read_bytes(m) {
                Ok(HandshakeMessage(HandshakePayload::ServerHello(sh))) if sh.is_hrr() => 0,
                Ok(HandshakeMessage(HandshakePayload::ServerHello(_))) => 1,
                _ => 2,
            });
    }
    out
}

fn hex_decode(s: &str) -> Result<Vec<u8>, ()> {
    if !s.len().is_multiple_of(2) {
        return Err(());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| ()))
        .collect()
}

// ---- decrypting a recorded exchange ----

/// Splits one direction's bytes into handshake messages and application data, following its keys:
/// plaintext, then `hs_label`, then (after its Finished) `app_label`, then KeyUpdates.
fn decode_direction(
    wire: &[u8],
    suite: Option<Tls13Suite>,
    secrets: &HashMap<String, Vec<u8>>,
    labels: [&str; 2],
) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut buf = wire.to_vec();
    let mut key: Option<Sealer> = None;
    let mut stage = 0;
    let (mut msgs, mut app, mut hs) = (Vec::new(), Vec::new(), Vec::new());
    for (header, body) in split_records(&mut buf) {
        let (typ, content) = if header[0] == 23 {
            if key.is_none() && stage == 0 {
                let (Some(suite), Some(s)) = (suite, secrets.get(labels[0])) else {
                    break;
                };
                key = Some(Sealer::new(suite, s));
                stage = 1;
            }
            match key.as_mut().and_then(|k| k.open(&header, &body)) {
                Some(x) => x,
                None => break,
            }
        } else {
            (header[0], body)
        };
        match typ {
            22 => {
                hs.extend_from_slice(&content);
                while hs.len() >= 4 {
                    let len = u32::from_be_bytes([0, hs[1], hs[2], hs[3]]) as usize;
                    if hs.len() < 4 + len {
                        break;
                    }
                    let msg: Vec<u8> = hs.drain(..4 + len).collect();
                    match msg[0] {
                        20 if stage == 1 => {
                            if let (Some(suite), Some(s)) = (suite, secrets.get(labels[1])) {
                                key = Some(Sealer::new(suite, s));
                                stage = 2;
                            }
                        }
                        24 => key = key.as_ref().map(Sealer::next),
                        _ => {}
                    }
                    msgs.push(msg);
                }
            }
            23 => app.extend_from_slice(&content),
            _ => {}
        }
    }
    (msgs, app)
}

fn decode_exchange(
    name: &str,
    c2s: &[u8],
    s2c: &[u8],
    secrets: &HashMap<String, Vec<u8>>,
) -> Exchange {
    // The suite comes from the (last) ServerHello, which is plaintext.
    let mut buf = s2c.to_vec();
    let mut suite = None;
    for (h, body) in split_records(&mut buf) {
        if h[0] == 22 {
            if let Ok(HandshakeMessage(HandshakePayload::ServerHello(sh))) =
                HandshakeMessage::read_bytes(&body)
            {
                suite = sh.cipher_suite.supported();
            }
        }
    }
    let (client, _) = decode_direction(
        c2s,
        suite,
        secrets,
        ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"],
    );
    let (server, server_app) = decode_direction(
        s2c,
        suite,
        secrets,
        ["SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"],
    );
    Exchange {
        name: name.into(),
        client,
        server,
        server_app,
    }
}

// ---- rustls, in memory ----

#[derive(Debug, Default)]
struct RustlsKeys(Mutex<HashMap<String, Vec<u8>>>);

impl rustls::KeyLog for RustlsKeys {
    fn log(&self, label: &str, _: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .insert(label.to_string(), secret.to_vec());
    }
    fn will_log(&self, _: &str) -> bool {
        true
    }
}

fn rustls_exchange(hrr: bool) -> Exchange {
    use rustls::crypto::ring as provider;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let keys = Arc::new(RustlsKeys::default());
    let chain = vec![
        CertificateDer::from(fixtures::der(fixtures::SERVER_PEM)),
        CertificateDer::from(fixtures::der(fixtures::INTERMEDIATE_PEM)),
    ];
    let key = https_pki::PrivateKey::from_pem(fixtures::SERVER_KEY_PEM).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.pkcs8_der().to_vec()));
    let mut server_provider = provider::default_provider();
    if hrr {
        server_provider.kx_groups = vec![provider::kx_group::SECP256R1];
    }
    let mut sc = rustls::ServerConfig::builder_with_provider(Arc::new(server_provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    sc.key_log = keys.clone();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(fixtures::der(fixtures::ROOT_PEM)))
        .unwrap();
    let cc = rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut client =
        rustls::ClientConnection::new(Arc::new(cc), "fuzz.test".try_into().unwrap()).unwrap();
    let mut server = rustls::ServerConnection::new(Arc::new(sc)).unwrap();
    let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
    client
        .writer()
        .write_all(b"GET / HTTP/1.1\r\nHost: fuzz.test\r\n\r\n")
        .unwrap();
    for round in 0..20 {
        move_bytes(&mut client, &mut server, &mut c2s);
        if round == 3 {
            server
                .writer()
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .unwrap();
        }
        move_bytes(&mut server, &mut client, &mut s2c);
    }
    let secrets = keys.0.lock().unwrap().clone();
    let name = if hrr { "rustls-hrr" } else { "rustls" };
    decode_exchange(name, &c2s, &s2c, &secrets)
}

fn move_bytes<A, B, DA, DB>(from: &mut A, to: &mut B, record: &mut Vec<u8>)
where
    A: std::ops::DerefMut<Target = rustls::ConnectionCommon<DA>>,
    B: std::ops::DerefMut<Target = rustls::ConnectionCommon<DB>>,
    DA: rustls::SideData,
    DB: rustls::SideData,
{
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    record.extend_from_slice(&buf);
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).unwrap();
        to.process_new_packets().unwrap();
    }
}

// ---- openssl, on loopback ----

fn openssl_exchange(hrr: bool) -> Result<Exchange, String> {
    let dir = std::env::temp_dir().join(format!("https-kit-seeds-{}-{hrr}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let keylog = dir.join("keys.log");
    let port = free_port()?;
    let mut server = Command::new("openssl");
    server
        .args(["s_server", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-tls1_3", "-www", "-cert"])
        .arg(fx.join("server.crt"))
        .arg("-cert_chain")
        .arg(fx.join("int/ca.crt"))
        .arg("-key")
        .arg(fx.join("server.key"))
        .arg("-keylogfile")
        .arg(&keylog)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if hrr {
        server.args(["-groups", "X25519"]);
    }
    let mut server = server
        .spawn()
        .map_err(|e| format!("openssl s_server: {e}"))?;
    let result = (|| {
        let up = wait_for(port)?;
        drop(up);
        let relay = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let relay_port = relay.local_addr().unwrap().port();
        let mut client = Command::new("openssl");
        client
            .args(["s_client", "-connect"])
            .arg(format!("127.0.0.1:{relay_port}"))
            .args(["-servername", "fuzz.test", "-tls1_3", "-ign_eof", "-quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if hrr {
            client.args(["-groups", "P-256:X25519"]);
        }
        let mut client = client
            .spawn()
            .map_err(|e| format!("openssl s_client: {e}"))?;
        let (c2s, s2c) = record_relay(&relay, port, &mut client)?;
        let _ = client.kill();
        let _ = client.wait();
        let secrets = read_keylog(&keylog)?;
        let name = if hrr { "openssl-hrr" } else { "openssl" };
        Ok(decode_exchange(name, &c2s, &s2c, &secrets))
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().unwrap().port())
}

fn wait_for(port: u16) -> Result<TcpStream, String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            return Ok(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("openssl s_server did not start".into())
}

/// Accepts s_client, relays to s_server, sends an HTTP request once the handshake is through, and
/// records both directions until the server closes (bounded: 10 s).
fn record_relay(
    relay: &TcpListener,
    port: u16,
    client: &mut std::process::Child,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (down, _) = relay.accept().map_err(|e| e.to_string())?;
    let up = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let deadline = Duration::from_secs(10);
    for s in [&down, &up] {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    let c2s = Arc::new(Mutex::new(Vec::new()));
    let s2c = Arc::new(Mutex::new(Vec::new()));
    let pump = |mut from: TcpStream, mut to: TcpStream, log: Arc<Mutex<Vec<u8>>>| {
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut buf = [0u8; 16_384];
            while start.elapsed() < deadline {
                match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        log.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        })
    };
    let a = pump(
        down.try_clone().unwrap(),
        up.try_clone().unwrap(),
        c2s.clone(),
    );
    let b = pump(up, down, s2c.clone());
    std::thread::sleep(Duration::from_millis(500));
    if let Some(stdin) = client.stdin.as_mut() {
        let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
    }
    let _ = b.join();
    let _ = client.kill();
    let _ = a.join();
    let c2s = c2s.lock().unwrap().clone();
    let s2c = s2c.lock().unwrap().clone();
    Ok((c2s, s2c))
}

fn read_keylog(path: &Path) -> Result<HashMap<String, Vec<u8>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("key log: {e}"))?;
    let mut out = HashMap::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() == 3 {
            if let Ok(s) = hex_decode(parts[2]) {
                out.insert(parts[0].to_string(), s);
            }
        }
    }
    Ok(out)
}

// ---- the seeds ----

fn is_type(msg: &[u8], typ: u8) -> bool {
    msg.first() == Some(&typ)
}

/// Scripts for our server: the recorded client's hellos, then a correct Finished, a request, a
/// KeyUpdate, a response from us, and close_notify.
fn server_seeds(dir: &Path, xs: &[Exchange]) -> usize {
    let mut n = 0;
    for x in xs {
        let hellos: Vec<&Vec<u8>> = x.client.iter().filter(|m| is_type(m, 1)).collect();
        if hellos.is_empty() {
            continue;
        }
        // A recorded second hello is only useful when our server also asks for a retry: groups
        // limited to P-256 (settings bit 7) and a first share that is not P-256.
        let variants: &[(u8, &str)] = if hellos.len() > 1 {
            &[(0x80, "hrr"), (0x80 | 0x08 | 0x02, "hrr-alpn-chunked")]
        } else {
            &[
                (0x00, "full"),
                (0x08 | 0x01, "alpn-bytewise"),
                (0x40 | 0x03, "no-tickets"),
                (0x10 | 0x06, "client-auth-optional"),
                (0x80, "retry"),
            ]
        };
        for (settings, what) in variants {
            let mut s = vec![*settings];
            push_op(&mut s, Op::Handshake, hellos[0]);
            push_op(&mut s, Op::Typed, &[20, 0, 1]); // compatibility CCS
            if *settings & 0x80 != 0 {
                // Our HRR asks for P-256: the second hello (recorded, or the first again).
                push_op(&mut s, Op::Handshake, hellos.get(1).unwrap_or(&hellos[0]));
            }
            if *settings & 0x10 != 0 {
                push_op(&mut s, Op::Handshake, &[11, 0, 0, 4, 0, 0, 0, 0]); // empty Certificate
            }
            push_op(&mut s, Op::Finished, &[]);
            push_op(
                &mut s,
                Op::AppData,
                b"GET / HTTP/1.1\r\nHost: fuzz.test\r\n\r\n",
            );
            push_op(&mut s, Op::KeyUpdate, &[1]);
            push_op(&mut s, Op::Control, b"\x01HTTP/1.1 200 OK\r\n\r\n");
            push_op(&mut s, Op::AppData, b"more");
            push_op(&mut s, Op::Alert, &[1, 0]);
            n += write_seed(dir, &format!("{}-{what}", x.name), &s);
        }
    }
    // Hostile shapes the conformance work bounds: a KeyUpdate flood from a peer that never reads,
    // empty records, a large ClientHello cut into records.
    if let Some(x) = xs.iter().find(|x| x.name == "rustls") {
        let mut s = vec![0x00];
        push_op(&mut s, Op::Handshake, &x.client[0]);
        push_op(&mut s, Op::Finished, &[]);
        push_op(&mut s, Op::Control, &[4]);
        for _ in 0..40 {
            push_op(&mut s, Op::KeyUpdate, &[1]);
        }
        n += write_seed(dir, "keyupdate-flood-never-read", &s);
        let mut s = vec![0x00];
        push_op(&mut s, Op::Handshake, &x.client[0]);
        push_op(&mut s, Op::Finished, &[]);
        for _ in 0..40 {
            push_op(&mut s, Op::AppData, &[]);
        }
        n += write_seed(dir, "empty-records", &s);
    }
    n
}

/// Scripts for our client: the recorded server flight (the recorded Finished replaced by a correct
/// one), post-handshake messages under the application key, data both ways, close_notify.
fn client_seeds(dir: &Path, xs: &[Exchange]) -> usize {
    let mut n = 0;
    for x in xs {
        let Some(sh_at) = x.server.iter().position(|m| {
            matches!(HandshakeMessage::read_bytes(m),
                Ok(HandshakeMessage(HandshakePayload::ServerHello(sh))) if !sh.is_hrr())
        }) else {
            continue;
        };
        let hrr: Vec<&Vec<u8>> = x.server[..sh_at].iter().collect();
        let fin_at = x.server[sh_at..]
            .iter()
            .position(|m| is_type(m, 20))
            .map_or(x.server.len(), |i| sh_at + i);
        for (settings, what) in [
            (0x00u8, "full"),
            (0x08 | 0x01, "alpn-bytewise"),
            (0x10 | 0x05, "no-compat"),
        ] {
            let mut s = vec![settings];
            for m in &hrr {
                push_op(&mut s, Op::Handshake, m);
            }
            for m in &x.server[sh_at..fin_at] {
                push_op(&mut s, Op::Handshake, m);
            }
            push_op(&mut s, Op::Finished, &[]);
            for m in x.server.iter().skip(fin_at + 1).filter(|m| is_type(m, 4)) {
                push_op(&mut s, Op::Handshake, m); // NewSessionTicket
            }
            push_op(&mut s, Op::Control, b"\x01GET / HTTP/1.1\r\n\r\n");
            let body: &[u8] = if x.server_app.is_empty() {
                b"HTTP/1.1 200 OK\r\n\r\n"
            } else {
                &x.server_app
            };
            push_op(&mut s, Op::AppData, &body[..body.len().min(4000)]);
            push_op(&mut s, Op::KeyUpdate, &[1]);
            push_op(&mut s, Op::AppData, b"after update");
            push_op(&mut s, Op::Alert, &[1, 0]);
            n += write_seed(dir, &format!("{}-{what}", x.name), &s);
        }
    }
    n
}

const CODEC_BODY_SOURCES: [&str; 4] = [
    "rfc8448-helloretryrequest-handshake",
    "rfc8448-client-authentication-handshake",
    "rustls",
    "openssl-hrr",
];

/// Every recorded message for the whole-message decoder (selector 0), and its body for the
/// message-specific decoders (selectors 1..8), plus extension blocks (selector 9).
fn codec_seeds(dir: &Path, xs: &[Exchange]) -> usize {
    let mut n = 0;
    let mut seen = std::collections::HashSet::new();
    for x in xs {
        for (i, m) in x.client.iter().chain(&x.server).enumerate() {
            if m.len() < 4 || !seen.insert(m.clone()) {
                continue;
            }
            let mut s = vec![0];
            s.extend_from_slice(m);
            n += write_seed(dir, &format!("{}-{i}-msg", x.name), &s);
            // Bodies and extension blocks from a few exchanges only: a small corpus.
            if !CODEC_BODY_SOURCES.contains(&x.name.as_str()) {
                continue;
            }
            let selector = match m[0] {
                1 => 1,
                2 => 2,
                11 => 3,
                15 => 4,
                13 => 5,
                4 => 6,
                _ => continue,
            };
            let mut s = vec![selector];
            s.extend_from_slice(&m[4..]);
            n += write_seed(dir, &format!("{}-{i}-body", x.name), &s);
            if m[0] == 1 {
                if let Ok(HandshakeMessage(HandshakePayload::ClientHello(ch))) =
                    HandshakeMessage::read_bytes(m)
                {
                    let mut s = vec![9];
                    https_handshake::codec::encode_client_exts(&mut s, &ch.extensions);
                    n += write_seed(dir, &format!("{}-{i}-exts", x.name), &s);
                }
            }
        }
    }
    n
}

/// Record-layer scripts: recorded handshake messages and application data as sealed records of
/// each suite, with padding, a close_notify, and plaintext ones (settings bit 7).
fn record_seeds(dir: &Path, xs: &[Exchange]) -> usize {
    let mut n = 0;
    for (k, x) in xs
        .iter()
        .filter(|x| !x.server_app.is_empty())
        .take(3)
        .enumerate()
    {
        for suite in 0..3u8 {
            let mut s = vec![(suite << 3) | (k as u8 % 8)];
            for m in x.server.iter().take(4) {
                push_op(&mut s, Op::Handshake, m);
            }
            let app = &x.server_app[..x.server_app.len().min(2000)];
            push_op(&mut s, Op::AppData, app);
            let mut typed = vec![23, 4];
            typed.extend_from_slice(b"padded");
            push_op(&mut s, Op::Typed, &typed);
            push_op(&mut s, Op::Alert, &[1, 0]);
            n += write_seed(dir, &format!("{}-suite{suite}", x.name), &s);
        }
    }
    let mut s = vec![0x80 | 0x40];
    let mut raw = Vec::new();
    plaintext(22, &[1, 0, 0, 0], &mut raw);
    plaintext(20, &[1], &mut raw);
    push_op(&mut s, Op::Raw, &raw);
    n += write_seed(dir, "plaintext-ccs", &s);
    let mut s = vec![0x01];
    for _ in 0..40 {
        push_op(&mut s, Op::AppData, &[]);
    }
    n += write_seed(dir, "empty-records", &s);
    n
}

fn x509_script(settings: u8, ders: &[Vec<u8>]) -> Vec<u8> {
    let mut s = vec![settings];
    for d in ders {
        push_op(&mut s, Op::Raw, d);
    }
    s
}

/// Our fixture chains (valid, wrong name, client purpose, missing intermediate, RFC 8448's
/// self-signed certificate) and chains from x509-limbo; writes the limbo anchors fixture.
fn x509_seeds(dir: &Path, limbo: &Path) -> usize {
    let leaf = fixtures::der(fixtures::SERVER_PEM);
    let int = fixtures::der(fixtures::INTERMEDIATE_PEM);
    let client = fixtures::der(fixtures::CLIENT_PEM);
    let rfc = fixtures::der(fixtures::RFC8448_SERVER_PEM);
    let mut n = 0;
    n += write_seed(
        dir,
        "fixture-valid",
        &x509_script(0x00, &[leaf.clone(), int.clone()]),
    );
    n += write_seed(
        dir,
        "fixture-ip",
        &x509_script(0x01, &[leaf.clone(), int.clone()]),
    );
    n += write_seed(
        dir,
        "fixture-wrong-name",
        &x509_script(0x03, &[leaf.clone(), int.clone()]),
    );
    n += write_seed(
        dir,
        "fixture-no-intermediate",
        &x509_script(0x00, std::slice::from_ref(&leaf)),
    );
    n += write_seed(dir, "fixture-client", &x509_script(0x04, &[client]));
    n += write_seed(dir, "fixture-depth", &x509_script(0x40, &[leaf, int]));
    n += write_seed(dir, "rfc8448-rsa", &x509_script(0x02 | 0x10, &[rfc]));
    let text = match std::fs::read_to_string(limbo) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("make_seeds: {}: {e}; limbo seeds skipped", limbo.display());
            return n;
        }
    };
    let v: serde_json::Value = serde_json::from_str(&text).expect("limbo.json");
    let cases = v["testcases"].as_array().expect("testcases");
    let mut anchors = String::new();
    for (prefix, count) in LIMBO_PREFIXES {
        for t in cases
            .iter()
            .filter(|t| t["id"].as_str().is_some_and(|id| id.starts_with(prefix)))
            .take(count)
        {
            let pems = |k: &str| -> Vec<String> {
                t[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for a in pems("trusted_certs") {
                anchors.push_str(&a);
                anchors.push('\n');
            }
            let mut ders = vec![fixtures::der(t["peer_certificate"].as_str().unwrap_or(""))];
            ders.extend(
                pems("untrusted_intermediates")
                    .iter()
                    .map(|p| fixtures::der(p)),
            );
            // Names in limbo are all over the place; settings 0x20 = no name check.
            let settings = if t["validation_kind"] == "CLIENT" {
                0x24
            } else {
                0x20
            };
            let id = t["id"].as_str().unwrap().replace("::", "-");
            n += write_seed(dir, &format!("limbo-{id}"), &x509_script(settings, &ders));
        }
    }
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/limbo_anchors.pem");
    std::fs::write(fx, anchors).expect("write limbo anchors");
    n
}

/// Keys in every encoding openssl writes, public keys, CSRs (ours and openssl's), bundles, a CA's
/// files; each seed is the selector byte then the file.
fn pem_seeds(dir: &Path) -> usize {
    let tmp = std::env::temp_dir().join(format!("https-kit-pem-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let run = |args: &[&str]| -> Option<Vec<u8>> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&tmp)
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    };
    let mut files: Vec<(u8, String, Vec<u8>)> = Vec::new();
    let gens: [(&str, &[&str]); 5] = [
        (
            "p256",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ],
        ),
        (
            "p384",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ],
        ),
        ("ed25519", &["genpkey", "-algorithm", "ed25519"]),
        (
            "rsa2048",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
        ),
        (
            "rsa-pss",
            &[
                "genpkey",
                "-algorithm",
                "RSA-PSS",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
        ),
    ];
    for (name, args) in gens {
        let Some(pkcs8) = run(args) else { continue };
        let file = format!("{name}.key");
        std::fs::write(tmp.join(&file), &pkcs8).unwrap();
        files.push((0, format!("{name}-pkcs8"), pkcs8));
        if let Some(trad) = run(&["pkey", "-in", &file, "-traditional"]) {
            files.push((0, format!("{name}-traditional"), trad)); // SEC1 / PKCS#1
        }
        if let Some(public) = run(&["pkey", "-in", &file, "-pubout"]) {
            files.push((3, format!("{name}-public"), public));
        }
        if let Some(csr) = run(&[
            "req",
            "-new",
            "-key",
            &file,
            "-subj",
            "/CN=fuzz.test",
            "-addext",
            "subjectAltName=DNS:fuzz.test,IP:127.0.0.1",
        ]) {
            std::fs::write(tmp.join("req.csr"), &csr).unwrap();
            files.push((1, format!("{name}-openssl-csr"), csr));
            if let Some(der) = run(&["req", "-in", "req.csr", "-outform", "DER"]) {
                files.push((2, format!("{name}-csr-der"), der));
            }
        }
    }
    let read = |p: &str| std::fs::read(fx.join(p)).unwrap();
    files.push((1, "ours-csr".into(), read("server.csr")));
    if let Ok(csr) = https_pki::Csr::from_pem(&String::from_utf8(read("server.csr")).unwrap()) {
        files.push((2, "ours-csr-der".into(), csr.der().to_vec()));
    }
    files.push((0, "ours-key".into(), read("server.key")));
    files.push((4, "fullchain".into(), read("server.fullchain.crt")));
    files.push((5, "anchors".into(), read("ca/ca.crt")));
    files.push((7, "inspect-cert".into(), read("server.crt")));
    files.push((7, "inspect-csr".into(), read("server.csr")));
    files.push((8, "inspect-bundle".into(), read("server.fullchain.crt")));
    let mut ca = read("int/ca.crt");
    ca.push(0);
    ca.extend_from_slice(&read("server.key")); // not the CA's key: a mismatch to refuse
    ca.push(0);
    ca.extend_from_slice(&read("ca/ca.crt"));
    files.push((6, "ca-files".into(), ca));
    let _ = std::fs::remove_dir_all(&tmp);
    let mut n = 0;
    for (selector, name, bytes) in files {
        let mut s = vec![selector];
        s.extend_from_slice(&bytes);
        n += write_seed(dir, &name, &s);
    }
    n
}

/// Request targets for `serve`'s file service: the tree's traps (see the target) and the encodings
/// that reach them. The first byte: method (bits 0-1), listings (bit 2), Range (bit 3),
/// If-Modified-Since (bit 4).
fn http_seeds(dir: &Path) -> usize {
    let targets: [(u8, &str); 20] = [
        (0, "/"),
        (0, "/a.txt"),
        (1, "/a.txt"),
        (0x08, "/dir/sub/b.txt"),
        (0x10, "/a.txt"),
        (0, "/dir"),
        (0, "/dir/"),
        (0, "//dir"),
        (4, "/empty/"),
        (0, "/out"),
        (0, "/outdir/secret.txt"),
        (0, "/in"),
        (0, "/fifo"),
        (0, "/sp%20ace.txt"),
        (0, "/%2541.txt"),
        (0, "/../secret.txt"),
        (0, "/dir/%2e%2e/%2e%2e/secret.txt"),
        (0, "/a.txt?x=1&y=%00"),
        (2, "/a.txt"),
        (0, "/dir%2fsub%2fb.txt"),
    ];
    let mut n = 0;
    for (i, (sel, t)) in targets.iter().enumerate() {
        let mut s = vec![*sel];
        s.extend_from_slice(t.as_bytes());
        n += write_seed(dir, &format!("{i:02}"), &s);
    }
    n
}
