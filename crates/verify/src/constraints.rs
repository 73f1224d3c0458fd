//! Name constraints (RFC 5280 §4.2.1.10): a CA's permitted and excluded subtrees against every
//! name below it. DNS and IP relations are https-pkix's (the CA applies the same ones); also
//! directoryName (RDN prefix) and rfc822Name; other forms under a constraint fail closed.

use crate::error::VerifyError;
use crate::name;
use crate::recorder::Recorder;
use crate::report::{Check, Outcome};
use crate::store::{Budget, Ctx, Node};
use https_pkix::{dns, ip};
use x509_parser::extensions::{GeneralName, GeneralSubtree, NameConstraints};
use x509_parser::x509::X509Name;

/// A name of a certificate under a constraint: its subject, or one of its SANs.
#[derive(Clone, Copy)]
enum Subject<'x, 'a> {
    Dir(&'x X509Name<'a>),
    San(&'x GeneralName<'a>),
}

impl Subject<'_, '_> {
    fn describe(self) -> String {
        match self {
            Subject::Dir(n) => format!("DirName:{}", crate::cert::name_to_string(n)),
            Subject::San(gn) => name::describe(gn),
        }
    }
}

/// Why a name fails a CA's constraints (the message is built only for an error or a report).
#[derive(Clone, Copy)]
enum Violation {
    Budget,
    Malformed,
    Unsupported,
    Outside,
    Excluded,
}

impl Violation {
    fn why(self) -> &'static str {
        match self {
            Violation::Budget => "name-constraint budget exhausted",
            Violation::Malformed => "malformed name or constraint",
            Violation::Unsupported => "unsupported name form under a constraint",
            Violation::Outside => "outside the permitted subtrees",
            Violation::Excluded => "inside an excluded subtree",
        }
    }
}

/// The nameConstraints `nc` of `ca` against every certificate below it: the end entity always,
/// intermediates unless self-issued (RFC 5280 §6.1.3 (b)). `path` lists the intermediates
/// below `ca`, bottom first.
pub(crate) fn check<R: Recorder>(
    cx: Ctx<'_, '_>,
    rec: &mut R,
    budget: &mut Budget,
    ca: Node,
    nc: &NameConstraints<'_>,
    path: &[usize],
) -> Result<(), VerifyError> {
    let below = std::iter::once(Node::Ee).chain(path.iter().map(|&i| Node::Inter(i)));
    for n in below {
        let c = cx.cert(n);
        if n != Node::Ee && c.self_issued() {
            continue;
        }
        let subject_name = c.subject_name();
        let subject = subject_name
            .as_ref()
            .filter(|n| n.iter().next().is_some())
            .map(Subject::Dir);
        let names = subject.into_iter().chain(c.san().iter().map(Subject::San));
        for name in names {
            if let Err(v) = within(budget, nc, name) {
                let shown = format!("{} ({})", name.describe(), v.why());
                rec.record(|| {
                    let detail = format!(
                        "{shown} of {} violates this CA's name constraints",
                        cx.store.label(n)
                    );
                    cx.step(Check::NameConstraints, ca, Outcome::Fail, detail)
                });
                return Err(VerifyError::NameConstraintViolation {
                    name: shown,
                    ca: cx.cert(ca).subject_string(),
                });
            }
        }
    }
    rec.record(|| {
        let detail = "all names below satisfy the name constraints".into();
        cx.step(Check::NameConstraints, ca, Outcome::Pass, detail)
    });
    Ok(())
}

/// One name against both subtree lists: inside a permitted subtree of its form (if there is
/// any), and no part of it inside an excluded one.
fn within(
    budget: &mut Budget,
    nc: &NameConstraints<'_>,
    name: Subject<'_, '_>,
) -> Result<(), Violation> {
    for (permitted, subtrees) in [
        (true, &nc.permitted_subtrees),
        (false, &nc.excluded_subtrees),
    ] {
        let Some(subtrees) = subtrees else { continue };
        let mut same_form = false;
        let mut inside_any = false;
        for GeneralSubtree { base } in subtrees {
            if !budget.spend_nc_comparison() {
                return Err(Violation::Budget);
            }
            let Some((all, some)) = relation(name, base)? else {
                continue;
            };
            same_form = true;
            // Permitted: the whole name must be inside; excluded: no part of it may be.
            inside_any |= if permitted { all } else { some };
        }
        if permitted && same_form && !inside_any {
            return Err(Violation::Outside);
        }
        if !permitted && inside_any {
            return Err(Violation::Excluded);
        }
    }
    Ok(())
}

