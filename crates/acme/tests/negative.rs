//! Bad input → the RFC 8555 problem document (type and HTTP status), one behaviour per test.
//! Requests are raw JWS from a small test client, over TLS to the in-process server, or fed
//! straight to `AcmeServer::handle` when the HTTP framing itself is wrong.

mod common;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use https_acme::client::{AccountKey, ChallengeKind, Http01Responder, TlsAlpnResponder};
use https_acme::jws::b64;
use https_pki::KeyType;
use serde_json::{json, Value};

async fn ready_order(
    c: &mut https_acme::client::AcmeClient,
    r: &Http01Responder,
    names: &[&str],
) -> (String, Value) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let (url, order) = c.new_order(&names).await.unwrap();
    c.authorize(&order, ChallengeKind::Http01(r)).await.unwrap();
    let order = c.get_json(&url).await.unwrap();
    assert_eq!(order["status"], "ready");
    (url, order)
}

/// The challenge of type `kind` in an authorization.
fn challenge(authz: &Value, kind: &str) -> Value {
    let all = authz["challenges"].as_array().unwrap();
    all.iter().find(|c| c["type"] == kind).unwrap().clone()
}

/// Answers `ch`, polls its authorization until final and expects it invalid: the failed challenge.
async fn answer_and_fail(
    c: &mut https_acme::client::AcmeClient,
    authz_url: &str,
    ch: &Value,
) -> Value {
    c.post(ch["url"].as_str().unwrap(), Some(&json!({})))
        .await
        .unwrap();
    let done = c.poll(authz_url).await.unwrap();
    assert_eq!(done["status"], "invalid");
    challenge(&done, ch["type"].as_str().unwrap())
}

#[tokio::test]
async fn reused_nonce_is_bad_nonce() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let nonce = c.nonce().await.unwrap();
    let body = c.key().jws(&kid, Some(&nonce), Some(&kid), None).unwrap();
    c.post_raw(&kid, body.clone()).await.unwrap();
    let e = c.post_raw(&kid, body).await.unwrap_err();
    assert_eq!(problem(e), ("badNonce".into(), 400));
}

#[tokio::test]
async fn missing_or_invented_nonce_is_bad_nonce() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    for nonce in [None, Some("bm90LWlzc3VlZA")] {
        let body = c.key().jws(&kid, nonce, Some(&kid), None).unwrap();
        let e = c.post_raw(&kid, body).await.unwrap_err();
        assert_eq!(problem(e), ("badNonce".into(), 400), "{nonce:?}");
    }
}

#[tokio::test]
async fn jws_signed_by_another_key_is_unauthorized() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let other = AccountKey::generate(KeyType::EcdsaP256).unwrap();
    let nonce = c.nonce().await.unwrap();
    let url = c.endpoint("newOrder").unwrap();
    let payload = json!({"identifiers": [{"type": "dns", "value": "site.test"}]});
    let body = other
        .jws(&url, Some(&nonce), Some(&kid), Some(&payload))
        .unwrap();
    let e = c.post_raw(&url, body).await.unwrap_err();
    assert_eq!(problem(e), ("unauthorized".into(), 403));
    // The forged request did not burn the nonce: the real key can still use it.
    let body = c
        .key()
        .jws(&url, Some(&nonce), Some(&kid), Some(&payload))
        .unwrap();
    c.post_raw(&url, body).await.unwrap();
}

#[tokio::test]
async fn url_header_not_the_request_url_is_unauthorized() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let nonce = c.nonce().await.unwrap();
    let new_order = c.endpoint("newOrder").unwrap();
    let body = c
        .key()
        .jws(&new_order, Some(&nonce), Some(&kid), None)
        .unwrap();
    let e = c.post_raw(&kid, body).await.unwrap_err();
    assert_eq!(problem(e), ("unauthorized".into(), 403));
}

#[tokio::test]
async fn kid_naming_no_account_is_account_does_not_exist() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string() + "x";
    let url = c.endpoint("newOrder").unwrap();
    let nonce = c.nonce().await.unwrap();
    let body = c.key().jws(&url, Some(&nonce), Some(&kid), None).unwrap();
    let e = c.post_raw(&url, body).await.unwrap_err();
    assert_eq!(problem(e), ("accountDoesNotExist".into(), 400));
}

#[tokio::test]
async fn kid_on_new_account_is_malformed() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let url = c.endpoint("newAccount").unwrap();
    let nonce = c.nonce().await.unwrap();
    let body = c
        .key()
        .jws(&url, Some(&nonce), Some(&kid), Some(&json!({})))
        .unwrap();
    let e = c.post_raw(&url, body).await.unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

