//! `cargo xtask limbo --input limbo.json --out results.json [--engine ours|webpki] [--no-compare]
//! [--check] [--case ID] [-v]`
//!
//! Runs every x509-limbo test case through our validator (https-verify) and, in the same run, through
//! rustls-webpki for comparison; writes the harness results of the selected engine (x509-limbo
//! format) and prints a summary per engine. The last line is the selected engine's
//! `N passed, M failed, K skipped`.

use anyhow::{bail, Context, Result};
use https_kit::verify::{self as hv, Purpose, Request, ServerName, TrustAnchors};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Suite {
    testcases: Vec<Testcase>,
}

#[derive(Deserialize)]
struct PeerName {
    kind: String,
    value: String,
}

#[derive(Deserialize)]
struct Testcase {
    id: String,
    #[serde(default)]
    conflicts_with: Vec<String>,
    #[serde(default)]
    features: Vec<String>,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    #[serde(default)]
    signature_algorithms: Vec<String>,
    #[serde(default)]
    key_usage: Vec<String>,
    #[serde(default)]
    extended_key_usage: Vec<String>,
    expected_result: String,
    expected_peer_name: Option<PeerName>,
    #[serde(default)]
    expected_peer_names: Vec<PeerName>,
    max_chain_depth: Option<usize>,
    #[serde(default)]
    crls: Vec<String>,
}

#[derive(Serialize, Clone)]
struct CaseResult {
    id: String,
    actual_result: &'static str,
    context: Option<String>,
}

#[derive(Serialize)]
struct Results {
    version: u32,
    harness: String,
    results: Vec<CaseResult>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Ours,
    Webpki,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Ours => "ours (https-verify)",
            Engine::Webpki => "webpki (rustls-webpki)",
        }
    }
}

/// Features whose behaviour we do not implement: cases tagged with them are skipped (reason given).
const OUR_UNCLAIMED_FEATURES: &[(&str, &str)] = &[
    (
        "pedantic-public-suffix-wildcard",
        "no Public Suffix List: wildcards are refused only directly under one label",
    ),
    (
        "pedantic-rfc5280",
        "trust anchors are configuration: RFC 5280 key-identifier rules are not applied to them",
    ),
    (
        "has-cert-policies",
        "certificate policy processing is not implemented",
    ),
    (
        "no-cert-policies",
        "certificate policy processing is not implemented",
    ),
];

/// Where x509-limbo offers two incompatible expectations we implement one of them
/// (the id listed here); the case that conflicts with it is skipped.
const OUR_CHOICES: &[(&str, &str)] = &[
    (
        "rfc5280::eku::ee-without-eku",
        "an end entity without EKU is valid for any purpose (RFC 5280)",
    ),
    (
        "webpki::nc::permitted-dns-match-noncritical",
        "non-critical nameConstraints are enforced like critical ones (CABF, webpki)",
    ),
    (
        "rfc5280::ca-as-leaf",
        "a CA certificate may end a path (RFC 5280 §4.2.1.9) if it may sign certificates",
    ),
];

/// Cases whose expectation contradicts many others in the same suite without being marked as a
/// conflict: the full CABF rule "the CN must be one of the SAN values" for DNS names. Hundreds of
/// bettertls cases expect SUCCESS for a CN absent from the SAN (e.g.
/// bettertls::nameconstraints::tc1708: CN bad.example.com, SAN test.localhost), so we implement
/// the CN rule only where no SAN could carry the CN (non-ASCII, non-canonical IP, case).
const OUR_UNCLAIMED_CASES: &[&str] = &["webpki::cn::not-in-san", "webpki::cn::punycode-not-in-san"];
const CN_RULE_REASON: &str =
    "full CABF 7.1.4.3 CN-in-SAN rule for DNS names (contradicts bettertls cases such as tc1708; \
     we reject only CNs no SAN could carry)";

/// What the reference rustls-webpki harness skips.
const WEBPKI_UNCLAIMED_FEATURES: &[&str] = &["has-crl", "max-chain-depth"];

fn der_of(pem_text: &str) -> Result<Vec<u8>> {
    let block = pem::parse(pem_text).context("PEM certificate")?;
    Ok(block.into_contents())
}

fn parse_time(t: &Option<String>) -> Result<i64> {
    match t {
        None => Ok(hv::unix_now()),
        Some(s) => {
            let dt = time::OffsetDateTime::parse(
                s,
                &time::format_description::well_known::Iso8601::DEFAULT,
            )
            .or_else(|_| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            })
            .with_context(|| format!("validation_time {s:?}"))?;
            // Validation time is floored to whole seconds (notbefore-fractional).
            Ok(dt.unix_timestamp())
        }
    }
}

