//! RFC 8448 traces: every handshake message decodes and re-encodes byte for byte; the key schedule
//! derives every §3 secret, key and IV and both Finished values; the §5 HelloRetryRequest transcript
//! (message_hash rollover) matches the hash the server signed; the §4 PSK binder matches.

use std::collections::HashMap;

use https_handshake::codec::*;
use https_handshake::keyschedule::*;
use https_record::{ContentType, HashAlg, RecordOpener, Tls13Suite, TrafficKeys};

/// The vectors are part of the repository (copied from the RFC 8448 text, see README.md there);
/// a missing file fails the test.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc8448");

type Sections = HashMap<String, HashMap<String, Vec<u8>>>;

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{file}"))
        .unwrap_or_else(|e| panic!("RFC 8448 vector {DIR}/{file} missing: {e}"))
}

fn load() -> (Sections, serde_json::Value) {
    let vec = read("transcripts.vec");
    let mut out: Sections = HashMap::new();
    let mut cur = String::new();
    for line in vec.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            cur = name.to_string();
            continue;
        }
        let (k, v) = line.split_once(" = ").expect("key = value");
        if k.trim() == "CurrentTimestamp" {
            continue;
        }
        let hexs: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        out.entry(cur.clone())
            .or_default()
            .insert(k.trim().to_string(), hex::decode(hexs).expect("hex"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&read("rfc8448-section3.json")).expect("rfc8448-section3.json");
    (out, json)
}

fn j(json: &serde_json::Value, k: &str) -> Vec<u8> {
    hex::decode(json[k].as_str().unwrap_or_else(|| panic!("missing {k}"))).unwrap()
}

/// Splits a run of handshake messages and checks each decodes and re-encodes identically.
fn roundtrip_messages(bytes: &[u8], ctx: &str) -> Vec<(HandshakeMessage, Vec<u8>)> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let start = bytes.len() - r.left();
        let msg =
            HandshakeMessage::read(&mut r).unwrap_or_else(|e| panic!("{ctx}: decode failed: {e}"));
        let raw = &bytes[start..bytes.len() - r.left()];
        assert_eq!(
            msg.get_encoding(),
            raw,
            "{ctx}: {} re-encodes differently",
            msg.0.name()
        );
        out.push((msg, raw.to_vec()));
    }
    out
}

/// Plaintext records (may be several, e.g. CCS then handshake): returns the handshake payloads.
fn plaintext_handshake(records: &[u8]) -> Vec<u8> {
    let mut r = Reader::new(records);
    let mut hs = Vec::new();
    while !r.is_empty() {
        let typ = r.u8("type").unwrap();
        r.u16("version").unwrap();
        let body = r.vec(LenPrefix::U16, "record").unwrap();
        if typ == 22 {
            hs.extend_from_slice(body);
        }
    }
    hs
}

#[test]
fn every_message_in_every_trace_roundtrips() {
    let (secs, _) = load();
    assert_eq!(secs.len(), 5, "five traces");
    let mut count = 0;
    for (name, kv) in &secs {
        for (k, v) in kv {
            let msgs = if k.starts_with("Message_") {
                roundtrip_messages(v, &format!("{name}/{k}"))
            } else if k.starts_with("Record_ClientHello")
                || k == "Record_ServerHello"
                || k == "Record_HelloRetryRequest"
            {
                roundtrip_messages(&plaintext_handshake(v), &format!("{name}/{k}"))
            } else {
                continue;
            };
            assert_eq!(msgs.len(), 1, "{name}/{k}: one message");
            count += 1;
        }
    }
    // 5 x (CH1, SH record, SH message, EE, Finished) + 4 x (Certificate, CertificateVerify)
    // + CertificateRequest + HRR + CH2.
    assert_eq!(count, 25 + 8 + 3, "decoded {count} messages");
}