fn forged(protected: Value, payload: &str) -> Vec<u8> {
    let p = b64(protected.to_string().as_bytes());
    json!({"protected": p, "payload": b64(payload.as_bytes()), "signature": ""})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn alg_none_and_hs256_are_bad_signature_algorithm() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let url = c.endpoint("newAccount").unwrap();
    for alg in ["none", "HS256"] {
        let nonce = c.nonce().await.unwrap();
        let protected = json!({"alg": alg, "nonce": nonce, "url": url, "jwk": c.key().jwk()});
        let e = c.post_raw(&url, forged(protected, "{}")).await.unwrap_err();
        assert_eq!(problem(e), ("badSignatureAlgorithm".into(), 400), "{alg}");
    }
}

#[tokio::test]
async fn both_jwk_and_kid_is_malformed() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let url = c.endpoint("newAccount").unwrap();
    let nonce = c.nonce().await.unwrap();
    let protected =
        json!({"alg": "ES256", "nonce": nonce, "url": url, "jwk": c.key().jwk(), "kid": c.kid()});
    let e = c.post_raw(&url, forged(protected, "{}")).await.unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

#[tokio::test]
async fn an_unprotected_jws_header_is_malformed() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let kid = c.kid().unwrap().to_string();
    let nonce = c.nonce().await.unwrap();
    let body = c.key().jws(&kid, Some(&nonce), Some(&kid), None).unwrap();
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    v["header"] = json!({"kid": kid});
    let e = c
        .post_raw(&kid, v.to_string().into_bytes())
        .await
        .unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

