//! The response body type every `serve` handler returns (boxed: files stream, pages are whole).

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use std::io;

/// Every response body `serve` sends.
pub type Body = UnsyncBoxBody<Bytes, io::Error>;

/// A body sent in one piece.
pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}
