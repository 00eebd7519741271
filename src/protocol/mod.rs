//! The protocol core: no I/O at all. Bytes in, values out.

pub mod check;
pub mod close;
pub mod compress;
pub mod deflate;
pub mod diff;
pub mod endpoint;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod frame;
pub mod handshake;
pub mod hold;
pub mod http;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod payload;
pub mod pcapng;
pub mod replay;
pub mod rtt;
pub mod rules;
pub mod stream;
pub mod transcript;
pub mod url;
pub mod utf8;
pub mod violation;

/// Which end of a connection sent something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The side that opened the connection; it masks its frames.
    Client,
    /// The side that accepted it; it never masks.
    Server,
}

impl Role {
    /// "client" or "server".
    pub fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    /// The other end.
    pub fn other(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}
