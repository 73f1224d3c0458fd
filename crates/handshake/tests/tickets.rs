//! Session tickets as a server fleet needs them: on by default, two per handshake before any
//! application data, bound to SNI / ALPN / client identity, and sealed under rotating keys that two
//! servers can share through a key file. Peers: our client, rustls in-process, openssl s_client.

mod common;

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use https_handshake::{
    CertifiedKey, ClientConfig, ClientConnection, ClientSessionStore, Error, ServerConfig,
    ServerConnection, SigningKey, TicketKeyError, TicketKeyFile, Ticketer, TraceEvent,
};
use https_pki::{KeyType, Profile};
use rustls::crypto::ring::{cipher_suite, kx_group};
use rustls_pki_types::ServerName;

/// A server certificate for the names the SNI tests use.
fn multi_name_leaf() -> &'static Leaf {
    static LEAF: std::sync::OnceLock<Leaf> = std::sync::OnceLock::new();
    LEAF.get_or_init(|| {
        leaf(
            &pki().ca,
            &["localhost", "a.test", "b.test"],
            &Profile::server().key_type(KeyType::EcdsaP256),
        )
    })
}

/// Our server with the library defaults (tickets on) plus `alpn`.
fn default_server(alpn: &[&[u8]]) -> Arc<ServerConfig> {
    let l = multi_name_leaf();
    Arc::new(serving(l).with_alpn(alpn).with_trace(true).build().unwrap())
}

fn server_with_ticketer(t: Arc<Ticketer>) -> Arc<ServerConfig> {
    let l = multi_name_leaf();
    Arc::new(serving(l).with_ticketer(t).build().unwrap())
}

fn our_client() -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_trace(true)
            .build()
            .unwrap(),
    )
}

type Pair = (Ours<ClientConnection>, Ours<ServerConnection>);

/// Handshake, then deliver what the server still owes (its tickets) and one byte of data.
fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>, name: &str) -> Pair {
    let mut c = Ours::new(ClientConnection::new(client.clone(), name).unwrap());
    let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"x"), b"x");
    (c, s)
}

fn nst_count(trace: &[TraceEvent]) -> usize {
    trace
        .iter()
        .filter(|e| {
            matches!(
                e,
                TraceEvent::Received {
                    message: "NewSessionTicket",
                    ..
                }
            )
        })
        .count()
}

/// A rustls ticket store that counts tickets and, when `any_name`, hands a ticket stored for one
/// name to a connection to any other name (as a confused or hostile client would).
#[derive(Debug)]
struct Store {
    inner: rustls::client::ClientSessionMemoryCache,
    inserted: Mutex<usize>,
    any_name: bool,
}

impl Store {
    fn new(any_name: bool) -> Arc<Self> {
        Arc::new(Self {
            inner: rustls::client::ClientSessionMemoryCache::new(16),
            inserted: Mutex::new(0),
            any_name,
        })
    }
    fn key<'a>(&self, n: &ServerName<'a>) -> ServerName<'a> {
        if self.any_name {
            ServerName::try_from("shared.invalid").unwrap()
        } else {
            n.clone()
        }
    }
    fn inserted(&self) -> usize {
        *self.inserted.lock().unwrap()
    }
}

impl rustls::client::ClientSessionStore for Store {
    fn set_kx_hint(&self, n: ServerName<'static>, g: rustls::NamedGroup) {
        self.inner.set_kx_hint(n, g)
    }
    fn kx_hint(&self, n: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(n)
    }
    fn set_tls12_session(
        &self,
        n: ServerName<'static>,
        v: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(n, v)
    }
    fn tls12_session(&self, n: &ServerName<'_>) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(n)
    }
    fn remove_tls12_session(&self, n: &ServerName<'static>) {
        self.inner.remove_tls12_session(n)
    }
    fn insert_tls13_ticket(
        &self,
        n: ServerName<'static>,
        v: rustls::client::Tls13ClientSessionValue,
    ) {
        *self.inserted.lock().unwrap() += 1;
        self.inner.insert_tls13_ticket(self.key(&n), v)
    }
    fn take_tls13_ticket(
        &self,
        n: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        self.inner.take_tls13_ticket(&self.key(n))
    }
}

