//! Whole ACME flows against the in-process server over our own TLS: http-01 and tls-alpn-01 for
//! DNS names and IP addresses, every account key type, revocation + CRL, ARI, key rollover,
//! deactivation, and a restart between new-order and finalize.

mod common;

use std::sync::Arc;

use common::*;
use https_acme::client::{
    AccountKey, AcmeClient, ChallengeKind, Http01Responder, TlsAlpnResponder,
};
use https_acme::SqliteStore;
use https_pki::KeyType;
use serde_json::json;

#[tokio::test]
async fn http01_issues_a_certificate_for_a_name_and_an_ip_that_verifies_under_the_root() {
    let (ts, responder) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let names = vec!["site.test".to_string(), "127.0.0.1".to_string()];
    let got = c
        .obtain(&names, ChallengeKind::Http01(&responder))
        .await
        .unwrap();
    assert_eq!(got.evidence.len(), 2, "{:?}", got.evidence);
    assert!(got.chain_pem.matches("BEGIN CERTIFICATE").count() >= 2);
    verify(&got.chain_pem, &ts.root_pem, "site.test");
    verify(&got.chain_pem, &ts.root_pem, "127.0.0.1");
}

#[tokio::test]
async fn tls_alpn01_issues_for_dns_ipv4_and_ipv6_identifiers() {
    let responder = TlsAlpnResponder::start(loopback()).await.unwrap();
    let ts = start(1, responder.addr().port(), |_| {}).await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let got = c
        .obtain(&["site.test".into()], ChallengeKind::TlsAlpn01(&responder))
        .await
        .unwrap();
    verify(&got.chain_pem, &ts.root_pem, "site.test");
    // An IP identifier is validated at the address itself, with the reverse name as SNI.
    let got = c
        .obtain(&["127.0.0.1".into()], ChallengeKind::TlsAlpn01(&responder))
        .await
        .unwrap();
    verify(&got.chain_pem, &ts.root_pem, "127.0.0.1");
}

#[tokio::test]
async fn tls_alpn01_on_ipv6_loopback() {
    let Ok(responder) = TlsAlpnResponder::start("[::1]:0".parse().unwrap()).await else {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    };
    let ts = start(1, responder.addr().port(), |_| {}).await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let got = c
        .obtain(&["::1".into()], ChallengeKind::TlsAlpn01(&responder))
        .await
        .unwrap();
    verify(&got.chain_pem, &ts.root_pem, "::1");
}

#[tokio::test]
async fn es256_eddsa_and_rs256_account_keys_are_all_verified() {
    let (ts, responder) = with_http01().await;
    for kt in [KeyType::EcdsaP256, KeyType::Ed25519, KeyType::Rsa2048] {
        let mut c = account(&ts, kt).await;
        let got = c
            .obtain(&["site.test".into()], ChallengeKind::Http01(&responder))
            .await;
        assert!(got.is_ok(), "{kt}: {:?}", got.err());
    }
}

#[tokio::test]
async fn an_existing_key_gets_its_account_back_and_only_return_existing_refuses_a_new_one() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let first = c.kid().unwrap().to_string();
    assert_eq!(c.register(&[]).await.unwrap(), first);
    let mut fresh = AcmeClient::connect(
        &ts.directory,
        ts.root_pem.as_bytes(),
        AccountKey::generate(KeyType::EcdsaP256).unwrap(),
    )
    .await
    .unwrap();
    let url = fresh.endpoint("newAccount").unwrap();
    let e = fresh
        .post(&url, Some(&json!({"onlyReturnExisting": true})))
        .await
        .unwrap_err();
    assert_eq!(problem(e), ("accountDoesNotExist".into(), 400));
}

