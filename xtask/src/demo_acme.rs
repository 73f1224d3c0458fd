//! `cargo xtask demo --acme`: seed application step 3, "the CA verifies the identity", done for
//! real with ACME (RFC 8555) http-01: the demo CA runs https-acme in-process on loopback, the site
//! proves it controls its name by serving a token, and only then the CA signs.

use std::sync::Arc;

use anyhow::{Context, Result};
use https_acme::client::{AccountKey, AcmeClient, Http01Responder};
use https_acme::{AcmeServer, Config, SqliteStore};
use https_kit::pki::{inspect, CertificateAuthority, Csr, KeyType, PrivateKey, SubjectAltName};
use serde_json::{json, Value};

use crate::demo::{AppArtifacts, SITE};

fn field(v: &Value, name: &str) -> Result<String> {
    v[name]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no {name:?} in {v}"))
}

/// Run the ACME identity check for the demo's site with the demo's CA.
pub fn identity_stage(app: &AppArtifacts) -> Result<()> {
    println!();
    let title = "Application stage, step 3 with identity verified: ACME (RFC 8555) http-01";
    println!("{title}\n{}", "-".repeat(title.chars().count()));
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run(app))
}

async fn run(app: &AppArtifacts) -> Result<()> {
    let ca = CertificateAuthority::load_dir(&app.dir)?;
    let root_pem = ca.cert_pem();
    // The site's challenge responder (port 80 in real life), and the CA's ACME server.
    let responder = Http01Responder::start("127.0.0.1:0".parse()?).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let tls = https_acme::listener_tls_config(&ca, &["127.0.0.1".to_string()])?;
    let mut cfg = Config::new(&format!("https://{}", listener.local_addr()?));
    cfg.http01_port = responder.addr().port();
    cfg.resolve.insert(SITE.into(), "127.0.0.1".parse()?);
    cfg.log = false; // the demo prints what was fetched itself
    let server = AcmeServer::new(cfg, ca, Arc::new(SqliteStore::in_memory()?));
    let directory = server.directory_url();
    let task = tokio::spawn(https_acme::serve(server, listener, tls));
    println!("\n  The CA's ACME server: {directory}");

    let account_key = AccountKey::generate(KeyType::EcdsaP256)?;
    let thumbprint = account_key.jwk().thumbprint_b64();
    let mut acme = AcmeClient::connect(&directory, root_pem.as_bytes(), account_key).await?;
    let kid = acme.register(&[]).await?;
    println!("  a. The site opens an account with a key of its own (ES256): {kid}");
    println!("     account key thumbprint (RFC 7638): {thumbprint}");

    let (order_url, order) = acme.new_order(&[SITE.to_string()]).await?;
    let authz_url = order["authorizations"][0]
        .as_str()
        .context("no authorization")?
        .to_string();
    let authz = acme.get_json(&authz_url).await?;
    let challenge = authz["challenges"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "http-01"))
        .context("no http-01 challenge")?
        .clone();
    let token = field(&challenge, "token")?;
    let key_auth = acme.key_authorization(&token);
    println!("  b. It orders a certificate for {SITE}; the CA answers with a challenge:");
    println!("     token:             {token}");
    println!("     key authorization: {key_auth}  (token . thumbprint)");

    responder.add(&token, &key_auth);
    println!("  c. The site serves it at http://{SITE}/.well-known/acme-challenge/{token}");
    acme.post(&field(&challenge, "url")?, Some(&json!({})))
        .await?;
    let done = acme.poll(&authz_url).await?;
    for line in responder.served() {
        println!("     the CA fetched: {line}");
    }
    anyhow::ensure!(done["status"] == "valid", "authorization: {done}");
    println!("  d. It matches the key authorization: the requester controls {SITE} -> authorization valid");

    let key = PrivateKey::from_pem(&std::fs::read_to_string(&app.site_key)?)?;
    let csr = Csr::new(&key, SITE, &[SubjectAltName::from_name(SITE)?])?;
    let chain = acme.finalize(&order_url, &order, csr.der()).await?;
    let facts = inspect::describe(chain.as_bytes())?;
    println!(
        "  e. The site finalizes with a CSR signed by site.key; the CA checks it as `ca sign` does"
    );
    println!(
        "     and signs: serial {}, names {}, issuer {}",
        facts.serial.as_deref().unwrap_or(""),
        facts.subject_alt_names.join(", "),
        facts.issuer.as_deref().unwrap_or("")
    );
    task.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_acme_identity_stage_runs_on_the_application_stages_ca_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let app = crate::demo::application_stage(dir.path()).unwrap();
        super::identity_stage(&app).unwrap();
    }
}