/// `(all inside, some inside)` of `name` against `base`; None when `base` is another form.
fn relation(
    name: Subject<'_, '_>,
    base: &GeneralName<'_>,
) -> Result<Option<(bool, bool)>, Violation> {
    let same = |inside: bool| Ok(Some((inside, inside)));
    let dir = match name {
        Subject::Dir(n) | Subject::San(GeneralName::DirectoryName(n)) => Some(n),
        Subject::San(_) => None,
    };
    if let Some(n) = dir {
        let GeneralName::DirectoryName(b) = base else {
            return Ok(None);
        };
        let mut rdns = n.iter();
        return same(b.iter().all(|rdn| rdns.next() == Some(rdn)));
    }
    match (name, base) {
        (Subject::San(GeneralName::DNSName(n)), GeneralName::DNSName(b)) => {
            match dns::subtree_relation(n, b) {
                Ok(w) => Ok(Some((w.all, w.some))),
                Err(_) => Err(Violation::Malformed),
            }
        }
        (Subject::San(GeneralName::IPAddress(n)), GeneralName::IPAddress(b)) => {
            if n.len() != 4 && n.len() != 16 {
                return Err(Violation::Malformed);
            }
            ip::in_subtree(n, b).map_or(Err(Violation::Malformed), same)
        }
        (Subject::San(GeneralName::RFC822Name(n)), GeneralName::RFC822Name(b)) => {
            email_in_subtree(n, b).map_or(Err(Violation::Malformed), same)
        }
        (Subject::San(a), b) if form(a) == form(b) => Err(Violation::Unsupported),
        _ => Ok(None),
    }
}

fn form(gn: &GeneralName<'_>) -> u8 {
    match gn {
        GeneralName::OtherName(..) => 0,
        GeneralName::RFC822Name(_) => 1,
        GeneralName::DNSName(_) => 2,
        GeneralName::X400Address(_) => 3,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EDIPartyName(_) => 5,
        GeneralName::URI(_) => 6,
        GeneralName::IPAddress(_) => 7,
        GeneralName::RegisteredID(_) => 8,
        GeneralName::Invalid(t, _) => 100u8.saturating_add(t.0.min(100) as u8),
    }
}

/// RFC 5280 §4.2.1.10 rfc822Name constraints: a full mailbox matches exactly; a host matches
/// mailboxes on that host; ".host" matches mailboxes on subdomains. Characters are literal.
fn email_in_subtree(mailbox: &str, base: &str) -> Option<bool> {
    let (local, host) = mailbox.split_once('@')?;
    if local.is_empty() || host.contains('@') || !dns::is_valid_plain(host) {
        return None;
    }
    if base.contains('@') {
        let (blocal, bhost) = base.rsplit_once('@')?;
        return Some(local == blocal && host.eq_ignore_ascii_case(bhost));
    }
    if let Some(domain) = base.strip_prefix('.') {
        // Strictly below `domain`: at least one label and a dot in front of it.
        let Some(cut) = host.len().checked_sub(domain.len() + 1).filter(|&c| c > 0) else {
            return Some(false);
        };
        return Some(host.as_bytes()[cut] == b'.' && host[cut + 1..].eq_ignore_ascii_case(domain));
    }
    Some(host.eq_ignore_ascii_case(base))
}

#[cfg(test)]
mod tests {
    use super::email_in_subtree;

    #[test]
    fn mailbox_subtrees() {
        assert_eq!(email_in_subtree("a@example.com", "example.com"), Some(true));
        assert_eq!(
            email_in_subtree("a@x.example.com", ".example.com"),
            Some(true)
        );
        assert_eq!(
            email_in_subtree("a@example.com", ".example.com"),
            Some(false)
        );
        assert_eq!(
            email_in_subtree("a@badexample.com", ".example.com"),
            Some(false)
        );
        assert_eq!(
            email_in_subtree("a@example.com", "a@EXAMPLE.com"),
            Some(true)
        );
        assert_eq!(
            email_in_subtree("b@example.com", "a@example.com"),
            Some(false)
        );
        assert_eq!(email_in_subtree("example.com", "example.com"), None);
    }
}
