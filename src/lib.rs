#![warn(missing_docs)]
#![forbid(unsafe_code)]
//! wsdbg: debug and inspect WebSocket (RFC 6455) traffic.
//!
//! Three layers, each using only the ones below it: [`protocol`] (no I/O:
//! bytes in, values out), [`mod@print`] (annotated text and JSON into any
//! writer), [`cmd`] (all I/O). Beside `print`, [`cmd::input`] turns what
//! the user gave (pasted dumps) into bytes; [`cli`] holds the command-line
//! definitions.

pub mod cli;
pub mod cmd;
pub mod print;
pub mod protocol;
