//! After (and at the end of) the handshake: what a hostile peer can do with records — KeyUpdate
//! floods, empty records, interleaved fragments, oversize messages, closing — against our server
//! driven by hand. Each test asserts the alert on the wire (decrypted with the server's logged
//! keys) or the bound on what we hold.

mod common;
mod wire;

use std::io::{Read, Write};

use https_handshake::{AlertDescription, Error, MAX_EMPTY_RECORDS, MAX_UNSENT_TLS};
use https_record::ContentType;
use wire::*;

/// A transport that never takes a byte: the peer does not read.
struct Stalled;
impl Write for Stalled {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::WouldBlock.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn expect_alert(c: &mut Connected, res: Result<(), Error>, alert: AlertDescription) {
    let err = res.expect_err("the server must refuse");
    assert_eq!(err.alert(), Some(alert), "{err}");
    let got = c.receive();
    assert_eq!(
        got.last(),
        Some(&(ContentType::Alert, vec![2, alert.to_u8()])),
        "{got:?}"
    );
    assert_eq!(alerts(&got), vec![alert], "exactly one alert");
}

#[test]
fn key_update_flood_from_a_peer_that_never_reads_queues_one_answer() {
    let mut c = Connected::new();
    let _tickets = c.receive();
    let mut wire = Vec::new();
    for i in 0..100_000 {
        wire.extend(c.tx.key_update(true));
        if i % 1000 == 999 {
            c.send(&wire).expect("KeyUpdates are fine");
            wire.clear();
            // The peer never reads: every write attempt blocks.
            assert!(c.server.write_tls(&mut Stalled).is_err());
            assert!(
                c.server.sendable_len() <= 64,
                "one KeyUpdate answer queued at most, not {} bytes",
                c.server.sendable_len()
            );
        }
    }
    assert!(c.server.sendable_len() <= MAX_UNSENT_TLS);
    // When the peer reads at last: at most two answers (one queued, one owed), both
    // update_not_requested.
    let got = c.receive();
    assert!(!got.is_empty() && got.len() <= 2, "{} records", got.len());
    for (t, m) in &got {
        assert_eq!(
            (*t, m.as_slice()),
            (ContentType::Handshake, &[24, 0, 0, 1, 0][..])
        );
    }
    // And the connection still works under the new keys.
    c.server.writer().write_all(b"still here").unwrap();
    let got = c.receive();
    assert_eq!(
        got,
        vec![(ContentType::ApplicationData, b"still here".to_vec())]
    );
}

#[test]
fn unsent_output_over_its_cap_stops_reading() {
    let mut c = Connected::new();
    // The application writes more than the cap and the peer reads nothing.
    c.server
        .writer()
        .write_all(&vec![7; 2 * MAX_UNSENT_TLS])
        .unwrap();
    c.server.writer().flush().unwrap();
    assert!(c.server.sendable_len() > MAX_UNSENT_TLS);
    assert!(!c.server.wants_read());
    let rec = c.tx.seal(ContentType::ApplicationData, b"more");
    let err = c.server.read_tls(&mut &rec[..]).expect_err("reading stops");
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    // Once the output left, reading resumes.
    let _ = c.receive();
    assert!(c.server.wants_read());
    c.send(&rec).unwrap();
    let mut buf = [0u8; 4];
    c.server.reader().read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"more");
}

#[test]
fn key_update_split_by_application_data_is_unexpected_message() {
    let mut c = Connected::new();
    let _ = c.receive();
    let mut wire = c.tx.seal(ContentType::Handshake, &[24, 0, 0]);
    wire.extend(c.tx.seal(ContentType::ApplicationData, b"between"));
    wire.extend(c.tx.seal(ContentType::Handshake, &[1, 1]));
    let res = c.send(&wire);
    expect_alert(&mut c, res, AlertDescription::UnexpectedMessage);
}

#[test]
fn key_update_split_by_close_notify_is_unexpected_message() {
    let mut c = Connected::new();
    let _ = c.receive();
    let mut wire = c.tx.seal(ContentType::Handshake, &[24, 0]);
    wire.extend(c.tx.seal(ContentType::Alert, &[1, 0]));
    let res = c.send(&wire);
    expect_alert(&mut c, res, AlertDescription::UnexpectedMessage);
}

#[test]
fn empty_alert_under_application_keys_is_unexpected_message() {
    for padding in [0, 50] {
        let mut c = Connected::new();
        let _ = c.receive();
        c.tx.sealer
            .set_padding(https_record::Padding::Fixed(padding));
        let rec = c.tx.seal(ContentType::Alert, &[]);
        let res = c.send(&rec);
        expect_alert(&mut c, res, AlertDescription::UnexpectedMessage);
    }
}

