//! Raw-peer helpers for the conformance tests: build records, read back what our side wrote
//! (decrypting with the secrets its key log exposed), and a connected server driven by hand.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use https_handshake::{
    ClientConfig, ClientConnection, Connection, Error, KeyLog, NamedGroup, ServerConfig,
    ServerConnection,
};
use https_record::{
    next_traffic_secret, AlertDescription, ContentType, RecordOpener, RecordSealer, Tls13Suite,
};

use crate::common::{anchors, pki};

pub const SUITE: Tls13Suite = Tls13Suite::Aes128GcmSha256;

/// Every secret a connection logged, by NSS label.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl Secrets {
    pub fn get(&self, label: &str) -> Vec<u8> {
        let v = self.0.lock().unwrap();
        v.iter()
            .find(|(l, _)| l == label)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("no {label} logged"))
    }
}

impl KeyLog for Secrets {
    fn log(&self, label: &str, _: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

/// Our server (AES-128-GCM, the given groups), logging its secrets.
pub fn server_with(groups: &[NamedGroup]) -> (ServerConnection, Arc<Secrets>) {
    let p = pki();
    let log = Arc::new(Secrets::default());
    let cfg = ServerConfig::builder()
        .with_single_cert(p.ecdsa.chain.clone(), &p.ecdsa.key_pkcs8)
        .unwrap()
        .with_groups(groups)
        .with_cipher_suites(&[SUITE])
        .with_key_log(log.clone())
        .build()
        .unwrap();
    (ServerConnection::new(Arc::new(cfg)).unwrap(), log)
}

pub fn server() -> (ServerConnection, Arc<Secrets>) {
    server_with(&[NamedGroup::X25519, NamedGroup::Secp256r1])
}

/// Our client for "localhost" trusting the test CA, logging its secrets.
pub fn client_with(
    groups: &[NamedGroup],
    suites: &[Tls13Suite],
) -> (ClientConnection, Arc<Secrets>) {
    let log = Arc::new(Secrets::default());
    let cfg = ClientConfig::builder()
        .with_root_certificates(anchors(&pki().ca))
        .with_groups(groups)
        .with_cipher_suites(suites)
        .with_key_log(log.clone())
        .build()
        .unwrap();
    (
        ClientConnection::new(Arc::new(cfg), "localhost").unwrap(),
        log,
    )
}

/// A plaintext record.
pub fn record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ, 3, 3];
    r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// A handshake message split into plaintext records of at most 16 KiB.
pub fn handshake_records(msg: &[u8]) -> Vec<u8> {
    msg.chunks(16384).flat_map(|c| record(22, c)).collect()
}

/// Feeds `bytes` to `conn` and processes them; the first error is returned (later bytes unread).
pub fn feed(conn: &mut Connection, bytes: &[u8]) -> Result<(), Error> {
    let mut rd = bytes;
    while !rd.is_empty() {
        conn.read_tls(&mut rd)
            .map_err(|e| Error::Config(e.to_string()))?;
        conn.process_new_packets()?;
    }
    Ok(())
}

/// Everything `conn` has to send.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut out).unwrap() == 0 {
            break;
        }
    }
    out
}

/// Splits wire bytes into whole records (type byte, whole record with header).
pub fn split_records(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut v = Vec::new();
    while bytes.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        let (rec, rest) = bytes.split_at(5 + len);
        v.push((rec[0], rec.to_vec()));
        bytes = rest;
    }
    assert!(bytes.is_empty(), "a partial record at the end");
    v
}

/// One direction's reader: opens protected records from sequence 0 of `secret`, follows
/// KeyUpdates, passes plaintext records through with their outer type.
pub struct RecordReader {
    secret: Vec<u8>,
    opener: RecordOpener,
}

impl RecordReader {
    pub fn new(secret: Vec<u8>) -> Self {
        let opener = RecordOpener::from_secret(SUITE, &secret);
        Self { secret, opener }
    }

    pub fn read(&mut self, bytes: &[u8]) -> Vec<(ContentType, Vec<u8>)> {
        let mut out = Vec::new();
        for (typ, mut rec) in split_records(bytes) {
            if typ != 23 {
                out.push((ContentType::from_u8(typ).unwrap(), rec[5..].to_vec()));
                continue;
            }
            let (t, content) = self
                .opener
                .open_in_place(&mut rec)
                .expect("our record opens");
            let content = content.to_vec();
            if t == ContentType::Handshake && content.first() == Some(&24) {
                self.secret = next_traffic_secret(SUITE.hash(), &self.secret).to_vec();
                self.opener = RecordOpener::from_secret(SUITE, &self.secret);
            }
            out.push((t, content));
        }
        out
    }
}

/// The alerts among records read back.
pub fn alerts(records: &[(ContentType, Vec<u8>)]) -> Vec<AlertDescription> {
    records
        .iter()
        .filter(|(t, _)| *t == ContentType::Alert)
        .map(|(_, c)| {
            assert_eq!(c.len(), 2, "an alert is two bytes");
            AlertDescription::from_u8(c[1])
        })
        .collect()
}

/// One direction's writer, as a hostile peer: seals whatever we like under `secret`.
pub struct RecordWriter {
    secret: Vec<u8>,
    pub sealer: RecordSealer,
}

impl RecordWriter {
    pub fn new(secret: Vec<u8>) -> Self {
        let sealer = RecordSealer::from_secret(SUITE, &secret);
        Self { secret, sealer }
    }

    pub fn seal(&mut self, typ: ContentType, content: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        self.sealer.seal_into(typ, content, &mut out).unwrap();
        out.to_vec()
    }

    /// A KeyUpdate record, then the next write key.
    pub fn key_update(&mut self, requested: bool) -> Vec<u8> {
        let rec = self.seal(ContentType::Handshake, &[24, 0, 0, 1, u8::from(requested)]);
        self.secret = next_traffic_secret(SUITE.hash(), &self.secret).to_vec();
        self.sealer = RecordSealer::from_secret(SUITE, &self.secret);
        rec
    }
}

/// Our server after a full handshake with our client; the test then speaks for the client with
/// its application keys. Whatever the server sent after its first flight (tickets) stays unsent,
/// so `rx` reads the server's application records from sequence 0.
pub struct Connected {
    pub server: ServerConnection,
    pub tx: RecordWriter,
    pub rx: RecordReader,
    pub secrets: Arc<Secrets>,
}

impl Connected {
    pub fn new() -> Self {
        let (mut server, secrets) = server();
        let (mut client, _) = client_with(&[NamedGroup::X25519], &[SUITE]);
        feed(&mut server, &drain(&mut client)).unwrap();
        feed(&mut client, &drain(&mut server)).unwrap();
        feed(&mut server, &drain(&mut client)).unwrap();
        assert!(!server.is_handshaking() && !client.is_handshaking());
        let tx = RecordWriter::new(secrets.get("CLIENT_TRAFFIC_SECRET_0"));
        let rx = RecordReader::new(secrets.get("SERVER_TRAFFIC_SECRET_0"));
        Self {
            server,
            tx,
            rx,
            secrets,
        }
    }

    /// Sends bytes to the server; its result.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), Error> {
        feed(&mut self.server, bytes)
    }

    /// What the server sent, decrypted.
    pub fn receive(&mut self) -> Vec<(ContentType, Vec<u8>)> {
        let out = drain(&mut self.server);
        self.rx.read(&out)
    }
}
