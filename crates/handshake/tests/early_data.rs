//! 0-RTT on our server (RFC 8446 §4.2.10, §8): off by default, accepted only on a resumption whose
//! ticket allowed it, at most once per ClientHello (a replay is rejected and the handshake goes on),
//! within the byte budget, and the application learns which bytes came early. Peer: rustls.

mod common;
mod wire;

use std::sync::Arc;

use common::*;
use https_handshake::{AlertDescription, ServerConfig, ServerConnection};
use https_record::ContentType;
use rustls::crypto::ring::{cipher_suite, kx_group};

fn server(max_early: u32) -> Arc<ServerConfig> {
    let b = serving(&pki().ecdsa).with_max_early_data_size(max_early);
    Arc::new(b.with_trace(true).build().unwrap())
}

/// A server with 0-RTT off that still resumes `on`'s tickets (it shares their keys).
fn off_with_the_same_ticket_keys(on: &Arc<ServerConfig>) -> Arc<ServerConfig> {
    let b = serving(&pki().ecdsa).with_ticketer(on.ticketer().unwrap().clone());
    Arc::new(b.build().unwrap())
}

fn rustls_0rtt_client() -> Arc<rustls::ClientConfig> {
    let p = pki();
    let prov = rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519);
    let mut cfg = (*rustls_client(prov, &p.ca, &[])).clone();
    cfg.enable_early_data = true;
    Arc::new(cfg)
}

fn ours(cfg: &Arc<ServerConfig>) -> Ours<ServerConnection> {
    Ours {
        conn: ServerConnection::new(cfg.clone()).unwrap(),
        got: vec![],
    }
}

/// A first connection that leaves a ticket in the rustls client's store.
fn prime(client: &Arc<rustls::ClientConfig>, cfg: &Arc<ServerConfig>) {
    let mut c = Theirs {
        conn: rustls_client_conn(client.clone(), "localhost"),
        got: vec![],
    };
    let mut s = ours(cfg);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"hi"), b"hi");
}

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// The second connection's first flight: ClientHello (+CCS) and the early data records.
fn resumed_with_early_data(client: &Arc<rustls::ClientConfig>) -> rustls::ClientConnection {
    let mut c = rustls_client_conn(client.clone(), "localhost");
    let mut early = c.early_data().expect("the ticket allows early data");
    assert!(early.bytes_left() >= REQUEST.len(), "max_early_data_size");
    std::io::Write::write_all(&mut early, REQUEST).unwrap();
    c
}

#[test]
fn rustls_early_data_is_accepted_once_and_marked() {
    let cfg = server(16384);
    let client = rustls_0rtt_client();
    prime(&client, &cfg);
    let mut c = Theirs {
        conn: resumed_with_early_data(&client),
        got: vec![],
    };
    let first_flight = c.out();
    let mut s = ours(&cfg);
    s.feed(&first_flight).unwrap();
    // Before the client's Finished: the request is readable and known to be early data.
    assert!(s.conn.is_handshaking());
    assert!(s.conn.early_data_accepted());
    assert_eq!(s.take_plain(), REQUEST);
    assert_eq!(s.conn.early_data_len(), REQUEST.len());
    let back = s.out();
    c.feed(&back).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(
        c.conn.is_early_data_accepted(),
        "rustls saw early_data in EE"
    );
    assert!(s.conn.is_resumed());
    assert_eq!(send(&mut c, &mut s, b"after"), b"after");
    assert_eq!(
        s.conn.early_data_len(),
        REQUEST.len(),
        "1-RTT bytes are not early"
    );

    // The same ClientHello and early data again (an attacker's replay): the binder was seen, so
    // the early data is rejected and skipped; the handshake goes on (it cannot finish without the
    // client's keys).
    let mut replay = ours(&cfg);
    replay.feed(&first_flight).unwrap();
    assert!(!replay.conn.early_data_accepted());
    assert!(
        replay.take_plain().is_empty(),
        "no replayed byte reaches the application"
    );
    assert!(replay.conn.is_handshaking());
    assert!(
        !replay.out().is_empty(),
        "the server answered with its flight"
    );
    assert!(replay
        .conn
        .trace()
        .iter()
        .any(|e| e.to_string().contains("seen before (replay)")));
}

