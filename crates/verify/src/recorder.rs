//! Where the explanation goes. The validation code is generic over a [`Recorder`]: with
//! [`Silent`] (the fast path, `verify_chain`) every `record` call and the closure that would
//! build its [`Step`] compile away, so no string is formatted when no report is asked for.

use crate::report::Step;

/// Receives the steps of a validation.
pub(crate) trait Recorder {
    /// Whether steps are kept (lets callers skip work that only a report needs).
    const ENABLED: bool;
    /// Adds the step `make` builds; [`Silent`] never calls it.
    fn record<F: FnOnce() -> Step>(&mut self, make: F);
}

/// No report: the fast path.
pub(crate) struct Silent;

impl Recorder for Silent {
    const ENABLED: bool = false;
    #[inline(always)]
    fn record<F: FnOnce() -> Step>(&mut self, _make: F) {}
}

/// Every step, in order.
impl Recorder for Vec<Step> {
    const ENABLED: bool = true;
    fn record<F: FnOnce() -> Step>(&mut self, make: F) {
        self.push(make());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Outcome};

    fn step() -> Step {
        Step {
            check: Check::Path,
            cert: "end-entity".into(),
            subject: String::new(),
            outcome: Outcome::Info,
            detail: "built".into(),
            signature: None,
        }
    }

    #[test]
    fn silent_never_builds_a_step() {
        Silent.record(|| panic!("the fast path formatted a report step"));
    }

    #[test]
    fn a_report_keeps_every_step_in_order() {
        let mut steps = Vec::new();
        steps.record(step);
        steps.record(|| Step {
            outcome: Outcome::Pass,
            ..step()
        });
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1].outcome, Outcome::Pass);
    }
}