fn rustls_with_store(store: Arc<Store>, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &pki().ca,
        alpn,
    );
    let mut cfg = Arc::try_unwrap(cfg).unwrap();
    cfg.resumption = rustls::client::Resumption::store(store);
    Arc::new(cfg)
}

/// One rustls connection to our server; returns how the handshake went.
fn rustls_connect(
    cfg: &Arc<rustls::ClientConfig>,
    server: &Arc<ServerConfig>,
    name: &str,
) -> (rustls::HandshakeKind, Ours<ServerConnection>) {
    let mut c = Theirs::new(rustls_client_conn(cfg.clone(), name));
    let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"x"), b"x");
    (c.conn.handshake_kind().unwrap(), s)
}

#[test]
fn default_server_config_resumes_our_client_and_rustls() {
    let server = default_server(&[]);
    let client = our_client();
    let (c, s) = connect(&client, &server, "localhost");
    assert!(!c.conn.is_resumed() && !s.conn.is_resumed());
    assert_eq!(nst_count(c.conn.trace()), 2, "two tickets by default");
    let (c, s) = connect(&client, &server, "localhost");
    assert!(
        c.conn.is_resumed() && s.conn.is_resumed(),
        "our client resumed"
    );

    let store = Store::new(false);
    let cfg = rustls_with_store(store.clone(), &[]);
    let (kind, _) = rustls_connect(&cfg, &server, "localhost");
    assert_eq!(kind, rustls::HandshakeKind::Full);
    assert_eq!(store.inserted(), 2);
    let (kind, s) = rustls_connect(&cfg, &server, "localhost");
    assert_eq!(kind, rustls::HandshakeKind::Resumed);
    assert!(s.conn.is_resumed());
    drop(c);
}

#[test]
fn two_tickets_arrive_before_the_first_application_data_byte() {
    let server = default_server(&[]);
    let store = Store::new(false);
    let cfg = rustls_with_store(store.clone(), &[]);
    let mut c = Theirs::new(rustls_client_conn(cfg, "localhost"));
    let mut s = Ours::new(ServerConnection::new(server).unwrap());
    // ClientHello -> server flight -> client Finished; then the server writes at once.
    let ch = c.out();
    s.feed(&ch).unwrap();
    let flight = s.out();
    c.feed(&flight).unwrap();
    let fin = c.out();
    s.feed(&fin).unwrap();
    assert!(!s.handshaking());
    std::io::Write::write_all(&mut s.conn.writer(), b"first byte").unwrap();
    let out = s.out();
    // Feed the server's records one at a time: no plaintext may come before both tickets.
    let mut at = 0;
    let mut seen = Vec::new(); // (tickets stored, plaintext bytes) after each record
    while at < out.len() {
        let len = u16::from_be_bytes([out[at + 3], out[at + 4]]) as usize;
        c.feed(&out[at..at + 5 + len]).unwrap();
        at += 5 + len;
        seen.push((store.inserted(), c.got.len()));
    }
    let first_data = seen.iter().position(|&(_, n)| n > 0).expect("data arrives");
    assert_eq!(
        seen[first_data].0, 2,
        "both tickets before the data: {seen:?}"
    );
    assert!(seen[..first_data].iter().all(|&(_, n)| n == 0));
    // (Both tickets share one record, coalesced like a flight; the data is the next record.)
    assert_eq!(seen, [(2, 0), (2, 10)]);
    assert_eq!(c.take_plain(), b"first byte");
}