#[test]
fn decoded_fields_are_the_rfc_values() {
    let (secs, _) = load();
    let s3 = &secs["Simple_1RTT_Handshake"];
    let ch = &roundtrip_messages(&plaintext_handshake(&s3["Record_ClientHello_1"]), "ch")[0].0;
    let HandshakePayload::ClientHello(ch) = &ch.0 else {
        panic!("not a ClientHello")
    };
    assert_eq!(
        ch.cipher_suites,
        vec![
            CipherSuite::Aes128GcmSha256,
            CipherSuite::Chacha20Poly1305Sha256,
            CipherSuite::Aes256GcmSha384
        ]
    );
    match ch.ext(ExtensionType::ServerName) {
        Some(ClientExtension::ServerName(v)) => assert_eq!(v[0].name, b"server"),
        other => panic!("server_name: {other:?}"),
    }
    match ch.ext(ExtensionType::KeyShare) {
        Some(ClientExtension::KeyShare(v)) => {
            assert_eq!(v.len(), 1);
            assert_eq!(v[0].group, 0x001d);
            assert_eq!(v[0].payload.len(), 32);
        }
        other => panic!("key_share: {other:?}"),
    }
    assert!(matches!(
        ch.ext(ExtensionType::RecordSizeLimit),
        Some(ClientExtension::RecordSizeLimit(0x4001))
    ));
    let hrr = &roundtrip_messages(
        &plaintext_handshake(&secs["HelloRetryRequest_Handshake"]["Record_HelloRetryRequest"]),
        "hrr",
    )[0]
    .0;
    let HandshakePayload::ServerHello(hrr) = &hrr.0 else {
        panic!()
    };
    assert!(hrr.is_hrr());
    assert!(matches!(
        hrr.ext(ExtensionType::KeyShare),
        Some(ServerExtension::HrrKeyShare(0x0017))
    ));
    let cookie = &secs["HelloRetryRequest_Handshake"]["HelloRetryRequest_Cookie"];
    assert!(
        matches!(hrr.ext(ExtensionType::Cookie), Some(ServerExtension::Cookie(c)) if c == cookie)
    );
}