struct Outcome {
    result: &'static str,
    context: Option<String>,
}

fn skipped(reason: impl Into<String>) -> Outcome {
    Outcome {
        result: "SKIPPED",
        context: Some(reason.into()),
    }
}

fn verdict(r: std::result::Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome {
            result: "SUCCESS",
            context: None,
        },
        Err(e) => Outcome {
            result: "FAILURE",
            context: Some(e),
        },
    }
}

fn run_ours(tc: &Testcase) -> Outcome {
    for (feature, why) in OUR_UNCLAIMED_FEATURES {
        if tc.features.iter().any(|f| f == feature) {
            return skipped(format!("feature {feature}: {why}"));
        }
    }
    for (chosen, why) in OUR_CHOICES {
        if tc.conflicts_with.iter().any(|c| c == chosen) {
            return skipped(format!(
                "conflicts with {chosen}, whose behaviour we implement: {why}"
            ));
        }
    }
    if OUR_UNCLAIMED_CASES.contains(&tc.id.as_str()) {
        return skipped(CN_RULE_REASON);
    }
    if !tc.signature_algorithms.is_empty() {
        return skipped("signature_algorithms constraints are not supported");
    }
    verdict(ours_inner(tc))
}

fn ours_inner(tc: &Testcase) -> std::result::Result<(), String> {
    let time = parse_time(&tc.validation_time).map_err(|e| format!("{e:#}"))?;
    let mut anchors = TrustAnchors::new();
    for pem_text in &tc.trusted_certs {
        // A trust anchor we cannot parse is simply not trusted.
        if let Ok(der) = der_of(pem_text) {
            let _ = anchors.add_der(&der);
        }
    }
    let inters: Vec<Vec<u8>> = tc
        .untrusted_intermediates
        .iter()
        .filter_map(|p| der_of(p).ok())
        .collect();
    let inter_refs: Vec<&[u8]> = inters.iter().map(|c| c.as_slice()).collect();
    let crl_ders: Vec<Vec<u8>> = tc.crls.iter().filter_map(|p| der_of(p).ok()).collect();
    let crl_refs: Vec<&[u8]> = crl_ders.iter().map(|c| c.as_slice()).collect();
    let ee = der_of(&tc.peer_certificate).map_err(|e| format!("{e:#}"))?;
    let purpose = match tc.validation_kind.as_str() {
        "CLIENT" => Purpose::Client,
        _ => Purpose::Server,
    };
    for eku in &tc.extended_key_usage {
        let ok = matches!(
            (eku.as_str(), purpose),
            ("serverAuth", Purpose::Server) | ("clientAuth", Purpose::Client)
        );
        if !ok {
            return Err(format!(
                "extended_key_usage {eku} is not checked by this harness"
            ));
        }
    }
    let mut required_ku = 0u16;
    for ku in &tc.key_usage {
        required_ku |= match ku.as_str() {
            "digitalSignature" => 1,
            "nonRepudiation" | "contentCommitment" => 2,
            "keyEncipherment" => 4,
            "dataEncipherment" => 8,
            "keyAgreement" => 16,
            "keyCertSign" => 32,
            "cRLSign" => 64,
            other => return Err(format!("unknown key_usage {other}")),
        };
    }
    let server_name = match (&tc.expected_peer_name, purpose) {
        (Some(p), Purpose::Server) if p.kind == "DNS" || p.kind == "IP" => {
            Some(ServerName::parse(&p.value).map_err(|e| e.to_string())?)
        }
        (Some(p), Purpose::Server) => {
            return Err(format!("peer name kind {} for a server", p.kind))
        }
        _ => None,
    };
    let mut req = Request::new(&ee, &anchors, time)
        .intermediates(&inter_refs)
        .purpose(purpose);
    req.required_key_usage = required_ku;
    if let Some(n) = &server_name {
        req = req.name(n);
    }
    if let Some(d) = tc.max_chain_depth {
        req = req.max_depth(d);
    }
    req = req.crls(&crl_refs);
    hv::verify_chain(&req).map_err(|e| e.to_string())?;
    // CLIENT cases name the peer by email; the library matches DNS/IP only, so check here.
    for p in &tc.expected_peer_names {
        client_name_present(&ee, p)?;
    }
    Ok(())
}

