//! Path building (RFC 5280 §6, with webpki-style profile choices).
//!
//! The search goes from the end entity upward: for the current certificate it looks for issuers
//! (trust anchors first, then the given intermediates) whose subject equals its issuer, checks
//! each candidate (`checks`: dates, CA flag, key usage, EKU; here: key identifiers, signature,
//! path length; `revocation`; `constraints`) and recurses; when a candidate fails it tries the
//! next one. Signature and issuer-check results are memoised and the work is bounded
//! (`store::Budget`), so hostile pools (cycles, 100 look-alike CAs) end quickly.

use crate::checks;
use crate::constraints;
use crate::error::VerifyError;
use crate::recorder::{Recorder, Silent};
use crate::report::{Check, ErrorInfo, Outcome, PathEntry, Report, SignatureDetail, Step};
use crate::request::{Request, VerifiedPath, MAX_PATH_LEN};
use crate::revocation;
use crate::sig;
use crate::store::{fmt_time, Budget, Ctx, Node, Store};

/// Verifies the request; the fast path: no report, no message built for a passing check.
pub fn verify_chain(req: &Request<'_>) -> Result<VerifiedPath, VerifyError> {
    let mut silent = Silent;
    validate(req, &mut silent).map(|(vp, _)| vp)
}

/// Verifies the request and explains every step.
pub fn verify_with_report(req: &Request<'_>) -> (Report, Result<VerifiedPath, VerifyError>) {
    let mut steps: Vec<Step> = Vec::new();
    let result = validate(req, &mut steps);
    let mut report = Report {
        valid: result.is_ok(),
        time: fmt_time(req.time),
        name: req.name.map(|n| n.to_string()),
        purpose: req.purpose.name().into(),
        steps,
        ..Report::default()
    };
    let result = match result {
        Ok((vp, path)) => {
            report.path = path;
            Ok(vp)
        }
        Err(e) => {
            report.error = Some(ErrorInfo {
                kind: e.kind().into(),
                message: e.to_string(),
            });
            Err(e)
        }
    };
    (report, result)
}

/// Parses, checks the end entity, searches; returns the path (and, when recording, its entries).
fn validate<R: Recorder>(
    req: &Request<'_>,
    rec: &mut R,
) -> Result<(VerifiedPath, Vec<PathEntry>), VerifyError> {
    let store = Store::build(req, rec)?;
    let cx = Ctx { req, store: &store };
    let mut s = Search {
        cx,
        rec,
        budget: Budget::default(),
        sig_memo: Memo::default(),
        issuer_memo: Memo::default(),
    };
    let result = checks::end_entity(cx, s.rec).and_then(|()| s.search(&mut Vec::new()));
    match result {
        Ok(vp) => {
            let entries = if R::ENABLED {
                path_entries(cx, &vp)
            } else {
                Vec::new()
            };
            s.rec.record(|| {
                let chain: Vec<&str> = entries.iter().map(|e| e.cert.as_str()).collect();
                let detail = format!("path found: {}", chain.join(" -> "));
                cx.step(Check::Path, Node::Ee, Outcome::Pass, detail)
            });
            Ok((vp, entries))
        }
        Err(e) => {
            s.rec.record(|| {
                cx.step(
                    Check::Path,
                    Node::Ee,
                    Outcome::Fail,
                    format!("no valid path: {e}"),
                )
            });
            Err(e)
        }
    }
}

/// The report's view of a path: end entity first, anchor last.
fn path_entries(cx: Ctx<'_, '_>, vp: &VerifiedPath) -> Vec<PathEntry> {
    let entry = |n: Node| PathEntry {
        cert: cx.store.label(n),
        subject: cx.cert(n).subject_string(),
    };
    let mut entries = vec![entry(Node::Ee)];
    entries.extend(vp.intermediates.iter().map(|&i| entry(Node::Inter(i))));
    entries.push(PathEntry {
        cert: format!("anchor[{}]", vp.anchor),
        subject: cx
            .req
            .anchors
            .subject(vp.anchor)
            .unwrap_or_default()
            .to_string(),
    });
    entries
}

/// Results already computed in this validation. Paths are short: the first few live inline
/// (no allocation on the common path), the rest in a list; either beats a hash map here.
struct Memo<K> {
    inline: [Option<(K, Result<(), VerifyError>)>; 4],
    spill: Vec<(K, Result<(), VerifyError>)>,
}

impl<K> Default for Memo<K> {
    fn default() -> Self {
        Memo {
            inline: [None, None, None, None],
            spill: Vec::new(),
        }
    }
}

impl<K: Copy + PartialEq> Memo<K> {
    fn get(&self, key: K) -> Option<&Result<(), VerifyError>> {
        let inline = self.inline.iter().map_while(|e| e.as_ref());
        inline
            .chain(self.spill.iter())
            .find(|(k, _)| *k == key)
            .map(|(_, r)| r)
    }