#[test]
fn no_tickets_without_psk_modes_or_when_off_or_count_zero() {
    let l = multi_name_leaf();
    // Our client with resumption off sends no psk_key_exchange_modes.
    let no_modes = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_resumption(false)
            .with_trace(true)
            .build()
            .unwrap(),
    );
    let (c, _) = connect(&no_modes, &default_server(&[]), "localhost");
    assert_eq!(nst_count(c.conn.trace()), 0, "no psk modes: no tickets");
    let build = |b: https_handshake::ServerConfigBuilder| Arc::new(b.build().unwrap());
    let base = || serving(l);
    for (what, server) in [
        ("off", build(base().with_session_tickets(false))),
        ("count 0", build(base().with_ticket_count(0))),
    ] {
        let (c, _) = connect(&our_client(), &server, "localhost");
        assert_eq!(nst_count(c.conn.trace()), 0, "{what}");
    }
    let (c, _) = connect(
        &our_client(),
        &build(base().with_ticket_count(5)),
        "localhost",
    );
    assert_eq!(nst_count(c.conn.trace()), 5, "count 5");
    // The announced lifetime is bounded by RFC 8446 §4.6.1.
    for bad in [Duration::ZERO, Duration::from_secs(7 * 86400 + 1)] {
        assert!(matches!(
            base().with_ticket_lifetime(bad).build(),
            Err(Error::Config(_))
        ));
    }
}

#[test]
fn a_ticket_for_one_sni_is_refused_for_another() {
    let server = default_server(&[]);
    let store = Store::new(true); // hands a.test's tickets to b.test too
    let cfg = rustls_with_store(store.clone(), &[]);
    assert_eq!(
        rustls_connect(&cfg, &server, "a.test").0,
        rustls::HandshakeKind::Full
    );
    let (kind, s) = rustls_connect(&cfg, &server, "b.test");
    assert_eq!(kind, rustls::HandshakeKind::Full, "b.test must not resume");
    assert!(!s.conn.is_resumed());
    assert!(
        s.conn.trace().iter().any(|e| matches!(e,
            TraceEvent::Check { what: "resumption", detail } if detail.contains("another server_name"))),
        "{:?}",
        s.conn.trace()
    );
    // Control: the tickets b.test got (bound to b.test) resume b.test.
    assert_eq!(
        rustls_connect(&cfg, &server, "b.test").0,
        rustls::HandshakeKind::Resumed
    );
}

#[test]
fn a_ticket_for_one_alpn_is_refused_for_another() {
    let server = default_server(&[b"h2", b"http/1.1"]);
    let store = Arc::new(ClientSessionStore::default());
    let with_alpn = |alpn: &[&[u8]]| {
        Arc::new(
            ClientConfig::builder()
                .with_root_certificates(anchors(&pki().ca))
                .with_alpn(alpn)
                .with_session_store(store.clone())
                .build()
                .unwrap(),
        )
    };
    let (h2, h1) = (with_alpn(&[b"h2"]), with_alpn(&[b"http/1.1"]));
    let (c, _) = connect(&h2, &server, "localhost");
    assert_eq!(c.conn.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(store.tickets_for("localhost"), 2);
    let (c, s) = connect(&h1, &server, "localhost");
    assert!(!c.conn.is_resumed() && !s.conn.is_resumed(), "ALPN changed");
    assert_eq!(c.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    // Control: the full handshake stored tickets bound to http/1.1; those resume.
    let (c, _) = connect(&h1, &server, "localhost");
    assert!(c.conn.is_resumed());
}

fn key_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("tickets.key");
    TicketKeyFile::create(&path).unwrap();
    path
}

fn file_ticketer(path: &Path) -> Arc<Ticketer> {
    Arc::new(
        Ticketer::from_key_file(path)
            .unwrap()
            .with_reload_interval(Duration::ZERO),
    )
}

#[test]
fn two_servers_sharing_a_key_file_resume_each_others_tickets_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Two "processes": separate ticketers reading the same file.
    let a = server_with_ticketer(file_ticketer(&path));
    let b = server_with_ticketer(file_ticketer(&path));
    let (one, two, three) = (our_client(), our_client(), our_client());
    for c in [&one, &two, &three] {
        assert!(!connect(c, &a, "localhost").0.conn.is_resumed());
    }
    // A's tickets resume at B, and B's at A.
    assert!(connect(&one, &b, "localhost").0.conn.is_resumed());
    assert!(connect(&one, &a, "localhost").0.conn.is_resumed());

    // One rotation: the previous key still opens the tickets it sealed.
    TicketKeyFile::rotate(&path).unwrap();
    assert!(connect(&two, &b, "localhost").0.conn.is_resumed());
    // ...and both servers now seal with the new key: tickets from B resume at A.
    assert!(connect(&two, &a, "localhost").0.conn.is_resumed());

    // Two rotations: `three` still holds tickets under the first key, now gone.
    TicketKeyFile::rotate(&path).unwrap();
    let (c, s) = connect(&three, &b, "localhost");
    assert!(
        !c.conn.is_resumed() && !s.conn.is_resumed(),
        "key two periods old"
    );
    // `two` got its tickets under the second key, which still opens.
    assert!(connect(&two, &a, "localhost").0.conn.is_resumed());
}

