//! The certificates of one validation, parsed once: the end entity, the intermediates, the
//! anchors that could issue any of them, and the caller's CRLs; plus the work budget they share.

use crate::cert::Cert;
use crate::error::VerifyError;
use crate::recorder::Recorder;
use crate::report::{Check, Outcome, SignatureDetail, Step};
use crate::request::Request;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// Signature verifications per validation (as rustls-webpki).
pub(crate) const SIGNATURE_BUDGET: usize = 100;
/// Candidate issuers examined per validation.
pub(crate) const CANDIDATE_BUDGET: usize = 5_000;
/// Name-constraint comparisons per validation (as rustls-webpki).
pub(crate) const NC_BUDGET: usize = 250_000;

/// A certificate of the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    Ee,
    Inter(usize),
    /// Index into `Store::anchors` (not the anchor set).
    Anchor(usize),
}

pub(crate) struct Store<'r> {
    pub ee: Cert<'r>,
    pub inters: Vec<Option<Cert<'r>>>,
    /// (index in the anchor set, parsed certificate) for anchors that may issue something here.
    pub anchors: Vec<(usize, Cert<'r>)>,
    pub crls: Vec<CertificateRevocationList<'r>>,
}

impl<'r> Store<'r> {
    /// Parses what `req` names. Fails if the end entity or a CRL does not parse; an unparseable
    /// intermediate is only noted (it matters only if nothing else works).
    pub fn build<R: Recorder>(req: &Request<'r>, rec: &mut R) -> Result<Self, VerifyError> {
        let ee = Cert::parse(req.end_entity).inspect_err(|e| {
            rec.record(|| bare_step(Check::Parse, "end-entity".into(), e.to_string()))
        })?;
        let inters: Vec<Option<Cert<'r>>> = req
            .intermediates
            .iter()
            .enumerate()
            .map(|(i, der)| {
                Cert::parse(der)
                    .inspect_err(|e| {
                        rec.record(|| {
                            let detail = format!("{e}; ignored for path building");
                            bare_step(Check::Parse, format!("intermediate[{i}]"), detail)
                        })
                    })
                    .ok()
            })
            .collect();
        let anchors = anchors_for(req, &ee, &inters);
        let mut crls = Vec::with_capacity(req.crls.len());
        for (i, der) in req.crls.iter().enumerate() {
            match CertificateRevocationList::from_der(der) {
                Ok(([], crl)) => crls.push(crl),
                _ => {
                    let e = VerifyError::malformed(format!(
                        "CRL #{i} is not a DER CertificateRevocationList"
                    ));
                    rec.record(|| bare_step(Check::Revocation, format!("crl[{i}]"), e.to_string()));
                    return Err(e);
                }
            }
        }
        Ok(Store {
            ee,
            inters,
            anchors,
            crls,
        })
    }

    pub fn cert(&self, n: Node) -> &Cert<'r> {
        match n {
            Node::Ee => &self.ee,
            Node::Inter(i) => self.inters[i].as_ref().unwrap_or(&self.ee),
            Node::Anchor(k) => &self.anchors[k].1,
        }
    }

    pub fn label(&self, n: Node) -> String {
        match n {
            Node::Ee => "end-entity".into(),
            Node::Inter(i) => format!("intermediate[{i}]"),
            Node::Anchor(k) => format!("anchor[{}]", self.anchors[k].0),
        }
    }
}

/// The anchors whose subject is the issuer of the end entity or of an intermediate, parsed.
fn anchors_for<'r>(
    req: &Request<'r>,
    ee: &Cert<'r>,
    inters: &[Option<Cert<'r>>],
) -> Vec<(usize, Cert<'r>)> {
    let mut out: Vec<(usize, Cert<'r>)> = Vec::new();
    for issuer in
        std::iter::once(ee.issuer_raw()).chain(inters.iter().flatten().map(|c| c.issuer_raw()))
    {
        for &a in req.anchors.with_subject(issuer) {
            if !out.iter().any(|(k, _)| *k == a) {
                out.extend(req.anchors.cert(a).map(|c| (a, c)));
            }
        }
    }
    out
}

/// A failed step about something that is not (yet) a node.
fn bare_step(check: Check, cert: String, detail: String) -> Step {
    Step {
        check,
        cert,
        subject: String::new(),
        outcome: Outcome::Fail,
        detail,
        signature: None,
    }
}

/// What the checks read: the request and its parsed certificates.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'s, 'r> {
    pub req: &'s Request<'r>,
    pub store: &'s Store<'r>,
}

impl<'s, 'r> Ctx<'s, 'r> {
    pub fn cert(&self, n: Node) -> &'s Cert<'r> {
        self.store.cert(n)
    }

    /// A step about `node` (only ever called inside [`Recorder::record`]).
    pub fn step(&self, check: Check, node: Node, outcome: Outcome, detail: String) -> Step {
        self.step_with(check, node, outcome, detail, None)
    }

    pub fn step_with(
        &self,
        check: Check,
        node: Node,
        outcome: Outcome,
        detail: String,
        signature: Option<SignatureDetail>,
    ) -> Step {
        Step {
            check,
            cert: self.store.label(node),
            subject: self.store.cert(node).subject_string(),
            outcome,
            detail,
            signature,
        }
    }
}

/// The work one validation may do, so hostile pools (cycles, 100 look-alike CAs, huge name
/// constraint lists) end quickly.
#[derive(Default)]
pub(crate) struct Budget {
    signatures: usize,
    candidates: usize,
    nc_comparisons: usize,
}

impl Budget {
    pub fn spend_signature(&mut self) -> Result<(), VerifyError> {
        if self.signatures >= SIGNATURE_BUDGET {
            return Err(VerifyError::BudgetExceeded {
                what: format!("more than {SIGNATURE_BUDGET} signature checks"),
            });
        }
        self.signatures += 1;
        Ok(())
    }

    pub fn spend_candidate(&mut self) -> Result<(), VerifyError> {
        self.candidates += 1;
        if self.candidates > CANDIDATE_BUDGET {
            return Err(VerifyError::BudgetExceeded {
                what: format!("more than {CANDIDATE_BUDGET} candidate issuers"),
            });
        }
        Ok(())
    }

    /// False once the name-constraint comparisons are used up.
    pub fn spend_nc_comparison(&mut self) -> bool {
        self.nc_comparisons += 1;
        self.nc_comparisons <= NC_BUDGET
    }
}

/// RFC 3339 text of a Unix time, for messages.
pub(crate) fn fmt_time(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(dt) => dt
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| t.to_string()),
        Err(_) => format!("unix {t}"),
    }
}
