//! RFC 8448 §3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256) byte for byte: derive keys and IVs from
//! the traffic secrets, then reproduce every protected record of the trace.

use bytes::BytesMut;
use https_record::{
    hkdf_expand_label, write_plaintext_with, Alert, ContentType, Deframer, HashAlg, Incoming,
    RecordLayer, RecordOpener, RecordSealer, Tls13Suite, TrafficKeys,
};
use std::collections::HashMap;

/// The handshake crate's copy of the vectors (one copy in the repository); a missing file fails.
const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../handshake/tests/data/rfc8448"
);
const SUITE: Tls13Suite = Tls13Suite::Aes128GcmSha256;

struct Vectors {
    json: serde_json::Value,
    trace: HashMap<String, Vec<u8>>,
}

impl Vectors {
    fn load() -> Self {
        let read = |file: &str| {
            std::fs::read_to_string(format!("{DATA}/{file}"))
                .unwrap_or_else(|e| panic!("RFC 8448 vector {DATA}/{file} missing: {e}"))
        };
        let json = read("rfc8448-section3.json");
        let vec = read("transcripts.vec");
        let mut trace = HashMap::new();
        let mut in_section = false;
        for line in vec.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_section = line == "[Simple_1RTT_Handshake]";
                continue;
            }
            if !in_section || line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line.split_once(" = ").expect("key = value line");
            if k == "CurrentTimestamp" {
                continue;
            }
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            trace.insert(k.trim().to_string(), hex::decode(v).expect("hex value"));
        }
        Self {
            json: serde_json::from_str(&json).expect("valid JSON"),
            trace,
        }
    }

    fn j(&self, key: &str) -> Vec<u8> {
        hex::decode(
            self.json[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key} missing")),
        )
        .expect("hex")
    }

    fn t(&self, key: &str) -> Vec<u8> {
        self.trace
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing from the trace"))
            .clone()
    }

    fn keys(&self, who: &str, stage: &str) -> TrafficKeys {
        let secret_name = match stage {
            "handshake" => format!("{who}_handshake_traffic_secret"),
            _ => format!("{who}_application_traffic_secret_0"),
        };
        TrafficKeys::derive(SUITE, &self.j(&secret_name))
    }
}

/// Seals `content` at sequence number `seq` with these keys.
fn seal_at(keys: &TrafficKeys, seq: u64, typ: ContentType, content: &[u8]) -> Vec<u8> {
    let mut sealer = RecordSealer::new(SUITE, keys);
    let mut out = BytesMut::new();
    for _ in 0..seq {
        sealer
            .seal_into(ContentType::ApplicationData, b"skip", &mut BytesMut::new())
            .unwrap();
    }
    sealer.seal_into(typ, content, &mut out).unwrap();
    out.to_vec()
}

fn open_at(keys: &TrafficKeys, seq: u64, record: &[u8]) -> (ContentType, Vec<u8>) {
    // Advance the opener by opening records we seal ourselves with the same keys.
    let mut sealer = RecordSealer::new(SUITE, keys);
    let mut opener = RecordOpener::new(SUITE, keys);
    for _ in 0..seq {
        let mut r = BytesMut::new();
        sealer
            .seal_into(ContentType::ApplicationData, b"skip", &mut r)
            .unwrap();
        opener.open_in_place(&mut r).unwrap();
    }
    let mut buf = record.to_vec();
    let (typ, content) = opener.open_in_place(&mut buf).unwrap();
    (typ, content.to_vec())
}

#[test]
fn derives_the_published_keys_and_ivs() {
    let v = Vectors::load();
    for (who, stage, key, iv) in [
        (
            "server",
            "handshake",
            "server_handshake_write_key",
            "server_handshake_write_iv",
        ),
        (
            "client",
            "handshake",
            "client_handshake_write_key",
            "client_handshake_write_iv",
        ),
        (
            "server",
            "application",
            "server_application_write_key",
            "server_application_write_iv",
        ),
        (
            "client",
            "application",
            "client_application_write_key",
            "client_application_write_iv",
        ),
    ] {
        let keys = v.keys(who, stage);
        assert_eq!(keys.key(), v.j(key).as_slice(), "{key}");
        assert_eq!(keys.iv().as_slice(), v.j(iv).as_slice(), "{iv}");
    }
}

#[test]
fn hkdf_expand_label_matches_the_key_schedule() {
    let v = Vectors::load();
    // Derive-Secret(handshake_secret, "c hs traffic", CH..SH) = client_handshake_traffic_secret.
    let mut out = [0u8; 32];
    hkdf_expand_label(
        HashAlg::Sha256,
        &v.j("handshake_secret"),
        b"c hs traffic",
        &v.j("hash_client_hello_server_hello"),
        &mut out,
    );
    assert_eq!(
        out.as_slice(),
        v.j("client_handshake_traffic_secret").as_slice()
    );
    hkdf_expand_label(
        HashAlg::Sha256,
        &v.j("master_secret"),
        b"s ap traffic",
        &v.j("hash_client_hello_server_finished"),
        &mut out,
    );
    assert_eq!(
        out.as_slice(),
        v.j("server_application_traffic_secret_0").as_slice()
    );
}

#[test]
fn reproduces_the_server_handshake_flight() {
    let v = Vectors::load();
    let mut flight = Vec::new();
    for m in [
        "Message_EncryptedExtensions",
        "Message_Server_Certificate",
        "Message_Server_CertificateVerify",
        "Message_Server_Finished",
    ] {
        flight.extend(v.t(m));
    }
    let sealed = seal_at(
        &v.keys("server", "handshake"),
        0,
        ContentType::Handshake,
        &flight,
    );
    assert_eq!(
        hex::encode(&sealed),
        hex::encode(v.t("Record_ServerHandshakeMessages"))
    );
    let (typ, opened) = open_at(
        &v.keys("server", "handshake"),
        0,
        &v.t("Record_ServerHandshakeMessages"),
    );
    assert_eq!((typ, opened), (ContentType::Handshake, flight));
}