#[tokio::test]
async fn csr_for_a_name_not_in_the_order_is_bad_csr() {
    let (ts, r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (url, order) = ready_order(&mut c, &r, &["site.test"]).await;
    for names in [&["www.site.test"][..], &["site.test", "www.site.test"]] {
        let e = c.finalize(&url, &order, &csr(names)).await.unwrap_err();
        assert_eq!(problem(e), ("badCSR".into(), 400), "{names:?}");
    }
    // The order is still ready: the right CSR finalizes it.
    let pem = c
        .finalize(&url, &order, &csr(&["site.test"]))
        .await
        .unwrap();
    verify(&pem, &ts.root_pem, "site.test");
}

#[tokio::test]
async fn unparsable_csr_is_bad_csr() {
    let (ts, r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (url, order) = ready_order(&mut c, &r, &["site.test"]).await;
    let mut der = csr(&["site.test"]);
    let last = der.len() - 1;
    der[last] ^= 1; // breaks the self-signature
    let e = c.finalize(&url, &order, &der).await.unwrap_err();
    assert_eq!(problem(e), ("badCSR".into(), 400));
}

#[tokio::test]
async fn finalize_before_validation_is_order_not_ready() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (url, order) = c.new_order(&["site.test".into()]).await.unwrap();
    let e = c
        .finalize(&url, &order, &csr(&["site.test"]))
        .await
        .unwrap_err();
    assert_eq!(problem(e), ("orderNotReady".into(), 403));
}

#[tokio::test]
async fn failed_http01_wrong_token_invalidates_the_authorization_and_issues_nothing() {
    let (ts, r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (url, order) = c.new_order(&["site.test".into()]).await.unwrap();
    let authz_url = order["authorizations"][0].as_str().unwrap().to_string();
    let authz = c.get_json(&authz_url).await.unwrap();
    let ch = challenge(&authz, "http-01");
    r.add(ch["token"].as_str().unwrap(), "the-wrong-key-authorization");
    let failed = answer_and_fail(&mut c, &authz_url, &ch).await;
    assert_eq!(
        failed["error"]["type"],
        "urn:ietf:params:acme:error:incorrectResponse"
    );
    let order = c.get_json(&url).await.unwrap();
    assert_eq!(order["status"], "invalid");
    assert!(order.get("certificate").is_none());
    let e = c
        .finalize(&url, &order, &csr(&["site.test"]))
        .await
        .unwrap_err();
    assert_eq!(problem(e), ("orderNotReady".into(), 403));
}

#[tokio::test]
async fn http01_with_nothing_listening_is_connection() {
    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ts = start(port, 1, |_| {}).await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let responder = Http01Responder::start(loopback()).await.unwrap(); // on another port
    let e = c
        .obtain(&["site.test".into()], ChallengeKind::Http01(&responder))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("connection"), "{e}");
}

#[tokio::test]
async fn tls_alpn01_with_a_wrong_key_authorization_is_invalid() {
    let responder = TlsAlpnResponder::start(loopback()).await.unwrap();
    let ts = start(1, responder.addr().port(), |_| {}).await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (_, order) = c.new_order(&["site.test".into()]).await.unwrap();
    let authz_url = order["authorizations"][0].as_str().unwrap().to_string();
    let authz = c.get_json(&authz_url).await.unwrap();
    let ch = challenge(&authz, "tls-alpn-01");
    let ident = serde_json::from_value(authz["identifier"].clone()).unwrap();
    responder.add(&ident, "token.wrong-thumbprint").unwrap();
    let failed = answer_and_fail(&mut c, &authz_url, &ch).await;
    assert_eq!(
        failed["error"]["type"],
        "urn:ietf:params:acme:error:incorrectResponse"
    );
    assert!(failed["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("acmeIdentifier"));
}

#[tokio::test]
async fn orders_over_the_hourly_limit_are_rate_limited() {
    let ts = start(1, 1, |c| c.orders_per_hour = 2).await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    for _ in 0..2 {
        c.new_order(&["site.test".into()]).await.unwrap();
    }
    let url = c.endpoint("newOrder").unwrap();
    let payload = json!({"identifiers": [{"type": "dns", "value": "site.test"}]});
    let nonce = c.nonce().await.unwrap();
    let body = c
        .key()
        .jws(&url, Some(&nonce), c.kid(), Some(&payload))
        .unwrap();
    let r = c.http().request(&url, Some(body)).await.unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3600"));
    let p: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(p["type"], "urn:ietf:params:acme:error:rateLimited");
    // Another account has its own budget.
    let mut d = account(&ts, KeyType::EcdsaP256).await;
    d.new_order(&["site.test".into()]).await.unwrap();
}

#[tokio::test]
async fn wildcard_and_unknown_identifier_types_are_refused() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let url = c.endpoint("newOrder").unwrap();
    let cases = [
        (
            json!({"type": "dns", "value": "*.site.test"}),
            "rejectedIdentifier",
        ),
        (
            json!({"type": "dns", "value": "bad_name..test"}),
            "rejectedIdentifier",
        ),
        (
            json!({"type": "email", "value": "a@site.test"}),
            "unsupportedIdentifier",
        ),
        (json!({"type": "ip", "value": "not-an-ip"}), "malformed"),
    ];
    for (ident, kind) in cases {
        let e = c
            .post(&url, Some(&json!({"identifiers": [ident]})))
            .await
            .unwrap_err();
        assert_eq!(problem(e).0, kind, "{ident}");
    }
    let e = c
        .post(&url, Some(&json!({"identifiers": []})))
        .await
        .unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

#[tokio::test]
async fn names_outside_the_cas_name_constraints_are_rejected_identifiers() {
    let ca = https_pki::CertificateAuthority::new_root(
        &https_pki::CaOptions::root("Constrained").permit_dns("site.test"),
    )
    .unwrap();
    let pems = (ca.cert_pem(), ca.key().to_pkcs8_pem().to_string());
    let store = std::sync::Arc::new(https_acme::SqliteStore::in_memory().unwrap());
    // The listener needs an IP certificate, which this CA refuses: serve with an unconstrained CA
    // is not possible, so drive the handler in-process.
    let server = https_acme::AcmeServer::new(
        https_acme::Config::new("https://acme.test"),
        https_pki::CertificateAuthority::from_pem(&pems.0, &pems.1, None).unwrap(),
        store,
    );
    let key = AccountKey::generate(KeyType::EcdsaP256).unwrap();
    let kid = in_process_account(&server, &key).await;
    let url = "https://acme.test/acme/new-order";
    let nonce = in_process_nonce(&server).await;
    let payload = json!({"identifiers": [{"type": "dns", "value": "www.other.test"}]});
    let body = key
        .jws(url, Some(&nonce), Some(&kid), Some(&payload))
        .unwrap();
    let (status, v) = in_process(
        &server,
        "POST",
        "/acme/new-order",
        "application/jose+json",
        body,
    )
    .await;
    assert_eq!(
        (status, v["type"].as_str()),
        (400, Some("urn:ietf:params:acme:error:rejectedIdentifier"))
    );
}

async fn in_process(
    server: &std::sync::Arc<https_acme::AcmeServer>,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = server.handle(req).await;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn in_process_nonce(server: &std::sync::Arc<https_acme::AcmeServer>) -> String {
    let req = hyper::Request::head("/acme/new-nonce")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = server.handle(req).await;
    resp.headers()["replay-nonce"].to_str().unwrap().to_string()
}

async fn in_process_account(
    server: &std::sync::Arc<https_acme::AcmeServer>,
    key: &AccountKey,
) -> String {
    let url = "https://acme.test/acme/new-account";
    let nonce = in_process_nonce(server).await;
    let body = key
        .jws(
            url,
            Some(&nonce),
            None,
            Some(&json!({"termsOfServiceAgreed": true})),
        )
        .unwrap();
    let req = hyper::Request::post("/acme/new-account")
        .header("content-type", "application/jose+json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = server.handle(req).await;
    assert_eq!(resp.status(), 201);
    resp.headers()["location"].to_str().unwrap().to_string()
}

fn in_process_server() -> std::sync::Arc<https_acme::AcmeServer> {
    let ca = https_pki::CertificateAuthority::new_root(&https_pki::CaOptions::root("T")).unwrap();
    let store = std::sync::Arc::new(https_acme::SqliteStore::in_memory().unwrap());
    https_acme::AcmeServer::new(https_acme::Config::new("https://acme.test"), ca, store)
}

#[tokio::test]
async fn body_over_the_limit_is_413_malformed() {
    let server = in_process_server();
    let body = vec![b'{'; https_acme::MAX_BODY + 1];
    let (status, v) = in_process(
        &server,
        "POST",
        "/acme/new-account",
        "application/jose+json",
        body,
    )
    .await;
    assert_eq!(
        (status, v["type"].as_str()),
        (413, Some("urn:ietf:params:acme:error:malformed"))
    );
}

#[tokio::test]
async fn post_without_jose_content_type_is_415() {
    let server = in_process_server();
    let (status, v) = in_process(
        &server,
        "POST",
        "/acme/new-account",
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(
        (status, v["type"].as_str()),
        (415, Some("urn:ietf:params:acme:error:malformed"))
    );
}

#[tokio::test]
async fn unknown_path_is_404_and_wrong_method_is_405() {
    let server = in_process_server();
    let (status, _) = in_process(&server, "GET", "/nope", "", vec![]).await;
    assert_eq!(status, 404);
    let (status, _) = in_process(&server, "GET", "/acme/new-order", "", vec![]).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn garbage_bodies_get_problem_documents_never_a_server_error() {
    let server = in_process_server();
    let key = AccountKey::generate(KeyType::EcdsaP256).unwrap();
    let good = key
        .jws(
            "https://acme.test/acme/new-account",
            Some("n"),
            None,
            Some(&json!({})),
        )
        .unwrap();
    let mut bodies: Vec<Vec<u8>> = (0..good.len())
        .step_by(7)
        .map(|n| good[..n].to_vec())
        .collect();
    bodies.extend((0..good.len()).step_by(5).map(|i| {
        let mut b = good.clone();
        b[i] ^= 0x55;
        b
    }));
    bodies.push(br#"{"protected":1,"payload":[],"signature":{}}"#.to_vec());
    bodies.push(vec![0xff; 300]);
    for body in bodies {
        let (status, v) = in_process(
            &server,
            "POST",
            "/acme/new-account",
            "application/jose+json",
            body,
        )
        .await;
        assert!((400..500).contains(&status), "status {status}: {v}");
        assert!(v["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:ietf:params:acme:error:"));
    }
}

#[tokio::test]
async fn another_accounts_order_is_not_found() {
    let (ts, _r) = with_http01().await;
    let mut a = account(&ts, KeyType::EcdsaP256).await;
    let mut b = account(&ts, KeyType::EcdsaP256).await;
    let (url, _) = a.new_order(&["site.test".into()]).await.unwrap();
    let e = b.get_json(&url).await.unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 404));
}

#[tokio::test]
async fn a_contact_that_is_not_mailto_is_unsupported_contact() {
    let (ts, _r) = with_http01().await;
    let mut c = https_acme::client::AcmeClient::connect(
        &ts.directory,
        ts.root_pem.as_bytes(),
        AccountKey::generate(KeyType::EcdsaP256).unwrap(),
    )
    .await
    .unwrap();
    let e = c.register(&["tel:+15550100".into()]).await.unwrap_err();
    assert_eq!(problem(e), ("unsupportedContact".into(), 400));
}

#[tokio::test]
async fn a_csr_with_the_account_key_is_bad_csr() {
    let (ts, r) = with_http01().await;
    let key = https_pki::PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let account_key = AccountKey::from_pkcs8(key.pkcs8_der(), KeyType::EcdsaP256).unwrap();
    let mut c =
        https_acme::client::AcmeClient::connect(&ts.directory, ts.root_pem.as_bytes(), account_key)
            .await
            .unwrap();
    c.register(&[]).await.unwrap();
    let (url, order) = ready_order(&mut c, &r, &["site.test"]).await;
    let san = https_pki::SubjectAltName::from_name("site.test").unwrap();
    let csr = https_pki::Csr::new(&key, "site.test", &[san]).unwrap();
    let e = c.finalize(&url, &order, csr.der()).await.unwrap_err();
    assert_eq!(problem(e), ("badCSR".into(), 400));
}

#[tokio::test]
async fn replaces_naming_an_unknown_certificate_is_malformed() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let url = c.endpoint("newOrder").unwrap();
    let payload =
        json!({"identifiers": [{"type": "dns", "value": "site.test"}], "replaces": "AAAA.AAAA"});
    let e = c.post(&url, Some(&payload)).await.unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

#[tokio::test]
async fn more_than_max_identifiers_is_malformed() {
    let (ts, _r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let url = c.endpoint("newOrder").unwrap();
    let ids: Vec<Value> = (0..=https_acme::MAX_IDENTIFIERS)
        .map(|i| json!({"type": "dns", "value": format!("h{i}.site.test")}))
        .collect();
    let e = c
        .post(&url, Some(&json!({ "identifiers": ids })))
        .await
        .unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

#[tokio::test]
async fn more_than_ten_contacts_is_malformed() {
    let (ts, _r) = with_http01().await;
    let mut c = https_acme::client::AcmeClient::connect(
        &ts.directory,
        ts.root_pem.as_bytes(),
        AccountKey::generate(KeyType::EcdsaP256).unwrap(),
    )
    .await
    .unwrap();
    let contacts: Vec<String> = (0..11).map(|i| format!("mailto:a{i}@site.test")).collect();
    let e = c.register(&contacts).await.unwrap_err();
    assert_eq!(problem(e), ("malformed".into(), 400));
}

#[tokio::test]
async fn an_http01_answer_over_8_kib_is_an_incorrect_response() {
    let (ts, r) = with_http01().await;
    let mut c = account(&ts, KeyType::EcdsaP256).await;
    let (_, order) = c.new_order(&["site.test".into()]).await.unwrap();
    let authz_url = order["authorizations"][0].as_str().unwrap().to_string();
    let authz = c.get_json(&authz_url).await.unwrap();
    let ch = challenge(&authz, "http-01");
    let token = ch["token"].as_str().unwrap();
    // The right key authorization, buried at the end of 9 KiB of padding.
    let padded = " ".repeat(9 * 1024) + &c.key_authorization(token);
    r.add(token, &padded);
    let failed = answer_and_fail(&mut c, &authz_url, &ch).await;
    let err = &failed["error"];
    assert_eq!(err["type"], "urn:ietf:params:acme:error:incorrectResponse");
    assert!(err["detail"].as_str().unwrap().contains("8192"), "{err}");
}

/// Accepts any certificate: the test is about which one the responder sends.
#[derive(Debug)]
struct AnyCert;

impl https_handshake::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &[u8],
        _: &[&[u8]],
        _: &str,
    ) -> Result<(), https_handshake::Error> {
        Ok(())
    }
}

impl https_handshake::SignatureVerifier for AnyCert {
    fn verify_signature(
        &self,
        _: &[u8],
        _: &[u8],
        _: https_handshake::SignatureScheme,
        _: &[u8],
    ) -> Result<(), https_handshake::Error> {
        Ok(())
    }
}

#[tokio::test]
async fn the_tls_alpn01_responder_answers_only_hellos_offering_acme_tls_1() {
    let responder = TlsAlpnResponder::start(loopback()).await.unwrap();
    let ident = https_acme::model::Identifier {
        kind: "dns".into(),
        value: "site.test".into(),
    };
    responder.add(&ident, "token.thumbprint").unwrap();
    for (alpn, served) in [
        (&[&b"acme-tls/1"[..]][..], true),
        (&[&b"http/1.1"[..]][..], false),
        (&[][..], false),
    ] {
        let config = https_handshake::ClientConfig::builder()
            .with_verifier(std::sync::Arc::new(AnyCert))
            .with_alpn(alpn)
            .build()
            .unwrap();
        let tcp = tokio::net::TcpStream::connect(responder.addr())
            .await
            .unwrap();
        let got = https_handshake::TlsConnector::from(std::sync::Arc::new(config))
            .connect("site.test", tcp)
            .await;
        assert_eq!(got.is_ok(), served, "ALPN {alpn:?}");
    }
}