#[tokio::test]
async fn revocation_by_account_and_by_certificate_key_lands_on_the_crl() {
    let (ts, responder) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let mut revoked_serials = Vec::new();
    for by_cert_key in [false, true] {
        let got = c
            .obtain(&["site.test".into()], ChallengeKind::Http01(&responder))
            .await
            .unwrap();
        let der = leaf_der(&got.chain_pem);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        revoked_serials.push(cert.raw_serial().to_vec());
        let url = c.endpoint("revokeCert").unwrap();
        let payload = json!({"certificate": https_acme::jws::b64(&der), "reason": 4});
        if by_cert_key {
            // jwk form, signed by the certificate's own key.
            let key = AccountKey::from_pkcs8(got.key.pkcs8_der(), KeyType::EcdsaP256).unwrap();
            let nonce = c.nonce().await.unwrap();
            let body = key.jws(&url, Some(&nonce), None, Some(&payload)).unwrap();
            c.post_raw(&url, body).await.unwrap();
        } else {
            c.post(&url, Some(&payload)).await.unwrap();
        }
        let again = c.post(&url, Some(&payload)).await.unwrap_err();
        assert_eq!(problem(again), ("alreadyRevoked".into(), 400));
    }
    let crl = ts.server.crl_der().unwrap();
    let (_, crl) = x509_parser::parse_x509_crl(&crl).unwrap();
    let listed: Vec<Vec<u8>> = crl
        .iter_revoked_certificates()
        .map(|r| r.raw_serial().to_vec())
        .collect();
    for s in &revoked_serials {
        assert!(
            listed.contains(s),
            "serial {} not on the CRL",
            hex::encode(s)
        );
    }
}

#[tokio::test]
async fn the_crl_is_served_at_its_url_and_signed_by_the_ca() {
    let (ts, _r) = with_http01().await;
    let http = https_acme::client::Https::new(ts.root_pem.as_bytes()).unwrap();
    let url = ts.directory.replace("/directory", "/crl");
    let r = http.request(&url, None).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pkix-crl"));
    let (_, crl) = x509_parser::parse_x509_crl(&r.body).unwrap();
    let root = leaf_der(&ts.root_pem);
    let (_, root) = x509_parser::parse_x509_certificate(&root).unwrap();
    crl.verify_signature(root.public_key()).unwrap();
}

#[tokio::test]
async fn renewal_info_suggests_a_window_and_says_renew_now_once_revoked() {
    let (ts, responder) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let got = c
        .obtain(&["site.test".into()], ChallengeKind::Http01(&responder))
        .await
        .unwrap();
    let der = leaf_der(&got.chain_pem);
    let id = https_acme::ari_cert_id(&der).unwrap();
    let url = format!("{}/{id}", c.endpoint("renewalInfo").unwrap());
    let r = c.http().request(&url, None).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("retry-after").is_some());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let start = v["suggestedWindow"]["start"].as_str().unwrap().to_string();
    let fmt = &time::format_description::well_known::Rfc3339;
    let start_t = time::OffsetDateTime::parse(&start, fmt).unwrap();
    assert!(
        start_t > time::OffsetDateTime::now_utc(),
        "a fresh certificate's window is ahead"
    );
    // A renewal order may say which certificate it replaces (RFC 9773 §5).
    let new_order = c.endpoint("newOrder").unwrap();
    let payload = json!({"identifiers": [{"type": "dns", "value": "site.test"}], "replaces": id});
    let r = c.post(&new_order, Some(&payload)).await.unwrap();
    let order: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(order["replaces"], json!(id));
    let revoke = c.endpoint("revokeCert").unwrap();
    c.post(
        &revoke,
        Some(&json!({"certificate": https_acme::jws::b64(&der)})),
    )
    .await
    .unwrap();
    let r = c.http().request(&url, None).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let end =
        time::OffsetDateTime::parse(v["suggestedWindow"]["end"].as_str().unwrap(), fmt).unwrap();
    assert!(end < time::OffsetDateTime::now_utc(), "revoked: renew now");
}