#[test]
fn reproduces_the_client_finished() {
    let v = Vectors::load();
    let sealed = seal_at(
        &v.keys("client", "handshake"),
        0,
        ContentType::Handshake,
        &v.j("client_finished_message"),
    );
    assert_eq!(
        hex::encode(sealed),
        hex::encode(v.t("Record_ClientFinished"))
    );
}

#[test]
fn reproduces_the_new_session_ticket() {
    let v = Vectors::load();
    let keys = v.keys("server", "application");
    // The trace gives the record, not the message: open it, check the ticket is inside, seal it again.
    let (typ, nst) = open_at(&keys, 0, &v.t("Record_NewSessionTicket"));
    assert_eq!(typ, ContentType::Handshake);
    assert_eq!(nst.first(), Some(&4u8), "NewSessionTicket message type");
    let ticket = v.t("SessionTicket");
    assert!(
        nst.windows(ticket.len()).any(|w| w == ticket.as_slice()),
        "ticket inside the message"
    );
    assert_eq!(
        seal_at(&keys, 0, ContentType::Handshake, &nst),
        v.t("Record_NewSessionTicket")
    );
}

#[test]
fn reproduces_application_data_and_close_notify_both_ways() {
    let v = Vectors::load();
    let client = v.keys("client", "application");
    let server = v.keys("server", "application");
    let close = Alert::close_notify().encode();

    assert_eq!(
        seal_at(
            &client,
            0,
            ContentType::ApplicationData,
            &v.t("Client_AppData")
        ),
        v.t("Record_Client_AppData")
    );
    assert_eq!(
        seal_at(&client, 1, ContentType::Alert, &close),
        v.t("Record_Client_CloseNotify")
    );
    // The server's NewSessionTicket used sequence number 0.
    assert_eq!(
        seal_at(
            &server,
            1,
            ContentType::ApplicationData,
            &v.t("Server_AppData")
        ),
        v.t("Record_Server_AppData")
    );
    assert_eq!(
        seal_at(&server, 2, ContentType::Alert, &close),
        v.t("Record_Server_CloseNotify")
    );
}

#[test]
fn plaintext_hellos_reframe_identically() {
    let v = Vectors::load();
    for (name, version) in [
        ("Record_ClientHello_1", 0x0301),
        ("Record_ServerHello", 0x0303),
    ] {
        let record = v.t(name);
        let mut out = BytesMut::new();
        write_plaintext_with(
            ContentType::Handshake,
            version,
            &record[5..],
            1 << 14,
            &mut out,
        );
        assert_eq!(out.as_ref(), record.as_slice(), "{name}");
    }
    assert_eq!(
        &v.t("Record_ServerHello")[5..],
        v.t("Message_ServerHello").as_slice()
    );
}

/// The client's whole receive side of the trace through one RecordLayer, one byte at a time.
#[test]
fn client_side_of_the_trace_through_a_record_layer() {
    let v = Vectors::load();
    let mut wire = v.t("Record_ServerHello");
    let boundary_hs = wire.len();
    wire.extend(v.t("Record_ServerHandshakeMessages"));
    let boundary_app = wire.len();
    for r in [
        "Record_NewSessionTicket",
        "Record_Server_AppData",
        "Record_Server_CloseNotify",
    ] {
        wire.extend(v.t(r));
    }
    let mut layer = RecordLayer::new();
    let mut got = Vec::new();
    for (i, b) in wire.iter().enumerate() {
        // Keys change exactly at record boundaries, as the handshake would install them.
        if i == boundary_hs {
            layer.set_opener(RecordOpener::new(SUITE, &v.keys("server", "handshake")));
        }
        if i == boundary_app {
            layer.set_opener(RecordOpener::new(SUITE, &v.keys("server", "application")));
        }
        assert_eq!(layer.feed(&[*b]), 1);
        while let Some(item) = layer.next_incoming().unwrap() {
            got.push(item);
        }
    }
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[0],
        Incoming::Handshake(BytesMut::from(&v.t("Message_ServerHello")[..]))
    );
    assert!(
        matches!(&got[1], Incoming::Handshake(b) if b.ends_with(&v.t("Message_Server_Finished")))
    );
    assert!(matches!(&got[2], Incoming::Handshake(b) if b.first() == Some(&4)));
    assert_eq!(
        got[3],
        Incoming::ApplicationData(BytesMut::from(&v.t("Server_AppData")[..]))
    );
    assert_eq!(got[4], Incoming::CloseNotify);
    assert!(layer.eof().is_ok(), "close_notify came before EOF");
}

#[test]
fn deframer_splits_the_concatenated_trace() {
    let v = Vectors::load();
    let names = [
        "Record_ServerHello",
        "Record_ServerHandshakeMessages",
        "Record_NewSessionTicket",
    ];
    let wire: Vec<u8> = names.iter().flat_map(|n| v.t(n)).collect();
    let mut d = Deframer::new();
    assert_eq!(d.feed(&wire), wire.len());
    for n in names {
        let r = d.next_record().unwrap().expect("a whole record");
        assert_eq!(r.bytes.as_ref(), v.t(n).as_slice());
    }
    assert_eq!(d.next_record().unwrap(), None);
    assert!(!d.has_pending_bytes());
}
