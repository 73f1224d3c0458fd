//! 0.5-RTT (RFC 8446 §4.4.4, Appendix E.5): a server that accepted 0-RTT may answer the early
//! request right after its Finished, before the client's; without early data nothing of ours
//! leaves before the client's Finished. Also the client side: early data always delivered once,
//! and plaintext written during the handshake survives a close_notify asked for before it ends
//! (issue 8: it used to be dropped silently).

mod common;

use std::io::Write;
use std::sync::Arc;

use common::*;
use https_handshake::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

fn server(max_early: u32) -> Arc<ServerConfig> {
    let b = serving(&pki().ecdsa).with_max_early_data_size(max_early);
    Arc::new(b.build().unwrap())
}

fn client() -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .build()
            .unwrap(),
    )
}

fn ours_server(cfg: &Arc<ServerConfig>) -> Ours<ServerConnection> {
    Ours {
        conn: ServerConnection::new(cfg.clone()).unwrap(),
        got: vec![],
    }
}

fn ours_client(cfg: &Arc<ClientConfig>, early: &[u8]) -> Ours<ClientConnection> {
    Ours {
        conn: ClientConnection::new_with_early_data(cfg.clone(), "localhost", early).unwrap(),
        got: vec![],
    }
}

/// A first connection, so that the client holds tickets from `scfg`.
fn prime(ccfg: &Arc<ClientConfig>, scfg: &Arc<ServerConfig>) {
    let mut c = ours_client(ccfg, &[]);
    let mut s = ours_server(scfg);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"tickets"), b"tickets");
    assert!(ccfg.session_store().unwrap().has_ticket("localhost"));
}

#[test]
fn the_server_answers_early_data_before_the_clients_finished() {
    let scfg = server(16384);
    let ccfg = client();
    prime(&ccfg, &scfg);
    let mut c = ours_client(&ccfg, REQUEST);
    assert!(c.conn.early_data_offered());
    let mut s = ours_server(&scfg);
    s.feed(&c.out()).unwrap();
    assert_eq!(s.take_plain(), REQUEST);
    assert!(s.conn.is_handshaking());
    s.write_plain(RESPONSE);
    s.conn.writer().flush().unwrap();
    // The server's flight and the response, all before it saw anything more from the client.
    let back = s.out();
    c.feed(&back).unwrap();
    assert!(!c.conn.is_handshaking());
    assert!(c.conn.early_data_accepted());
    assert_eq!(c.take_plain(), RESPONSE, "the 0.5-RTT response arrived");
    assert!(
        s.conn.is_handshaking(),
        "still waiting for the client's Finished"
    );
    // The handshake then ends normally, tickets and all.
    s.feed(&c.out()).unwrap();
    assert!(!s.conn.is_handshaking());
    assert!(s.conn.error().is_none());
    assert_eq!(send(&mut s, &mut c, b"more"), b"more");
    assert_eq!(send(&mut c, &mut s, b"after"), b"after");
    assert_eq!(s.conn.early_data_len(), REQUEST.len());
}

#[test]
fn without_early_data_nothing_is_sent_before_the_clients_finished() {
    let scfg = server(16384);
    let ccfg = client();
    prime(&ccfg, &scfg);
    // Resumed, but no early data: the server's plaintext waits for the client's Finished.
    let mut c = ours_client(&ccfg, &[]);
    let mut s = ours_server(&scfg);
    s.feed(&c.out()).unwrap();
    assert!(!s.conn.early_data_accepted());
    s.write_plain(RESPONSE);
    s.conn.writer().flush().unwrap();
    let back = s.out();
    c.feed(&back).unwrap();
    assert!(!c.conn.is_handshaking());
    assert_eq!(
        c.take_plain(),
        b"",
        "no application data before the client's Finished"
    );
    s.feed(&c.out()).unwrap();
    let back = s.out();
    c.feed(&back).unwrap();
    assert_eq!(c.take_plain(), RESPONSE);
}

#[test]
fn early_data_the_ticket_does_not_allow_is_sent_once_after_the_handshake() {
    // No ticket at all: nothing goes as 0-RTT, and the bytes follow the handshake.
    let scfg = server(16384);
    let ccfg = client();
    let mut c = ours_client(&ccfg, REQUEST);
    assert!(!c.conn.early_data_offered());
    let mut s = ours_server(&scfg);
    handshake(&mut c, &mut s).unwrap();
    assert!(!c.conn.early_data_accepted());
    let mut got = s.take_plain();
    for _ in 0..4 {
        let b = c.out();
        s.feed(&b).unwrap();
        got.extend(s.take_plain());
    }
    assert_eq!(got, REQUEST, "delivered exactly once");
    assert_eq!(s.conn.early_data_len(), 0);
}

/// Issue 8 (found by the fuzzer): plaintext written while the handshake runs, then
/// close_notify, must reach the peer before the close_notify.
#[test]
fn data_written_during_the_handshake_survives_an_early_close_notify() {
    let scfg = server(0);
    let ccfg = client();
    let mut c = ours_client(&ccfg, &[]);
    c.write_plain(b"written early");
    c.conn.send_close_notify();
    let err = c.conn.writer().write(b"x").expect_err("closed for writing");
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    let mut s = ours_server(&scfg);
    handshake(&mut c, &mut s).unwrap();
    let mut got = s.take_plain();
    for _ in 0..4 {
        let b = c.out();
        s.feed(&b).unwrap();
        got.extend(s.take_plain());
    }
    assert_eq!(got, b"written early");
    let mut buf = [0u8; 8];
    assert_eq!(
        std::io::Read::read(&mut s.conn.reader(), &mut buf).unwrap(),
        0,
        "close_notify came after the data"
    );
}

#[test]
fn server_data_written_during_the_handshake_survives_an_early_close_notify() {
    let scfg = server(0);
    let ccfg = client();
    let mut c = ours_client(&ccfg, &[]);
    let mut s = ours_server(&scfg);
    s.feed(&c.out()).unwrap();
    assert!(s.conn.is_handshaking());
    s.write_plain(b"server bytes");
    s.conn.send_close_notify();
    let back = s.out();
    c.feed(&back).unwrap();
    assert_eq!(c.take_plain(), b"", "nothing before the client's Finished");
    s.feed(&c.out()).unwrap();
    let back = s.out();
    c.feed(&back).unwrap();
    assert_eq!(c.take_plain(), b"server bytes");
    let mut buf = [0u8; 8];
    assert_eq!(
        std::io::Read::read(&mut c.conn.reader(), &mut buf).unwrap(),
        0,
        "then close_notify"
    );
}