#[test]
fn a_key_file_is_looked_at_no_more_often_than_its_reload_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path());
    let slow = Arc::new(
        Ticketer::from_key_file(&path)
            .unwrap()
            .with_reload_interval(Duration::from_secs(3600)),
    );
    let slow_server = server_with_ticketer(slow.clone());
    // Two rotations elsewhere: the file no longer holds the key `slow` seals with...
    TicketKeyFile::rotate(&path).unwrap();
    TicketKeyFile::rotate(&path).unwrap();
    let client = our_client();
    connect(&client, &slow_server, "localhost");
    // ...so a server that reads the file now cannot open `slow`'s tickets,
    let fresh = server_with_ticketer(file_ticketer(&path));
    assert!(!connect(&client, &fresh, "localhost").0.conn.is_resumed());
    // and after `slow` re-reads the file, they share keys again.
    slow.reload().unwrap();
    connect(&client, &slow_server, "localhost");
    assert!(connect(&client, &fresh, "localhost").0.conn.is_resumed());
}

#[test]
fn a_group_or_world_readable_key_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path());
    for mode in [0o640, 0o604, 0o660] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        match Ticketer::from_key_file(&path) {
            Err(Error::TicketKeys(TicketKeyError::Permissions { mode: m, .. })) => {
                assert_eq!(m, mode)
            }
            other => panic!("mode {mode:o}: {other:?}"),
        }
        assert!(matches!(
            TicketKeyFile::rotate(&path),
            Err(TicketKeyError::Permissions { .. })
        ));
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(Ticketer::from_key_file(&path).is_ok(), "0400 is fine");
    assert!(matches!(
        TicketKeyFile::create(&path),
        Err(TicketKeyError::Exists { .. })
    ));
    let missing = Ticketer::from_key_file(&dir.path().join("none")).unwrap_err();
    assert!(
        matches!(missing, Error::TicketKeys(TicketKeyError::Io { kind, .. }) if kind == std::io::ErrorKind::NotFound)
    );
}

#[test]
fn a_bad_reload_keeps_the_keys_in_use_and_reports_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path());
    let ticketer = file_ticketer(&path);
    let server = server_with_ticketer(ticketer.clone());
    let client = our_client();
    connect(&client, &server, "localhost");
    // Damaged in place (same 0600 mode): the server keeps its keys and says why.
    std::fs::write(&path, "https-kit-ticket-keys v1\n123 nothex\n").unwrap();
    assert!(ticketer.reload().is_err());
    assert!(matches!(
        ticketer.last_reload_error(),
        Some(TicketKeyError::Format { line: 2, .. })
    ));
    assert!(connect(&client, &server, "localhost").0.conn.is_resumed());
    // Oversized: refused the same way.
    std::fs::write(&path, vec![b'#'; 5000]).unwrap();
    assert!(matches!(
        ticketer.reload(),
        Err(Error::TicketKeys(TicketKeyError::TooLarge { .. }))
    ));
}

