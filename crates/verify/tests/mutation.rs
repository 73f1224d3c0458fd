//! Thousands of mutated certificates (bit flips, truncations, trailing bytes, absurd lengths):
//! each must be rejected, never accepted and never panic, and the report must say which check
//! failed (a parse step for structural damage).

use https_pki::{CaOptions, CertificateAuthority, Profile};
use https_verify::{verify_with_report, Check, Outcome, Request, ServerName, TrustAnchors};

/// xorshift64*: deterministic, so a failure names a reproducible mutation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct Fixture {
    root: Vec<u8>,
    inter: Vec<u8>,
    leaf: Vec<u8>,
}

fn fixture() -> Fixture {
    let root = CertificateAuthority::new_root(&CaOptions::root("Mutation Root")).expect("root");
    let inter = root
        .new_intermediate(&CaOptions::intermediate("Mutation Intermediate"))
        .expect("intermediate");
    let leaf = inter
        .issue(&["mutation.example"], &Profile::server())
        .expect("leaf");
    Fixture {
        root: root.cert_der().to_vec(),
        inter: inter.cert_der().to_vec(),
        leaf: leaf.cert_der,
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    BitFlip,
    Truncate,
    Trailing,
    AbsurdLength,
}

/// Offsets of DER length octets (a header walk over every TLV that parses).
fn length_offsets(der: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![(0usize, der.len())];
    while let Some((mut at, end)) = stack.pop() {
        while at + 2 <= end {
            let tag = der[at];
            let len_at = at + 1;
            let first = der[len_at] as usize;
            let (len, hdr) = if first < 0x80 {
                (first, 2)
            } else {
                let n = first & 0x7f;
                if n == 0 || n > 3 || len_at + n >= end {
                    break;
                }
                let mut l = 0usize;
                for i in 0..n {
                    l = (l << 8) | der[len_at + 1 + i] as usize;
                }
                (l, 2 + n)
            };
            if at + hdr + len > end {
                break;
            }
            out.push(len_at);
            if tag & 0x20 != 0 {
                stack.push((at + hdr, at + hdr + len));
            }
            at += hdr + len;
        }
    }
    out
}

fn mutate(rng: &mut Rng, der: &[u8], kind: Kind, lens: &[usize]) -> Vec<u8> {
    let mut m = der.to_vec();
    match kind {
        Kind::BitFlip => {
            for _ in 0..=rng.below(3) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
        }
        Kind::Truncate => m.truncate(rng.below(m.len())),
        Kind::Trailing => {
            for _ in 0..=rng.below(16) {
                m.push(rng.next() as u8);
            }
        }
        Kind::AbsurdLength => {
            let at = lens[rng.below(lens.len())];
            let absurd: &[&[u8]] = &[
                &[0x84, 0xff, 0xff, 0xff, 0xff],
                &[0x89],
                &[0x80],
                &[0xff],
                &[0x83, 0x7f, 0xff, 0xff],
            ];
            let pick = absurd[rng.below(absurd.len())];
            m.splice(at..at + 1, pick.iter().copied());
        }
    }
    m
}

#[test]
fn mutated_certificates_are_rejected_with_a_reason() {
    let f = fixture();
    let anchors = TrustAnchors::from_der_list([&f.root]).expect("anchors");
    let name = ServerName::parse("mutation.example").expect("name");
    let now = https_verify::unix_now();
    // The unmutated chain is valid, so every rejection below is caused by the mutation.
    let inters = [f.inter.as_slice()];
    let ok = Request::new(&f.leaf, &anchors, now)
        .intermediates(&inters)
        .name(&name);
    let (report, result) = verify_with_report(&ok);
    assert!(result.is_ok(), "{report}");

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let kinds = [
        Kind::BitFlip,
        Kind::Truncate,
        Kind::Trailing,
        Kind::AbsurdLength,
    ];
    let mut total = 0;
    let mut parse_failures = 0;
    // HTTPS_VERIFY_MUTATIONS=100000 for a longer soak.
    let rounds: usize = std::env::var("HTTPS_VERIFY_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8000);
    for round in 0..rounds {
        let kind = kinds[round % kinds.len()];
        // Mutate the leaf most of the time, sometimes the intermediate.
        let target_inter = round % 5 == 4;
        let original = if target_inter { &f.inter } else { &f.leaf };
        let lens = length_offsets(original);
        let mutated = mutate(&mut rng, original, kind, &lens);
        if mutated == *original {
            continue;
        }
        let (leaf, inter) = if target_inter {
            (f.leaf.as_slice(), mutated.as_slice())
        } else {
            (mutated.as_slice(), f.inter.as_slice())
        };
        let inters = [inter];
        let req = Request::new(leaf, &anchors, now)
            .intermediates(&inters)
            .name(&name);
        let (report, result) = verify_with_report(&req);
        total += 1;
        assert!(
            result.is_err(),
            "round {round} {kind:?} (intermediate: {target_inter}) was accepted:\n{report}"
        );
        assert!(
            report.steps.iter().any(|s| s.outcome == Outcome::Fail),
            "round {round}: no failed step\n{report}"
        );
        let parse_failed = report.has_failed(Check::Parse);
        if parse_failed {
            parse_failures += 1;
        }
        // Structural damage to the leaf must show up as a parse failure.
        if !target_inter && matches!(kind, Kind::Truncate | Kind::Trailing | Kind::AbsurdLength) {
            assert!(
                parse_failed,
                "round {round} {kind:?}: no parse step failed\n{report}"
            );
        }
        // The JSON form is always producible.
        assert!(serde_json::to_string(&report).is_ok());
    }
    assert!(total >= rounds * 97 / 100, "only {total} mutations ran");
    assert!(
        parse_failures > 1000,
        "only {parse_failures} parse failures"
    );
    eprintln!("{total} mutated certificates rejected ({parse_failures} at the parse step)");
}