#[test]
fn early_data_is_off_by_default_and_needs_a_ticket_that_allowed_it() {
    let client = rustls_0rtt_client();
    // Tickets from a server without 0-RTT carry no early_data: rustls sends none.
    let off = server(0);
    prime(&client, &off);
    let c = rustls_client_conn(client.clone(), "localhost");
    let mut c = c;
    assert!(c.early_data().is_none(), "the ticket must not allow 0-RTT");

    // A ticket that allowed it, presented to a config with 0-RTT off: rejected, skipped.
    let on = server(16384);
    let client = rustls_0rtt_client();
    prime(&client, &on);
    let mut c = Theirs {
        conn: resumed_with_early_data(&client),
        got: vec![],
    };
    let off_same_keys = off_with_the_same_ticket_keys(&on);
    let mut s = ours(&off_same_keys);
    handshake(&mut c, &mut s).unwrap();
    assert!(s.conn.is_resumed(), "the ticket still resumes");
    assert!(!s.conn.early_data_accepted());
    assert!(!c.conn.is_early_data_accepted());
    assert_eq!(s.take_plain(), b"", "rejected early data is dropped");
}

/// Our server (0-RTT up to `max` bytes, logging its secrets) after a rustls client's flight with
/// 16 bytes of early data; returns the server and a writer continuing the client's early key.
fn accepted_16(max: u32) -> (ServerConnection, wire::RecordWriter) {
    let log = Arc::new(wire::Secrets::default());
    let b = serving(&pki().ecdsa).with_max_early_data_size(max);
    let cfg = Arc::new(b.with_key_log(log.clone()).build().unwrap());
    let client = rustls_0rtt_client();
    prime(&client, &cfg);
    let mut c = rustls_client_conn(client.clone(), "localhost");
    let mut early = c.early_data().expect("early data allowed");
    std::io::Write::write_all(&mut early, &[b'x'; 16]).unwrap();
    let mut flight = Vec::new();
    c.write_tls(&mut flight).unwrap();
    let mut s = ServerConnection::new(cfg).unwrap();
    wire::feed(&mut s, &flight).unwrap();
    assert!(s.early_data_accepted());
    let mut w = wire::RecordWriter::new(log.get("CLIENT_EARLY_TRAFFIC_SECRET"));
    let _ = w.seal(ContentType::ApplicationData, &[b'x'; 16]); // rustls' record: sequence 0
    (s, w)
}

#[test]
fn a_handshake_message_other_than_end_of_early_data_is_unexpected_message() {
    let (mut s, mut w) = accepted_16(16384);
    // A Finished where EndOfEarlyData must come (RFC 8446 §4.5).
    let mut fin = vec![20, 0, 0, 32];
    fin.extend_from_slice(&[0; 32]);
    let rec = w.seal(ContentType::Handshake, &fin);
    let err = wire::feed(&mut s, &rec).expect_err("Finished before EndOfEarlyData");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
}

#[test]
fn more_early_data_than_allowed_is_unexpected_message() {
    let (mut s, mut w) = accepted_16(16);
    let extra = w.seal(ContentType::ApplicationData, b"y");
    let err = wire::feed(&mut s, &extra).expect_err("over max_early_data_size");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
}

fn our_client() -> Arc<https_handshake::ClientConfig> {
    Arc::new(
        https_handshake::ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_trace(true)
            .build()
            .unwrap(),
    )
}

/// Our client's first connection: the ticket(s) it stores come with the server's tickets.
fn prime_ours(client: &Arc<https_handshake::ClientConfig>, mut s: impl Side) {
    let mut c = Ours {
        conn: https_handshake::ClientConnection::new(client.clone(), "localhost").unwrap(),
        got: vec![],
    };
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"tickets"), b"tickets");
}