#[test]
fn section3_key_schedule_matches_every_value() {
    let (secs, js) = load();
    let s3 = &secs["Simple_1RTT_Handshake"];
    let h = HashAlg::Sha256;
    let suite = Tls13Suite::Aes128GcmSha256;

    let ch = plaintext_handshake(&s3["Record_ClientHello_1"]);
    let sh = s3["Message_ServerHello"].clone();
    let mut t = Transcript::new_hash(h);
    t.add(&ch);
    t.add(&sh);
    assert_eq!(
        t.current_hash().as_ref(),
        j(&js, "hash_client_hello_server_hello")
    );

    let early = EarlySecret::new(h, None);
    assert_eq!(early.current().as_bytes(), j(&js, "early_secret"));
    assert_eq!(
        early.derived_salt().as_bytes(),
        j(&js, "derived_for_handshake")
    );
    // The stages are types: only an EarlySecret becomes a HandshakeSecret.
    let ks = early.into_handshake(&j(&js, "ecdhe_shared_secret"));
    assert_eq!(ks.current().as_bytes(), j(&js, "handshake_secret"));
    let th = t.current_hash();
    let c_hs = ks.derive(label::C_HS_TRAFFIC, th.as_ref());
    let s_hs = ks.derive(label::S_HS_TRAFFIC, th.as_ref());
    assert_eq!(c_hs.as_bytes(), j(&js, "client_handshake_traffic_secret"));
    assert_eq!(s_hs.as_bytes(), j(&js, "server_handshake_traffic_secret"));
    for (secret, who) in [(&c_hs, "client"), (&s_hs, "server")] {
        let k = TrafficKeys::derive(suite, secret.as_bytes());
        assert_eq!(k.key(), j(&js, &format!("{who}_handshake_write_key")));
        assert_eq!(
            k.iv().as_slice(),
            j(&js, &format!("{who}_handshake_write_iv"))
        );
    }

    // Decrypt the server's flight with our keys and check it is exactly the four messages.
    let mut opener = RecordOpener::new(suite, &TrafficKeys::derive(suite, s_hs.as_bytes()));
    let mut rec = s3["Record_ServerHandshakeMessages"].clone();
    let (typ, flight) = opener
        .open_in_place(&mut rec)
        .expect("server flight decrypts");
    assert_eq!(typ, ContentType::Handshake);
    let msgs = roundtrip_messages(flight, "server flight");
    let names: Vec<_> = msgs.iter().map(|(m, _)| m.0.name()).collect();
    assert_eq!(
        names,
        [
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished"
        ]
    );
    for (_, raw) in &msgs[..3] {
        t.add(raw);
    }
    // CertificateVerify covered ClientHello..Certificate; check the signed content's hash.
    let to_sign = &s3["Server_MessageToSign"];
    let mut t_cert = Transcript::new_hash(h);
    t_cert.add(&ch);
    t_cert.add(&sh);
    t_cert.add(&msgs[0].1);
    t_cert.add(&msgs[1].1);
    assert_eq!(
        &to_sign[to_sign.len() - 32..],
        t_cert.current_hash().as_ref()
    );

    let sf = finished_verify_data(h, s_hs.as_bytes(), t.current_hash().as_ref());
    let HandshakePayload::Finished(vd) = &msgs[3].0 .0 else {
        panic!()
    };
    assert_eq!(sf.as_bytes(), vd.as_slice(), "server Finished");
    t.add(&msgs[3].1);
    assert_eq!(
        t.current_hash().as_ref(),
        j(&js, "hash_client_hello_server_finished")
    );

    assert_eq!(ks.derived_salt().as_bytes(), j(&js, "derived_for_master"));
    let ks = ks.into_master();
    assert_eq!(ks.current().as_bytes(), j(&js, "master_secret"));
    let th = t.current_hash();
    let c_ap = ks.derive(label::C_AP_TRAFFIC, th.as_ref());
    let s_ap = ks.derive(label::S_AP_TRAFFIC, th.as_ref());
    assert_eq!(
        c_ap.as_bytes(),
        j(&js, "client_application_traffic_secret_0")
    );
    assert_eq!(
        s_ap.as_bytes(),
        j(&js, "server_application_traffic_secret_0")
    );
    assert_eq!(
        ks.derive(label::EXP_MASTER, th.as_ref()).as_bytes(),
        j(&js, "exporter_master_secret")
    );
    for (secret, who) in [(&c_ap, "client"), (&s_ap, "server")] {
        let k = TrafficKeys::derive(suite, secret.as_bytes());
        assert_eq!(k.key(), j(&js, &format!("{who}_application_write_key")));
        assert_eq!(
            k.iv().as_slice(),
            j(&js, &format!("{who}_application_write_iv"))
        );
    }

    // Client Finished: ours, the JSON value, and the decrypted record all agree.
    let cf = finished_verify_data(h, c_hs.as_bytes(), th.as_ref());
    let cf_msg =
        HandshakeMessage(HandshakePayload::Finished(cf.as_bytes().to_vec())).get_encoding();
    assert_eq!(cf_msg, j(&js, "client_finished_message"));
    let mut opener = RecordOpener::new(suite, &TrafficKeys::derive(suite, c_hs.as_bytes()));
    let mut rec = s3["Record_ClientFinished"].clone();
    let (_, plain) = opener
        .open_in_place(&mut rec)
        .expect("client Finished decrypts");
    assert_eq!(plain, cf_msg.as_slice());
    t.add(&cf_msg);
    assert_eq!(
        t.current_hash().as_ref(),
        j(&js, "hash_client_hello_client_finished")
    );
    let res = ks.derive(label::RES_MASTER, t.current_hash().as_ref());
    assert_eq!(res.as_bytes(), j(&js, "resumption_master_secret"));

    // NewSessionTicket under the server application key; the PSK for nonce 0000.
    let mut opener = RecordOpener::new(suite, &TrafficKeys::derive(suite, s_ap.as_bytes()));
    let mut rec = s3["Record_NewSessionTicket"].clone();
    let (_, plain) = opener.open_in_place(&mut rec).expect("ticket decrypts");
    let nst = roundtrip_messages(plain, "NewSessionTicket");
    let HandshakePayload::NewSessionTicket(nst) = &nst[0].0 .0 else {
        panic!()
    };
    assert_eq!(nst.ticket, s3["SessionTicket"]);
    let psk = expand_label(h, res.as_bytes(), b"resumption", &nst.nonce);
    assert_eq!(psk.as_bytes(), j(&js, "resumption_psk_nonce_0000"));
}