#[test]
fn empty_alert_under_handshake_keys_is_unexpected_message() {
    let (mut s, log) = server();
    let (mut cl, _) = client_with(&[https_handshake::NamedGroup::X25519], &[SUITE]);
    feed(&mut s, &drain(&mut cl)).unwrap();
    let flight = drain(&mut s);
    let mut tx = RecordWriter::new(log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    let err = feed(&mut s, &tx.seal(ContentType::Alert, &[])).expect_err("empty alert");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
    // The server's flight went out before; now one alert under its application key.
    let _ = flight;
    let got = RecordReader::new(log.get("SERVER_TRAFFIC_SECRET_0")).read(&drain(&mut s));
    assert_eq!(got, vec![(ContentType::Alert, vec![2, 10])]);
}

#[test]
fn thirty_three_empty_application_records_are_unexpected_message() {
    let mut c = Connected::new();
    let _ = c.receive();
    let mut wire = Vec::new();
    for _ in 0..MAX_EMPTY_RECORDS {
        wire.extend(c.tx.seal(ContentType::ApplicationData, &[]));
    }
    c.send(&wire).expect("32 empty records are tolerated");
    let rec = c.tx.seal(ContentType::ApplicationData, &[]);
    let res = c.send(&rec);
    expect_alert(&mut c, res, AlertDescription::UnexpectedMessage);
}

#[test]
fn finished_padded_to_128_kib_gets_one_alert_then_nothing() {
    let (mut s, log) = server();
    let (mut cl, _) = client_with(&[https_handshake::NamedGroup::X25519], &[SUITE]);
    feed(&mut s, &drain(&mut cl)).unwrap();
    let _flight = drain(&mut s);
    // A Finished whose body is 128 KiB (a real one is 32 bytes), in 16 KiB records.
    let mut msg = vec![20, 0x02, 0x00, 0x00];
    msg.extend(vec![0; 128 * 1024]);
    let mut tx = RecordWriter::new(log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    let wire: Vec<u8> = msg
        .chunks(16384)
        .flat_map(|c| tx.seal(ContentType::Handshake, c))
        .collect();
    let mut rd = &wire[..];
    let mut errors = 0;
    while !rd.is_empty() {
        if s.read_tls(&mut rd).is_err() {
            break; // after the error reading stops
        }
        errors += usize::from(s.process_new_packets().is_err());
    }
    assert!(errors >= 1);
    let err = s.error().cloned().expect("refused");
    assert_eq!(err.alert(), Some(AlertDescription::DecodeError), "{err}");
    let mut rx = RecordReader::new(log.get("SERVER_TRAFFIC_SECRET_0"));
    let got = rx.read(&drain(&mut s));
    assert_eq!(got, vec![(ContentType::Alert, vec![2, 50])], "one alert");
    // Nothing more, whatever the application or the peer does next.
    s.send_close_notify();
    assert!(s.send_key_update(true).is_err());
    assert!(s.writer().write(b"x").is_err());
    let _ = s.process_new_packets();
    assert!(!s.wants_write());
    assert_eq!(drain(&mut s), Vec::<u8>::new());
}

#[test]
fn after_the_peers_close_notify_we_can_still_write() {
    let mut c = Connected::new();
    let _ = c.receive();
    let rec = c.tx.seal(ContentType::Alert, &[1, 0]);
    c.send(&rec).unwrap();
    assert_eq!(c.server.reader().read(&mut [0u8; 10]).unwrap(), 0, "EOF");
    // Half-close: the response still goes out, then our close_notify.
    c.server.writer().write_all(b"response").unwrap();
    c.server.send_close_notify();
    let got = c.receive();
    assert_eq!(
        got,
        vec![
            (ContentType::ApplicationData, b"response".to_vec()),
            (ContentType::Alert, vec![1, 0]),
        ]
    );
}

#[test]
fn after_our_close_notify_nothing_is_sent_not_even_a_key_update() {
    let mut c = Connected::new();
    let _ = c.receive();
    c.server.send_close_notify();
    assert_eq!(c.receive(), vec![(ContentType::Alert, vec![1, 0])]);
    // The peer's direction is still open: its data is read, its KeyUpdate request not answered.
    let mut wire = c.tx.key_update(true);
    wire.extend(c.tx.seal(ContentType::ApplicationData, b"late data"));
    c.send(&wire).expect("the peer may still send");
    let mut buf = [0u8; 9];
    c.server.reader().read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"late data");
    assert!(!c.server.wants_write());
    assert_eq!(c.receive(), vec![]);
    assert!(matches!(
        c.server.send_key_update(false),
        Err(Error::Closed)
    ));
    assert!(c.server.writer().write(b"x").is_err());
    assert_eq!(c.receive(), vec![]);
}

#[test]
fn one_byte_records_are_delivered_in_order() {
    // Small records are coalesced in the receive queue (bounded chunk count); bytes stay in order.
    let mut c = Connected::new();
    let _ = c.receive();
    let sent: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let mut wire = Vec::new();
    for b in &sent {
        wire.extend(c.tx.seal(ContentType::ApplicationData, &[*b]));
    }
    wire.extend(c.tx.seal(ContentType::ApplicationData, &[9; 3000]));
    c.send(&wire).unwrap();
    let mut got = vec![0u8; 8000];
    c.server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got[..5000], &sent[..]);
    assert!(got[5000..].iter().all(|b| *b == 9));
}

#[test]
fn rustls_client_closing_first_still_gets_the_whole_response() {
    // A real peer half-closes: rustls sends its request and close_notify in one go; our server
    // reads to EOF, then answers (three records) and closes.
    use common::*;
    use rustls::crypto::ring::{cipher_suite, kx_group};
    let p = pki();
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[],
    );
    let mut c = Theirs::new(rustls_client_conn(cfg, "localhost"));
    let (s, _) = server();
    let mut s = Ours::new(s);
    handshake(&mut c, &mut s).unwrap();
    c.conn
        .writer()
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    c.conn.send_close_notify();
    let bytes = c.out();
    s.feed(&bytes).unwrap();
    assert_eq!(s.take_plain(), b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(s.conn.reader().read(&mut [0u8; 8]).unwrap(), 0, "EOF");
    let body = vec![b'b'; 40_000];
    s.conn.writer().write_all(&body).unwrap();
    s.conn.send_close_notify();
    let bytes = s.out();
    c.feed(&bytes).unwrap();
    assert_eq!(c.take_plain(), body);
    let mut rest = Vec::new();
    c.conn.reader().read_to_end(&mut rest).unwrap(); // clean EOF at our close_notify
    assert!(rest.is_empty());
}
