//! The input format of the `server` and `client` targets: one settings byte, then operations
//! `[op][len: u16 BE][data; len]` (a short last operation takes what is left). The seed generator
//! (`cargo xtask fuzz --make-seeds`) writes the same format.

/// What the scripted peer does with one operation's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Bytes straight onto the wire.
    Raw,
    /// A handshake message (or any bytes as handshake content), protected once keys exist.
    Handshake,
    /// Application data.
    AppData,
    /// An alert record with these bytes as its content.
    Alert,
    /// The correct Finished for the transcript so far (data ignored), then the peer's
    /// application keys.
    Finished,
    /// A record with any inner type and padding: `data[0]` type, `data[1]` padding, rest content.
    Typed,
    /// KeyUpdate (`data[0] & 1` = update_requested), then the peer's next write key.
    KeyUpdate,
    /// Drive the connection under test: `data[0]` bit 0 writes the rest as plaintext, bit 1 sends
    /// close_notify, bit 2 stops reading its output (a peer that never reads), bit 3 sends EOF,
    /// bit 4 asks for a KeyUpdate, bit 5 stops patching recorded hellos (`peer.rs` `fix_up`).
    Control,
}

impl Op {
    fn from_u8(b: u8) -> Self {
        match b % 8 {
            0 => Self::Raw,
            1 => Self::Handshake,
            2 => Self::AppData,
            3 => Self::Alert,
            4 => Self::Finished,
            5 => Self::Typed,
            6 => Self::KeyUpdate,
            _ => Self::Control,
        }
    }

    /// The byte that encodes this operation.
    pub fn to_u8(self) -> u8 {
        self as u8
    }
}

/// A parsed script.
#[derive(Debug)]
pub struct Script<'a> {
    /// Settings (chunking, configuration switches).
    pub settings: u8,
    /// Operations in order.
    pub ops: Vec<(Op, &'a [u8])>,
}

/// At most this many operations are run per input (bounded work per execution).
pub const MAX_OPS: usize = 64;

impl<'a> Script<'a> {
    /// Parses any bytes (never fails; empty input is an empty script).
    pub fn parse(data: &'a [u8]) -> Self {
        let Some((&settings, mut rest)) = data.split_first() else {
            return Self {
                settings: 0,
                ops: Vec::new(),
            };
        };
        let mut ops = Vec::new();
        while rest.len() >= 3 && ops.len() < MAX_OPS {
            let op = Op::from_u8(rest[0]);
            let len = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
            let body = &rest[3..];
            let take = len.min(body.len());
            ops.push((op, &body[..take]));
            rest = &body[take..];
        }
        Self { settings, ops }
    }
}

/// Appends one operation (for seed generators).
pub fn push_op(out: &mut Vec<u8>, op: Op, data: &[u8]) {
    let len = u16::try_from(data.len()).expect("seed operations are under 64 KiB");
    out.push(op.to_u8());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
}