#[test]
fn section4_psk_binder_matches() {
    let (secs, js) = load();
    let h = HashAlg::Sha256;
    let ch_bytes = plaintext_handshake(&secs["Resumed_0RTT_Handshake"]["Record_ClientHello_1"]);
    let ch = HandshakeMessage::read_bytes(&ch_bytes).unwrap();
    let HandshakePayload::ClientHello(ch) = &ch.0 else {
        panic!()
    };
    let Some(ClientExtension::PreSharedKey(psks)) = ch.ext(ExtensionType::PreSharedKey) else {
        panic!("no psk")
    };
    assert_eq!(
        psks.identities[0].identity,
        secs["Simple_1RTT_Handshake"]["SessionTicket"]
    );
    let ks = EarlySecret::new(h, Some(&j(&js, "resumption_psk_nonce_0000")));
    let empty = ring::digest::digest(&ring::digest::SHA256, b"");
    let binder_key = ks.derive(label::RES_BINDER, empty.as_ref());
    let truncated = &ch_bytes[..ch_bytes.len() - psks.binders_len()];
    let th = ring::digest::digest(&ring::digest::SHA256, truncated);
    let binder = finished_verify_data(h, binder_key.as_bytes(), th.as_ref());
    assert_eq!(binder.as_bytes(), psks.binders[0].as_slice());
}

#[test]
fn section5_hrr_transcript_matches_signed_hash() {
    let (secs, _) = load();
    let s5 = &secs["HelloRetryRequest_Handshake"];
    let mut t = Transcript::default();
    t.add(&plaintext_handshake(&s5["Record_ClientHello_1"]));
    t.rollover_for_hrr(HashAlg::Sha256);
    t.add(&plaintext_handshake(&s5["Record_HelloRetryRequest"]));
    t.add(&plaintext_handshake(&s5["Record_ClientHello_2"]));
    t.add(&s5["Message_ServerHello"]);
    t.add(&s5["Message_EncryptedExtensions"]);
    t.add(&s5["Message_Server_Certificate"]);
    let to_sign = &s5["Server_MessageToSign"];
    assert_eq!(&to_sign[..64], &[0x20; 64]);
    assert_eq!(&to_sign[to_sign.len() - 32..], t.current_hash().as_ref());

    // And the second ClientHello echoes the cookie and offers a secp256r1 share.
    let ch2 =
        HandshakeMessage::read_bytes(&plaintext_handshake(&s5["Record_ClientHello_2"])).unwrap();
    let HandshakePayload::ClientHello(ch2) = &ch2.0 else {
        panic!()
    };
    assert!(
        matches!(ch2.ext(ExtensionType::Cookie), Some(ClientExtension::Cookie(c)) if *c == s5["HelloRetryRequest_Cookie"])
    );
    assert!(
        matches!(ch2.ext(ExtensionType::KeyShare), Some(ClientExtension::KeyShare(v)) if v[0].group == 0x17)
    );
}

#[test]
fn malformed_messages_are_rejected_with_the_right_class() {
    let (secs, _) = load();
    let ch = plaintext_handshake(&secs["Simple_1RTT_Handshake"]["Record_ClientHello_1"]);
    // Every truncation fails to decode (decode_error), never panics.
    for n in 0..ch.len() {
        let e = HandshakeMessage::read_bytes(&ch[..n]).expect_err("truncated must fail");
        assert!(!e.is_illegal_parameter(), "truncation at {n}: {e}");
    }
    // A duplicated extension is illegal_parameter: duplicate the last extension (record_size_limit, 6 bytes).
    let mut dup = ch.clone();
    let last = dup[dup.len() - 6..].to_vec();
    dup.extend_from_slice(&last);
    let body_len = dup.len() - 4;
    dup[1..4].copy_from_slice(&(body_len as u32).to_be_bytes()[1..]);
    // patch the extensions length (after version, random, session id, suites, compression)
    let sid_at = 4 + 2 + 32;
    let suites_at = sid_at + 1 + dup[sid_at] as usize;
    let comp_at = suites_at + 2 + u16::from_be_bytes([dup[suites_at], dup[suites_at + 1]]) as usize;
    let ext_len_at = comp_at + 1 + dup[comp_at] as usize;
    let ext_len = u16::from_be_bytes([dup[ext_len_at], dup[ext_len_at + 1]]) + 6;
    dup[ext_len_at..ext_len_at + 2].copy_from_slice(&ext_len.to_be_bytes());
    let e = HandshakeMessage::read_bytes(&dup).expect_err("duplicate");
    assert_eq!(
        e,
        InvalidMessage::DuplicateExtension(ExtensionType::RecordSizeLimit)
    );
}
