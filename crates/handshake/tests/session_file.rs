//! `SavedSession`: a ticket saved as text resumes in another store (another process), and every
//! damaged, foreign or expired file is a typed error, never a panic.

mod common;

use std::sync::Arc;

use common::*;
use https_handshake::{
    ClientConfig, ClientConnection, ClientSessionStore, SavedSession, ServerConfig,
    ServerConnection, SessionFileError, MAX_SESSION_FILE,
};

fn server() -> Arc<ServerConfig> {
    let p = pki();
    Arc::new(
        ServerConfig::builder()
            .with_single_cert(p.ecdsa.chain.clone(), &p.ecdsa.key_pkcs8)
            .unwrap()
            .with_max_early_data_size(1024)
            .build()
            .unwrap(),
    )
}

fn client(store: Arc<ClientSessionStore>) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors(&pki().ca))
            .with_session_store(store)
            .build()
            .unwrap(),
    )
}

/// One connection; returns whether it resumed.
fn connect(c: &Arc<ClientConfig>, s: &Arc<ServerConfig>) -> bool {
    let mut c = Ours {
        conn: ClientConnection::new(c.clone(), "localhost").unwrap(),
        got: vec![],
    };
    let mut s = Ours {
        conn: ServerConnection::new(s.clone()).unwrap(),
        got: vec![],
    };
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"x"), b"x"); // the tickets arrive first
    c.conn.is_resumed()
}

fn saved_text() -> String {
    let store = Arc::new(ClientSessionStore::default());
    assert!(!connect(&client(store.clone()), &server()));
    let saved = store.save("localhost").expect("a ticket");
    assert_eq!(saved.server_name(), "localhost");
    assert_eq!(saved.max_early_data(), 1024);
    saved.to_text().to_string()
}

#[test]
fn a_saved_ticket_resumes_from_another_store() {
    let s = server();
    let first = Arc::new(ClientSessionStore::default());
    assert!(!connect(&client(first.clone()), &s));
    let text = first.save("localhost").unwrap().to_text();
    assert!(text.starts_with("https-kit-session 1\nserver_name localhost\nsuite "));
    let other = Arc::new(ClientSessionStore::default());
    other
        .restore("localhost", SavedSession::from_text(&text).unwrap())
        .unwrap();
    assert!(
        connect(&client(other), &s),
        "resumed with the restored ticket"
    );
}

#[test]
fn damaged_foreign_or_expired_files_are_typed_errors() {
    let good = saved_text();
    let line = |i: usize, new: &str| {
        let mut l: Vec<&str> = good.lines().collect();
        l[i] = new;
        l.join("\n")
    };
    let cases: Vec<(String, SessionFileError)> = vec![
        (String::new(), SessionFileError::NotOurs),
        (
            good.replace("session 1", "session 2"),
            SessionFileError::NotOurs,
        ),
        (line(2, "suite 00ff"), SessionFileError::Malformed("suite")),
        (
            line(3, "received soon"),
            SessionFileError::Malformed("received"),
        ),
        (
            line(4, "lifetime 99999999"),
            SessionFileError::Malformed("lifetime"),
        ),
        (line(7, "alpn zz"), SessionFileError::Malformed("alpn")),
        (line(8, "psk 00"), SessionFileError::Malformed("psk length")),
        (line(9, "ticket"), SessionFileError::Malformed("ticket")),
        (
            good.clone() + "extra\n",
            SessionFileError::Malformed("trailing lines"),
        ),
        (
            good.lines().take(5).collect::<Vec<_>>().join("\n"),
            SessionFileError::Malformed("age_add"),
        ),
        ("x".repeat(MAX_SESSION_FILE + 1), SessionFileError::TooLarge),
    ];
    for (text, want) in cases {
        assert_eq!(
            SavedSession::from_text(&text).unwrap_err(),
            want,
            "{text:.80}"
        );
    }
    // Every truncation parses to an error or a session, never a panic.
    for cut in 0..good.len() {
        let _ = SavedSession::from_text(&good[..cut]);
    }
    let store = ClientSessionStore::default();
    let expired = SavedSession::from_text(&line(3, "received 1000")).unwrap();
    assert!(expired.is_expired());
    assert_eq!(
        store.restore("localhost", expired),
        Err(SessionFileError::Expired)
    );
    let s = SavedSession::from_text(&good).unwrap();
    assert!(matches!(
        store.restore("other.test", s),
        Err(SessionFileError::OtherServer { .. })
    ));
    assert!(!store.has_ticket("other.test") && !store.has_ticket("localhost"));
}