/// Our client's second connection, resuming with REQUEST as early data.
fn early_client(
    client: &Arc<https_handshake::ClientConfig>,
) -> Ours<https_handshake::ClientConnection> {
    let conn = https_handshake::ClientConnection::new_with_early_data(
        client.clone(),
        "localhost",
        REQUEST,
    )
    .unwrap();
    Ours { conn, got: vec![] }
}

#[test]
fn our_client_sends_early_data_to_our_server_and_learns_it_was_accepted() {
    let cfg = server(16384);
    let client = our_client();
    prime_ours(&client, ours(&cfg));
    let mut c = early_client(&client);
    let mut s = ours(&cfg);
    s.feed(&c.out()).unwrap();
    assert!(s.conn.early_data_accepted());
    assert_eq!(
        s.take_plain(),
        REQUEST,
        "readable before the client's Finished"
    );
    handshake(&mut c, &mut s).unwrap();
    assert!(c.conn.early_data_accepted());
    assert!(c.conn.is_resumed());
    assert_eq!(s.conn.early_data_len(), REQUEST.len());
    assert_eq!(
        send(&mut s, &mut c, b"HTTP/1.1 200 OK\r\n\r\n"),
        b"HTTP/1.1 200 OK\r\n\r\n"
    );
    assert_eq!(send(&mut c, &mut s, b"more"), b"more", "not resent");
}

#[test]
fn our_client_resends_early_data_the_server_rejected() {
    let on = server(16384);
    let client = our_client();
    prime_ours(&client, ours(&on));
    let off_same_keys = off_with_the_same_ticket_keys(&on);
    let mut c = early_client(&client);
    let mut s = ours(&off_same_keys);
    handshake(&mut c, &mut s).unwrap();
    assert!(c.conn.is_resumed());
    assert!(!c.conn.early_data_accepted());
    assert!(!s.conn.early_data_accepted());
    // The request arrives once, after the handshake, as ordinary data.
    let mut got = s.take_plain();
    for _ in 0..4 {
        if got.len() >= REQUEST.len() {
            break;
        }
        let b = c.out();
        s.feed(&b).unwrap();
        got.extend(s.take_plain());
    }
    assert_eq!(got, REQUEST);
    assert_eq!(s.conn.early_data_len(), 0);
}

#[test]
fn our_client_and_rustls_server_exchange_early_data() {
    let p = pki();
    let prov = rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519);
    let mut scfg = (*rustls_server(prov, &p.ecdsa, &[])).clone();
    scfg.max_early_data_size = 16384;
    scfg.send_tls13_tickets = 2;
    // rustls takes 0-RTT only with its stateful (single-use) session store, its default.
    let scfg = Arc::new(scfg);
    let theirs = |cfg: &Arc<rustls::ServerConfig>| Theirs {
        conn: rustls::ServerConnection::new(cfg.clone()).unwrap(),
        got: vec![],
    };
    let client = our_client();
    prime_ours(&client, theirs(&scfg));
    let mut c = early_client(&client);
    let mut s = theirs(&scfg);
    let flight = c.out();
    let mut rd = &flight[..];
    while !rd.is_empty() {
        s.conn.read_tls(&mut rd).unwrap();
        s.conn.process_new_packets().unwrap();
    }
    let mut early = Vec::new();
    if let Some(mut e) = s.conn.early_data() {
        std::io::Read::read_to_end(&mut e, &mut early).unwrap();
    }
    assert_eq!(early, REQUEST, "rustls read our 0-RTT data");
    handshake(&mut c, &mut s).unwrap();
    assert!(c.conn.early_data_accepted());
    assert!(c.conn.is_resumed());
    assert_eq!(
        send(&mut s, &mut c, b"HTTP/1.1 200 OK\r\n\r\n"),
        b"HTTP/1.1 200 OK\r\n\r\n"
    );
}