    fn put(&mut self, key: K, r: Result<(), VerifyError>) {
        match self.inline.iter_mut().find(|e| e.is_none()) {
            Some(slot) => *slot = Some((key, r)),
            None => self.spill.push((key, r)),
        }
    }
}

struct Search<'s, 'r, 'x, R> {
    cx: Ctx<'s, 'r>,
    rec: &'x mut R,
    budget: Budget,
    /// (child, issuer) → signature result. Paths are short: a list beats a hash map.
    sig_memo: Memo<(Node, Node)>,
    /// issuer → `checks::issuer` result.
    issuer_memo: Memo<Node>,
}

impl<R: Recorder> Search<'_, '_, '_, R> {
    /// Depth-first search from the top of `path` (or the end entity) to a trust anchor.
    fn search(&mut self, path: &mut Vec<usize>) -> Result<VerifiedPath, VerifyError> {
        let cx = self.cx;
        let store = cx.store;
        let child = path.last().map(|&i| Node::Inter(i)).unwrap_or(Node::Ee);
        let child_cert = cx.cert(child);
        let issuer_name = child_cert.issuer_raw();
        let anchors = (0..store.anchors.len())
            .filter(|&k| store.anchors[k].1.subject_raw() == issuer_name)
            .map(Node::Anchor);
        let inters = (0..store.inters.len())
            .filter(|&i| {
                store.inters[i]
                    .as_ref()
                    .is_some_and(|c| c.subject_raw() == issuer_name)
            })
            .map(Node::Inter);
        let (n_anchors, n_inters) = (anchors.clone().count(), inters.clone().count());
        let candidates = anchors.chain(inters);
        if n_anchors + n_inters == 0 {
            self.rec.record(|| {
                let detail = format!(
                    "no anchor or intermediate has subject {}",
                    child_cert.issuer_string()
                );
                cx.step(Check::IssuerLookup, child, Outcome::Fail, detail)
            });
            return Err(VerifyError::UnknownIssuer {
                issuer: child_cert.issuer_string(),
            });
        }
        self.rec.record(|| {
            let detail = format!(
                "issuer {}: {n_anchors} anchor(s), {n_inters} intermediate(s) with that subject",
                child_cert.issuer_string()
            );
            cx.step(Check::IssuerLookup, child, Outcome::Info, detail)
        });
        let mut best: Option<VerifyError> = None;
        for cand in candidates {
            self.budget.spend_candidate()?;
            match self.try_candidate(path, child, cand) {
                Ok(vp) => return Ok(vp),
                Err(e @ VerifyError::BudgetExceeded { .. }) => return Err(e),
                Err(e) => {
                    self.rec.record(|| {
                        cx.step(
                            Check::Path,
                            cand,
                            Outcome::Info,
                            format!("candidate issuer rejected: {e}"),
                        )
                    });
                    if best.as_ref().is_none_or(|b| e.rank() > b.rank()) {
                        best = Some(e);
                    }
                }
            }
        }
        Err(best.unwrap_or_else(|| VerifyError::UnknownIssuer {
            issuer: child_cert.issuer_string(),
        }))
    }

    fn try_candidate(
        &mut self,
        path: &mut Vec<usize>,
        child: Node,
        cand: Node,
    ) -> Result<VerifiedPath, VerifyError> {
        let cx = self.cx;
        if let Node::Inter(i) = cand {
            self.check_no_loop(path, i)?;
        }
        self.check_key_id(child, cand)?;
        self.issuer_checks(cand)?;
        self.verify_signature(child, cand)?;
        revocation::check(cx, self.rec, &mut self.budget, child, cand)?;
        self.check_path_length(path, cand)?;
        if let Some(nc) = cx.cert(cand).name_constraints() {
            constraints::check(cx, self.rec, &mut self.budget, cand, nc, path)?;
        }
        match cand {
            // Success ends the search: the path moves out (the callers' pops find it empty).
            Node::Anchor(k) => Ok(VerifiedPath {
                intermediates: std::mem::take(path),
                anchor: cx.store.anchors[k].0,
            }),
            Node::Inter(i) => {
                path.push(i);
                let r = self.search(path);
                path.pop();
                r
            }
            Node::Ee => Err(VerifyError::UnknownIssuer {
                issuer: "end entity".into(),
            }),
        }
    }

    /// Loops: the same certificate, or the same name and key, already below us; and the
    /// hard length limit.
    fn check_no_loop(&self, path: &[usize], i: usize) -> Result<(), VerifyError> {
        let cand_cert = self.cx.cert(Node::Inter(i));
        let looped = path.contains(&i)
            || std::iter::once(Node::Ee)
                .chain(path.iter().map(|&p| Node::Inter(p)))
                .any(|n| {
                    let c = self.cx.cert(n);
                    c.subject_raw() == cand_cert.subject_raw()
                        && c.spki_raw() == cand_cert.spki_raw()
                });
        if looped {
            return Err(VerifyError::UnknownIssuer {
                issuer: format!("{} (only through a loop)", cand_cert.subject_string()),
            });
        }
        if path.len() + 2 >= MAX_PATH_LEN {
            return Err(VerifyError::PathTooLong {
                max: MAX_PATH_LEN - 2,
            });
        }
        Ok(())
    }

    /// The child's authorityKeyIdentifier, if any, names the candidate's key.
    fn check_key_id(&mut self, child: Node, cand: Node) -> Result<(), VerifyError> {
        let cx = self.cx;
        let (child_cert, cand_cert) = (cx.cert(child), cx.cert(cand));
        if let (Some(aki), Some(ski)) = (child_cert.aki_key_id, cand_cert.ski) {
            if aki != ski {
                self.rec.record(|| {
                    let detail = format!(
                        "key identifier {} does not match the AKI {}",
                        hex::encode(ski),
                        hex::encode(aki)
                    );
                    cx.step(Check::IssuerLookup, cand, Outcome::Info, detail)
                });
                return Err(VerifyError::UnknownIssuer {
                    issuer: format!("{} (key identifier mismatch)", cand_cert.subject_string()),
                });
            }
        }
        Ok(())
    }

    /// pathLenConstraint of the candidate bounds the CAs below it. A trust anchor's own
    /// basicConstraints are not part of the path (RFC 5280 §6.1; rustls-webpki agrees). Then
    /// the caller's depth limit. Self-issued certificates are not counted.
    fn check_path_length(&mut self, path: &[usize], cand: Node) -> Result<(), VerifyError> {
        let cx = self.cx;
        let cand_cert = cx.cert(cand);
        let below = path
            .iter()
            .filter(|&&i| !cx.cert(Node::Inter(i)).self_issued())
            .count();
        let is_anchor = matches!(cand, Node::Anchor(_));
        if let Some(max) = cand_cert.basic.path_len.filter(|_| !is_anchor) {
            if below > max as usize {
                self.rec.record(|| {
                    let detail = format!("pathLenConstraint {max} but {below} CA(s) below");
                    cx.step(Check::PathLength, cand, Outcome::Fail, detail)
                });
                return Err(VerifyError::PathLenExceeded {
                    subject: cand_cert.subject_string(),
                    allowed: max,
                    found: below as u32,
                });
            }
        }
        if let Some(max) = cx.req.max_depth {
            let with_cand = below + usize::from(!is_anchor && !cand_cert.self_issued());
            if with_cand > max {
                self.rec.record(|| {
                    cx.step(
                        Check::PathLength,
                        cand,
                        Outcome::Fail,
                        format!("more than {max} intermediate(s)"),
                    )
                });
                return Err(VerifyError::PathTooLong { max });
            }
        }
        Ok(())
    }

    /// `checks::issuer`, memoised per certificate.
    fn issuer_checks(&mut self, node: Node) -> Result<(), VerifyError> {
        if let Some(r) = self.issuer_memo.get(node) {
            return r.clone();
        }
        let r = checks::issuer(self.cx, self.rec, node);
        self.issuer_memo.put(node, r.clone());
        r
    }

    /// The issuer's key verifies the child's signature over its TBS bytes; memoised.
    fn verify_signature(&mut self, child: Node, issuer: Node) -> Result<(), VerifyError> {
        if let Some(r) = self.sig_memo.get((child, issuer)) {
            return r.clone();
        }
        self.budget.spend_signature()?;
        let cx = self.cx;
        let (c, i) = (cx.cert(child), cx.cert(issuer));
        let r = match (&c.sig_alg, i.public_key()) {
            (Ok(alg), Ok(key)) => sig::verify_with(alg, &key, c.tbs_raw(), c.signature()),
            (Err(e), _) => Err((**e).clone()),
            (_, Err(e)) => Err(e),
        };
        self.rec.record(|| {
            let label = cx.store.label(issuer);
            let (outcome, detail) = match &r {
                Ok(()) => (
                    Outcome::Pass,
                    format!(
                        "signed by {label}: the signature verifies over the hash of the TBS bytes"
                    ),
                ),
                Err(e) => (Outcome::Fail, format!("not signed by {label}: {e}")),
            };
            let sd = c.sig_alg.as_ref().ok().map(|alg| SignatureDetail {
                algorithm: alg.name.into(),
                hash: alg.hash.name().into(),
                tbs_digest: alg.hash.hex_digest(c.tbs_raw()),
                issuer_key: i
                    .public_key()
                    .map(|k| k.kind.name())
                    .unwrap_or_else(|e| e.to_string()),
                issuer: i.subject_string(),
            });
            cx.step_with(Check::Signature, child, outcome, detail, sd)
        });
        self.sig_memo.put((child, issuer), r.clone());
        r
    }
}