#[tokio::test]
async fn key_rollover_moves_the_account_to_the_new_key() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let url = c.endpoint("keyChange").unwrap();
    let new_key = AccountKey::generate(KeyType::Ed25519).unwrap();
    let inner_payload = json!({"account": kid, "oldKey": c.key().jwk()});
    let inner = new_key.jws(&url, None, None, Some(&inner_payload)).unwrap();
    let inner: serde_json::Value = serde_json::from_slice(&inner).unwrap();
    c.post(&url, Some(&inner)).await.unwrap();
    // The old key no longer signs for the account...
    let e = c.get_json(&kid).await.unwrap_err();
    assert_eq!(problem(e), ("unauthorized".into(), 403));
    // ...the new one does.
    let mut rolled = AcmeClient::connect(&ts.directory, ts.root_pem.as_bytes(), new_key)
        .await
        .unwrap();
    rolled.set_kid(kid.clone());
    assert_eq!(rolled.get_json(&kid).await.unwrap()["status"], "valid");
}

#[tokio::test]
async fn a_deactivated_account_can_do_nothing_more() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let r = c
        .post(&kid, Some(&json!({"status": "deactivated"})))
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["status"],
        "deactivated"
    );
    let e = c.new_order(&["site.test".into()]).await.unwrap_err();
    assert_eq!(problem(e), ("unauthorized".into(), 403));
    // Registering the same key again does not bring the account back.
    let e = c.register(&[]).await.unwrap_err();
    assert_eq!(problem(e), ("unauthorized".into(), 403));
}

#[tokio::test]
async fn state_survives_a_restart_between_new_order_and_finalize() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acme.db");
    let ca = new_ca();
    let responder = Http01Responder::start(loopback()).await.unwrap();
    let port = responder.addr().port();
    let ts = start_with(&ca, Arc::new(SqliteStore::open(&db).unwrap()), |c| {
        c.http01_port = port
    })
    .await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (order_url, order) = c.new_order(&["site.test".into()]).await.unwrap();
    c.authorize(&order, ChallengeKind::Http01(&responder))
        .await
        .unwrap();
    let kid = c.kid().unwrap().to_string();
    drop(ts);
    // A new server process on the same database (and a new port: URLs differ only in the port).
    let ts = start_with(&ca, Arc::new(SqliteStore::open(&db).unwrap()), |c| {
        c.http01_port = port
    })
    .await;
    let old_base = order_url.split("/acme/").next().unwrap().to_string();
    let new_base = ts.directory.trim_end_matches("/directory").to_string();
    let mut c2 = AcmeClient::connect(&ts.directory, ts.root_pem.as_bytes(), take_key(c))
        .await
        .unwrap();
    c2.set_kid(kid.replace(&old_base, &new_base));
    let order_url = order_url.replace(&old_base, &new_base);
    let order = c2.get_json(&order_url).await.unwrap();
    assert_eq!(order["status"], "ready");
    let pem = c2
        .finalize(&order_url, &order, &csr(&["site.test"]))
        .await
        .unwrap();
    verify(&pem, &ts.root_pem, "site.test");
}

fn take_key(c: AcmeClient) -> AccountKey {
    c.into_key()
}

