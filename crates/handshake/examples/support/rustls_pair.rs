//! The in-memory rustls handshake both profiling examples drive (included by `#[path]`).

use std::sync::Arc;

/// A full rustls handshake, client and server in memory, until neither has anything to send.
pub fn rustls_pair(
    c: &Arc<rustls::ClientConfig>,
    s: &Arc<rustls::ServerConfig>,
) -> (rustls::ClientConnection, rustls::ServerConnection) {
    let mut cc = rustls::ClientConnection::new(c.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut sc = rustls::ServerConnection::new(s.clone()).unwrap();
    let mut buf = Vec::with_capacity(16384);
    // Ten flights bound the loop; a TLS 1.3 handshake needs three.
    for _ in 0..10 {
        if !(cc.is_handshaking() || sc.is_handshaking() || cc.wants_write() || sc.wants_write()) {
            break;
        }
        buf.clear();
        while cc.wants_write() {
            cc.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            sc.read_tls(&mut rd).unwrap();
            sc.process_new_packets().unwrap();
        }
        buf.clear();
        while sc.wants_write() {
            sc.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            cc.read_tls(&mut rd).unwrap();
            cc.process_new_packets().unwrap();
        }
    }
    (cc, sc)
}
