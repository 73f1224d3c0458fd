//! Shared pieces of the fuzz targets: input chunking, a scripted TLS peer (so the fuzzer can reach
//! the encrypted part of a handshake), an independent record sealer/opener, and the fixtures.
//!
//! The targets (`fuzz_targets/*.rs`) assert invariants, not only "no panic"; every assertion names
//! the rule it checks so a crash report says what broke.

pub mod fixtures;
pub mod peer;
pub mod records;
pub mod script;

/// How a byte stream is cut before it is fed: chosen by one input byte, so the fuzzer explores
/// chunk boundaries (a record split anywhere, one byte at a time, everything at once).
#[derive(Debug, Clone, Copy)]
pub struct Chunker {
    sizes: &'static [usize],
    at: usize,
}

const PATTERNS: [&[usize]; 8] = [
    &[usize::MAX],
    &[1],
    &[2, 3, 5, 7],
    &[5, 1],
    &[4096],
    &[16_389, 1],
    &[100, 3, 1000],
    &[6, 16_384, 31],
];

impl Chunker {
    /// The pattern picked by `selector` (any byte).
    pub fn new(selector: u8) -> Self {
        Self {
            sizes: PATTERNS[usize::from(selector) % PATTERNS.len()],
            at: 0,
        }
    }

    /// The size of the next piece (at least 1).
    pub fn next_len(&mut self, left: usize) -> usize {
        let n = self.sizes[self.at % self.sizes.len()];
        self.at += 1;
        n.clamp(1, left.max(1))
    }
}