#[tokio::test]
async fn a_validation_cut_by_a_restart_resumes_on_the_next_poll() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acme.db");
    let ca = new_ca();
    // The first server validates against a port that accepts and never answers.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    let ts = start_with(&ca, Arc::new(SqliteStore::open(&db).unwrap()), |c| {
        c.http01_port = hang_port;
        c.validation_timeout = std::time::Duration::from_secs(120);
    })
    .await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (_, order) = c.new_order(&["site.test".into()]).await.unwrap();
    let authz_url = order["authorizations"][0].as_str().unwrap().to_string();
    let authz = c.get_json(&authz_url).await.unwrap();
    let ch = authz["challenges"][0].clone();
    assert_eq!(ch["type"], "http-01");
    let responder = Http01Responder::start(loopback()).await.unwrap();
    let token = ch["token"].as_str().unwrap();
    responder.add(token, &c.key_authorization(token));
    let started = c
        .post(ch["url"].as_str().unwrap(), Some(&json!({})))
        .await
        .unwrap();
    let started: serde_json::Value = serde_json::from_slice(&started.body).unwrap();
    assert_eq!(started["status"], "processing");
    let old_base = ts.directory.trim_end_matches("/directory").to_string();
    let kid = c.kid().unwrap().to_string();
    drop(ts);
    let port = responder.addr().port();
    let ts = start_with(&ca, Arc::new(SqliteStore::open(&db).unwrap()), |c| {
        c.http01_port = port
    })
    .await;
    let new_base = ts.directory.trim_end_matches("/directory").to_string();
    let mut c2 = AcmeClient::connect(&ts.directory, ts.root_pem.as_bytes(), take_key(c))
        .await
        .unwrap();
    c2.set_kid(kid.replace(&old_base, &new_base));
    let done = c2
        .poll(&authz_url.replace(&old_base, &new_base))
        .await
        .unwrap();
    assert_eq!(done["status"], "valid", "{done}");
    drop(hang);
}

#[tokio::test]
async fn an_account_authorized_for_every_name_may_revoke_another_accounts_certificate() {
    let (ts, responder) = with_http01().await;
    let mut owner = account(&ts, KeyType::EcdsaP256).await;
    let got = owner
        .obtain(&["site.test".into()], ChallengeKind::Http01(&responder))
        .await
        .unwrap();
    let der = leaf_der(&got.chain_pem);
    let payload = json!({"certificate": https_acme::jws::b64(&der)});
    // A stranger may not...
    let mut stranger = account(&ts, KeyType::EcdsaP256).await;
    let url = stranger.endpoint("revokeCert").unwrap();
    let e = stranger.post(&url, Some(&payload)).await.unwrap_err();
    assert_eq!(problem(e), ("unauthorized".into(), 403));
    // ...until it proves control of site.test itself (RFC 8555 §7.6).
    let (_, order) = stranger.new_order(&["site.test".into()]).await.unwrap();
    stranger
        .authorize(&order, ChallengeKind::Http01(&responder))
        .await
        .unwrap();
    stranger.post(&url, Some(&payload)).await.unwrap();
}

#[tokio::test]
async fn a_deactivated_authorization_invalidates_its_order() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (url, order) = c.new_order(&["site.test".into()]).await.unwrap();
    let authz_url = order["authorizations"][0].as_str().unwrap().to_string();
    let r = c
        .post(&authz_url, Some(&json!({"status": "deactivated"})))
        .await
        .unwrap();
    let authz: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(authz["status"], "deactivated");
    assert_eq!(c.get_json(&url).await.unwrap()["status"], "invalid");
}

#[tokio::test]
async fn challenges_answered_together_make_the_order_ready() {
    let (ts, responder) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (url, order) = c
        .new_order(&["site.test".into(), "www.site.test".into()])
        .await
        .unwrap();
    let mut authz_urls = Vec::new();
    // Like certbot: answer every challenge first, then poll.
    for a in order["authorizations"].as_array().unwrap() {
        let authz_url = a.as_str().unwrap().to_string();
        let authz = c.get_json(&authz_url).await.unwrap();
        let ch = authz["challenges"][0].clone();
        let token = ch["token"].as_str().unwrap();
        responder.add(token, &c.key_authorization(token));
        c.post(ch["url"].as_str().unwrap(), Some(&json!({})))
            .await
            .unwrap();
        authz_urls.push(authz_url);
    }
    for a in &authz_urls {
        assert_eq!(c.poll(a).await.unwrap()["status"], "valid");
    }
    assert_eq!(c.get_json(&url).await.unwrap()["status"], "ready");
}