#[test]
fn keys_older_than_the_rotation_period_keep_working_and_are_reported_stale() {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.key");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let day_old = now - 24 * 3600;
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    writeln!(
        f,
        "https-kit-ticket-keys v1\n{day_old} {}\n{} {}",
        "11".repeat(32),
        day_old - 6 * 3600,
        "22".repeat(32)
    )
    .unwrap();
    drop(f);
    let ticketer = file_ticketer(&path);
    assert!(ticketer.is_stale(), "newest key is a day old");
    // Rather than split a fleet over keys, the server goes on with the newest key.
    let server = server_with_ticketer(ticketer.clone());
    let client = our_client();
    connect(&client, &server, "localhost");
    assert!(connect(&client, &server, "localhost").0.conn.is_resumed());
    // Rotating through the ticketer rotates the file: fresh again.
    ticketer.rotate().unwrap();
    assert!(!ticketer.is_stale());
    assert!(
        !Ticketer::new().unwrap().is_stale(),
        "in memory: never stale"
    );
}

fn client_leaf() -> Leaf {
    leaf(
        &pki().ca,
        &["client.test"],
        &Profile::client().key_type(KeyType::EcdsaP256),
    )
}

fn client_auth_server(required: bool) -> Arc<ServerConfig> {
    let l = multi_name_leaf();
    Arc::new(
        serving(l)
            .with_client_ca(anchors(&pki().ca), required)
            .with_trace(true)
            .build()
            .unwrap(),
    )
}