/// `--case ID`: our report for one case (for debugging the validator).
fn explain(tc: &Testcase) -> Result<()> {
    let time = parse_time(&tc.validation_time)?;
    let mut anchors = TrustAnchors::new();
    for p in &tc.trusted_certs {
        if let Err(e) = der_of(p)
            .map_err(|e| e.to_string())
            .and_then(|d| anchors.add_der(&d).map_err(|e| e.to_string()))
        {
            println!("anchor not loaded: {e}");
        }
    }
    let inters: Vec<Vec<u8>> = tc
        .untrusted_intermediates
        .iter()
        .filter_map(|p| der_of(p).ok())
        .collect();
    let inter_refs: Vec<&[u8]> = inters.iter().map(|c| c.as_slice()).collect();
    let crl_ders: Vec<Vec<u8>> = tc.crls.iter().filter_map(|p| der_of(p).ok()).collect();
    let crl_refs: Vec<&[u8]> = crl_ders.iter().map(|c| c.as_slice()).collect();
    let ee = der_of(&tc.peer_certificate)?;
    let name = match &tc.expected_peer_name {
        Some(p) => Some(ServerName::parse(&p.value)?),
        None => None,
    };
    let purpose = if tc.validation_kind == "CLIENT" {
        Purpose::Client
    } else {
        Purpose::Server
    };
    let mut req = Request::new(&ee, &anchors, time)
        .intermediates(&inter_refs)
        .purpose(purpose);
    if let Some(n) = &name {
        req = req.name(n);
    }
    if let Some(d) = tc.max_chain_depth {
        req = req.max_depth(d);
    }
    req = req.crls(&crl_refs);
    let (report, _) = hv::verify_with_report(&req);
    println!(
        "{}\nexpected {}; features {:?}\n{report}",
        tc.id, tc.expected_result, tc.features
    );
    println!("ours: {:?} {:?}", run_ours(tc).result, run_ours(tc).context);
    Ok(())
}

fn client_name_present(ee: &[u8], p: &PeerName) -> std::result::Result<(), String> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(ee).map_err(|e| e.to_string())?;
    let san = cert.subject_alternative_name().map_err(|e| e.to_string())?;
    let found = san.is_some_and(|s| {
        s.value
            .general_names
            .iter()
            .any(|gn| match (gn, p.kind.as_str()) {
                (GeneralName::RFC822Name(m), "RFC822") => *m == p.value,
                (GeneralName::DNSName(d), "DNS") => d.eq_ignore_ascii_case(&p.value),
                _ => false,
            })
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "expected peer name {}:{} not in subjectAltName",
            p.kind, p.value
        ))
    }
}

fn run_webpki(tc: &Testcase) -> Outcome {
    for feature in WEBPKI_UNCLAIMED_FEATURES {
        if tc.features.iter().any(|f| f == feature) {
            return skipped(format!(
                "feature {feature} not supported by the webpki harness"
            ));
        }
    }
    if tc.validation_kind != "SERVER" {
        return skipped("non-SERVER validation kind");
    }
    if !tc.signature_algorithms.is_empty() || !tc.key_usage.is_empty() {
        return skipped("signature_algorithms / key_usage constraints");
    }
    if let Some(p) = &tc.expected_peer_name {
        if p.kind != "DNS" && p.kind != "IP" {
            return skipped(format!("peer name kind {}", p.kind));
        }
    }
    verdict(webpki_inner(tc))
}

fn webpki_inner(tc: &Testcase) -> std::result::Result<(), String> {
    let time = parse_time(&tc.validation_time).map_err(|e| format!("{e:#}"))?;
    let trusted: Vec<CertificateDer<'static>> = tc
        .trusted_certs
        .iter()
        .filter_map(|p| der_of(p).ok())
        .map(CertificateDer::from)
        .collect();
    let anchors: Vec<_> = trusted
        .iter()
        .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
        .collect();
    let inters: Vec<CertificateDer<'static>> = tc
        .untrusted_intermediates
        .iter()
        .filter_map(|p| der_of(p).ok())
        .map(CertificateDer::from)
        .collect();
    let ee_der = CertificateDer::from(der_of(&tc.peer_certificate).map_err(|e| format!("{e:#}"))?);
    let ee = webpki::EndEntityCert::try_from(&ee_der).map_err(|e| format!("{e:?}"))?;
    let t = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(time).unwrap_or(0)));
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &inters,
        t,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| format!("{e:?}"))?;
    if let Some(p) = &tc.expected_peer_name {
        let name = rustls_pki_types::ServerName::try_from(p.value.as_str())
            .map_err(|e| format!("{e:?}"))?;
        ee.verify_is_valid_for_subject_name(&name)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    false_accepts: Vec<String>,
    false_rejects: Vec<String>,
    skip_reasons: BTreeMap<String, usize>,
}

