//! Reading input: turning what the user gave (a pasted dump today, a
//! capture file later) into bytes for the protocol layer. No I/O happens
//! here; the commands read files and stdin and pass the bytes in. This sits
//! beside the printers, under `cmd`: neither imports the other.

pub mod console;
pub mod dump;
pub mod key;