#[test]
fn resumption_under_client_auth_keeps_peer_certificates() {
    let l = client_leaf();
    let server = client_auth_server(true);
    // Our client.
    let ck =
        CertifiedKey::new(l.chain.clone(), SigningKey::from_der(&l.key_pkcs8).unwrap()).unwrap();
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_client_cert(ck)
            .build()
            .unwrap(),
    );
    let (_, s) = connect(&client, &server, "localhost");
    assert_eq!(s.conn.peer_certificates(), Some(&l.chain[..]));
    let (c, s) = connect(&client, &server, "localhost");
    assert!(c.conn.is_resumed() && s.conn.is_resumed());
    assert_eq!(
        s.conn.peer_certificates(),
        Some(&l.chain[..]),
        "after resumption"
    );

    // rustls with a client certificate.
    let chain = l
        .chain
        .iter()
        .map(|c| rustls_pki_types::CertificateDer::from(c.clone()))
        .collect();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(l.key_pkcs8.clone().into());
    let cfg = rustls::ClientConfig::builder_with_provider(rustls_provider(
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        kx_group::X25519,
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(rustls_roots(&pki().ca))
    .with_client_auth_cert(chain, key)
    .unwrap();
    let cfg = Arc::new(cfg);
    rustls_connect(&cfg, &server, "localhost");
    let (kind, s) = rustls_connect(&cfg, &server, "localhost");
    assert_eq!(kind, rustls::HandshakeKind::Resumed);
    assert_eq!(s.conn.peer_certificates(), Some(&l.chain[..]));
}

#[test]
fn an_anonymous_ticket_does_not_resume_where_a_client_certificate_is_required() {
    // A fleet member with optional client auth issues a ticket to a client without a certificate;
    // a member that requires one (same keys) must not let that ticket in.
    let ticketer = Arc::new(Ticketer::new().unwrap());
    let l = multi_name_leaf();
    let with_auth = |required| {
        Arc::new(
            serving(l)
                .with_client_ca(anchors(&pki().ca), required)
                .with_ticketer(ticketer.clone())
                .build()
                .unwrap(),
        )
    };
    let client = our_client();
    let (_, s) = connect(&client, &with_auth(false), "localhost");
    assert_eq!(s.conn.peer_certificates(), None);
    let mut c = Ours::new(ClientConnection::new(client, "localhost").unwrap());
    let mut s = Ours::new(ServerConnection::new(with_auth(true)).unwrap());
    // No resumption: a full handshake that asks for the certificate the client does not have.
    handshake(&mut c, &mut s).expect_err("certificate required");
    assert!(
        matches!(
            s.conn.error(),
            Some(https_handshake::Error::Protocol {
                alert: https_handshake::AlertDescription::CertificateRequired,
                reason: https_handshake::PeerMisbehaved::NoClientCertificate,
            })
        ),
        "{:?}",
        s.conn.error()
    );
    assert!(!s.conn.is_resumed());
}

#[test]
fn a_ticket_whose_client_chain_no_longer_verifies_does_not_resume() {
    // Two servers share ticket keys but trust different client CAs: a ticket from the first
    // carries a chain the second does not accept, so the second ignores it and asks again.
    let other_ca =
        https_pki::CertificateAuthority::new_root(&https_pki::CaOptions::root("another client CA"))
            .unwrap();
    let ticketer = Arc::new(Ticketer::new().unwrap());
    let l = multi_name_leaf();
    let server = |ca: &https_pki::CertificateAuthority| {
        Arc::new(
            serving(l)
                .with_client_ca(anchors(ca), true)
                .with_ticketer(ticketer.clone())
                .with_trace(true)
                .build()
                .unwrap(),
        )
    };
    let cl = client_leaf();
    let ck = CertifiedKey::new(
        cl.chain.clone(),
        SigningKey::from_der(&cl.key_pkcs8).unwrap(),
    )
    .unwrap();
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_client_cert(ck)
            .build()
            .unwrap(),
    );
    connect(&client, &server(&pki().ca), "localhost");
    let mut c = Ours::new(ClientConnection::new(client, "localhost").unwrap());
    let mut s = Ours::new(ServerConnection::new(server(&other_ca)).unwrap());
    let (_, s_err) = handshake(&mut c, &mut s).expect_err("unknown client CA");
    assert!(!s.conn.is_resumed());
    assert!(
        s.conn.trace().iter().any(|e| matches!(e,
        TraceEvent::Check { what: "resumption", detail } if detail.contains("no longer verifies"))),
        "{s_err:?}"
    );
}

#[test]
fn a_client_chain_too_large_for_a_ticket_gets_no_ticket() {
    // ~700 names make a certificate over the 16 KiB a ticket may carry.
    let names: Vec<String> = (0..700)
        .map(|i| format!("client-{i:04}.example.test"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let l = leaf(
        &pki().ca,
        &names,
        &Profile::client().key_type(KeyType::EcdsaP256),
    );
    assert!(l.chain[0].len() > https_handshake::MAX_TICKET_CERT_BYTES);
    let ck =
        CertifiedKey::new(l.chain.clone(), SigningKey::from_der(&l.key_pkcs8).unwrap()).unwrap();
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_client_cert(ck)
            .build()
            .unwrap(),
    );
    let (c, s) = connect(&client, &client_auth_server(true), "localhost");
    assert_eq!(s.conn.peer_certificates(), Some(&l.chain[..]));
    assert!(!client.session_store().unwrap().has_ticket("localhost"));
    assert!(
        s.conn.trace().iter().any(|e| matches!(e,
        TraceEvent::Check { what: "NewSessionTicket", detail } if detail.contains("does not fit")))
    );
    drop(c);
}

#[test]
fn key_log_file_is_created_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.log");
    let log = Arc::new(https_handshake::KeyLogFile::create(&path).unwrap());
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_key_log(log)
            .build()
            .unwrap(),
    );
    connect(&client, &default_server(&[]), "localhost");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut text = String::new();
    std::fs::File::open(&path)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(!https_handshake::KeyLogFile::disabled().is_enabled());
}
