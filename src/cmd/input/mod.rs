//! Reading input: turning what the user gave (a pasted dump, a capture
//! file) into bytes for the protocol layer. Nothing here opens a file or
//! touches stdin or stdout: the commands open what the user named and pass
//! the bytes, or a reader for a capture streamed in, and print what the
//! protocol layer finds. This sits beside the printers, under `cmd`:
//! neither imports the other.

pub mod capture;
pub mod console;
pub mod dump;
pub mod key;
