//! The one macro behind every TLS code-point enum (alerts here; versions, handshake and extension
//! types in https-handshake): named values plus `Unknown(raw)`, so decoding is total and
//! re-encoding is exact.

/// `code_points! { /// docs
/// pub enum Name(u16, from_u16, to_u16) { Variant = 0x0304 => "iana_name", ... } }` defines the
/// enum (each variant documented by its IANA name), `from_*` (total: an unnamed value becomes
/// `Unknown`), `to_*`, `name()` (`"unknown"` for `Unknown`) and `From` both ways.
#[doc(hidden)]
#[macro_export]
macro_rules! code_points {
    ($(#[$meta:meta])* $vis:vis enum $name:ident($repr:ty, $from:ident, $to:ident) {
        $($var:ident = $val:expr => $text:expr,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(#[doc = $text] $var,)*
            /// A value this crate does not name (kept so decoding never loses information).
            Unknown($repr),
        }

        impl $name {
            /// From the wire value; a value not named here is `Unknown`.
            pub const fn $from(v: $repr) -> Self {
                match v {
                    $($val => Self::$var,)*
                    x => Self::Unknown(x),
                }
            }
            /// The wire value.
            pub const fn $to(self) -> $repr {
                match self {
                    $(Self::$var => $val,)*
                    Self::Unknown(x) => x,
                }
            }
            /// The IANA name, or `"unknown"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$var => $text,)*
                    Self::Unknown(_) => "unknown",
                }
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                Self::$from(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> Self {
                v.$to()
            }
        }
    };
}
