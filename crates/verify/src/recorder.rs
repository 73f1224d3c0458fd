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