fn run_engine(engine: Engine, cases: &[Testcase]) -> (Vec<CaseResult>, Tally, Duration) {
    let start = Instant::now();
    let mut tally = Tally::default();
    let mut results = Vec::with_capacity(cases.len());
    for tc in cases {
        // A panic in a validator is a harness-breaking bug, but report it per case.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match engine {
            Engine::Ours => run_ours(tc),
            Engine::Webpki => run_webpki(tc),
        }))
        .unwrap_or_else(|_| Outcome {
            result: "FAILURE",
            context: Some("PANIC".into()),
        });
        match out.result {
            "SKIPPED" => {
                tally.skipped += 1;
                *tally
                    .skip_reasons
                    .entry(out.context.clone().unwrap_or_default())
                    .or_default() += 1;
            }
            r if r == tc.expected_result => tally.passed += 1,
            "SUCCESS" => {
                tally.failed += 1;
                tally.false_accepts.push(tc.id.clone());
            }
            _ => {
                tally.failed += 1;
                tally.false_rejects.push(format!(
                    "{}: {}",
                    tc.id,
                    out.context.clone().unwrap_or_default()
                ));
            }
        }
        results.push(CaseResult {
            id: tc.id.clone(),
            actual_result: out.result,
            context: out.context,
        });
    }
    (results, tally, start.elapsed())
}

fn print_tally(engine: Engine, t: &Tally, took: Duration, verbose: bool) {
    println!("== {} ({:.1}s)", engine.name(), took.as_secs_f64());
    println!(
        "   matched {}, false accepts {}, false rejects {}, skipped {}",
        t.passed,
        t.false_accepts.len(),
        t.false_rejects.len(),
        t.skipped
    );
    let limit = if verbose { usize::MAX } else { 15 };
    for id in t.false_accepts.iter().take(limit) {
        println!("   FALSE ACCEPT {id}");
    }
    for id in t.false_rejects.iter().take(limit) {
        println!("   false reject {id}");
    }
    for (reason, n) in &t.skip_reasons {
        println!("   skipped {n:>4}: {reason}");
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let mut input = None;
    let mut out = None;
    let mut engine = Engine::Ours;
    let mut compare = true;
    let mut verbose = false;
    let mut case: Option<String> = None;
    let mut check = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--input" => input = it.next().cloned(),
            "--out" => out = it.next().cloned(),
            "--engine" => {
                engine = match it.next().map(|s| s.as_str()) {
                    Some("ours") => Engine::Ours,
                    Some("webpki") => Engine::Webpki,
                    other => bail!("--engine takes ours|webpki, got {other:?}"),
                }
            }
            "--no-compare" => compare = false,
            "--check" => check = true,
            "--case" => case = it.next().cloned(),
            "-v" | "--verbose" => verbose = true,
            other => bail!("limbo: unknown argument {other:?}"),
        }
    }
    let input = input.context("limbo: --input limbo.json is required")?;
    let text = std::fs::read(&input).with_context(|| format!("reading {input}"))?;
    let suite: Suite = serde_json::from_slice(&text).with_context(|| format!("parsing {input}"))?;
    eprintln!("limbo: {} test cases from {input}", suite.testcases.len());
    if let Some(id) = case {
        let tc = suite
            .testcases
            .iter()
            .find(|t| t.id == id)
            .context("no such test case")?;
        return explain(tc);
    }

    let other = match engine {
        Engine::Ours => Engine::Webpki,
        Engine::Webpki => Engine::Ours,
    };
    let (results, tally, took) = run_engine(engine, &suite.testcases);
    let mut other_matched = None;
    if compare {
        let (_, other_tally, other_took) = run_engine(other, &suite.testcases);
        print_tally(other, &other_tally, other_took, false);
        other_matched = Some(other_tally.passed);
    }
    print_tally(engine, &tally, took, verbose);
    if let Some(out) = out {
        let doc = Results {
            version: 1,
            harness: format!("https-kit {}", engine.name()),
            results,
        };
        std::fs::write(&out, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("writing {out}"))?;
        eprintln!("limbo: results written to {out}");
    }
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    // --check (CI): our engine must have no false accepts and at least the other engine's matches.
    if check && engine == Engine::Ours {
        if !tally.false_accepts.is_empty() {
            bail!("limbo: {} false accept(s)", tally.false_accepts.len());
        }
        if let Some(theirs) = other_matched {
            if tally.passed < theirs {
                bail!(
                    "limbo: {} matches, fewer than rustls-webpki's {theirs}",
                    tally.passed
                );
            }
        }
    }
    Ok(())
}
