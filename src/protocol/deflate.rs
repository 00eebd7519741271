//! permessage-deflate (RFC 7692), the extension every browser offers: which
//! negotiation enables it, and inflating a compressed message so that a
//! debugger can show what was sent.

use std::collections::VecDeque;

use flate2::{Decompress, DecompressError, FlushDecompress, Status};

use super::violation::{fit_reason, Answer, Broken};

/// The most a single message may inflate to: a compressed message is
/// input-controlled, and a few KiB can claim gigabytes.
pub const MAX_INFLATED: usize = 64 << 20;

/// What a `Sec-WebSocket-Extensions` value says about permessage-deflate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeflateParams {
    /// The client resets its compression context for every message.
    pub client_no_context_takeover: bool,
    /// The server resets its compression context for every message.
    pub server_no_context_takeover: bool,
}

/// Finds permessage-deflate in a `Sec-WebSocket-Extensions` value (a
/// comma-separated list of `name; param; param=value`).
pub fn find_deflate(value: &[u8]) -> Option<DeflateParams> {
    let value = String::from_utf8_lossy(value);
    for ext in value.split(',') {
        let mut parts = ext.split(';').map(str::trim);
        if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
            continue;
        }
        let mut params = DeflateParams::default();
        for p in parts {
            let name = p.split('=').next().unwrap_or("").trim();
            if name.eq_ignore_ascii_case("client_no_context_takeover") {
                params.client_no_context_takeover = true;
            } else if name.eq_ignore_ascii_case("server_no_context_takeover") {
                params.server_no_context_takeover = true;
            }
        }
        return Some(params);
    }
    None
}

/// Appended to every compressed message before inflating it (RFC 7692
/// §7.2.2): with the header bits the sender left at its end, an empty
/// stored block.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// An empty stored block with BFINAL clear: between blocks, zlib takes it
/// whole and yields nothing.
const EMPTY_BLOCK: [u8; 5] = [0x00, 0x00, 0x00, 0xff, 0xff];

/// The LZ77 window: how far back DEFLATE may refer (RFC 1951 §2).
const WINDOW: usize = 32 << 10;

/// Why a compressed message did not inflate. Each variant carries its
/// numbers; [`InflateError::id`], [`InflateError::section`] and
/// [`InflateError::close_code`] say what to report, `Display` is for tests
/// and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// The message inflates to more than `limit` bytes; inflating stopped
    /// there.
    TooBig {
        /// The limit passed to the inflater, in inflated bytes.
        limit: usize,
    },
    /// The compressed data is not DEFLATE: zlib stopped with `zlib_message`.
    Invalid {
        /// zlib's own words: "invalid block type", "invalid distance too
        /// far back", ...
        zlib_message: &'static str,
        /// Offset within the message's compressed data of the byte in
        /// which zlib found the error (at or past the data's length: in
        /// the appended `00 00 ff ff`).
        at: u64,
    },
    /// The message refers back to bytes this inflater never saw: the
    /// input starts in the middle of the connection, or an earlier message
    /// of this direction did not inflate. The sender may be right, and
    /// nothing of the message can be inflated honestly.
    NeedsEarlierMessages {
        /// Offset within the message's compressed data of the byte in which
        /// the back-reference ends.
        at: u64,
    },
    /// The compressed data does not end between DEFLATE blocks: the
    /// appended `00 00 ff ff` does not complete the empty stored block
    /// whose header bits RFC 7692 §7.2.1 puts at the end, so what it would
    /// inflate to is made of the tail's bytes.
    Truncated {
        /// The message's compressed length.
        len: u64,
    },
}

impl InflateError {
    /// A stable kebab-case id for scripts.
    pub fn id(self) -> &'static str {
        match self {
            Self::TooBig { .. } => "inflated-too-big",
            Self::Invalid { .. } => "bad-compressed-data",
            Self::NeedsEarlierMessages { .. } => "needs-earlier-messages",
            Self::Truncated { .. } => "truncated-compressed-data",
        }
    }

    /// The RFC and section that the error is about: "RFC 7692 §7.2.2".
    pub fn section(self) -> &'static str {
        match self {
            // An implementation-specific limit on a message's size.
            Self::TooBig { .. } => "RFC 6455 §10.4",
            Self::Invalid { .. } | Self::NeedsEarlierMessages { .. } => "RFC 7692 §7.2.2",
            Self::Truncated { .. } => "RFC 7692 §7.2.1",
        }
    }

    /// The close code a receiver fails the connection with (RFC 6455
    /// §7.4.1): 1009 for a message too big to process, 1007 for data that
    /// does not inflate (RFC 7692 names no code; 1007 is RFC 6455's for
    /// data inconsistent with its message). None when the sender did
    /// nothing wrong that this input shows.
    pub fn close_code(self) -> Option<u16> {
        match self {
            Self::TooBig { .. } => Some(1009),
            Self::Invalid { .. } | Self::Truncated { .. } => Some(1007),
            Self::NeedsEarlierMessages { .. } => None,
        }
    }

    /// Whether the sender broke a rule. A message too big for this
    /// inflater's limit breaks none, and one that needs earlier messages
    /// may be right.
    pub fn is_violation(self) -> bool {
        matches!(self, Self::Invalid { .. } | Self::Truncated { .. })
    }
}

impl Broken for InflateError {
    fn id(&self) -> &'static str {
        InflateError::id(*self)
    }

    fn section(&self) -> &'static str {
        InflateError::section(*self)
    }

    fn answer(&self) -> Option<Answer> {
        self.close_code().map(Answer::Close)
    }

    fn reason(&self) -> String {
        let s = match *self {
            Self::TooBig { limit } => format!("message inflates past {limit} bytes"),
            Self::Invalid { at, .. } => {
                format!("compressed data is not valid DEFLATE at byte {at}")
            }
            Self::NeedsEarlierMessages { .. } => {
                "message refers back to earlier messages not seen".into()
            }
            Self::Truncated { .. } => "compressed data ends inside a DEFLATE block".into(),
        };
        fit_reason(s)
    }
}

impl std::fmt::Display for InflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::TooBig { limit } => write!(f, "the message inflates to more than {limit} bytes"),
            Self::Invalid { zlib_message, at } => write!(
                f,
                "the compressed data is not valid DEFLATE: {zlib_message} (compressed byte {at})"
            ),
            Self::NeedsEarlierMessages { at } => write!(
                f,
                "compressed byte {at} refers back to bytes of earlier messages that the input lacks"
            ),
            Self::Truncated { len } => write!(
                f,
                "the compressed data ({len} bytes) ends inside a DEFLATE block, not with an empty stored block's header"
            ),
        }
    }
}

impl std::error::Error for InflateError {}

/// zlib's message as a `&'static str`: zlib's messages are a fixed set.
fn zlib_message(e: &DecompressError) -> &'static str {
    const KNOWN: &[&str] = &[
        "invalid block type",
        "invalid stored block lengths",
        "too many length or distance symbols",
        "invalid code lengths set",
        "invalid bit length repeat",
        "invalid code -- missing end-of-block",
        "invalid literal/lengths set",
        "invalid distances set",
        "invalid literal/length code",
        "invalid distance code",
        "invalid distance too far back",
        "invalid distance code too far back",
    ];
    let said = e.message().unwrap_or("");
    KNOWN
        .iter()
        .find(|m| **m == said)
        .copied()
        .unwrap_or("invalid DEFLATE data")
}

/// Inflates the compressed messages of one direction of a connection, as
/// they arrive: [`Inflater::begin_message`], [`Inflater::feed`] with each
/// piece of compressed payload, [`Inflater::finish_message`] at the end.
/// The LZ77 window is kept from one message to the next unless the sender
/// negotiated `*_no_context_takeover`.
///
/// A final block (BFINAL set, allowed by RFC 7692 §7.2.1) ends zlib's
/// stream but not the window: the next byte starts a new stream that may
/// still refer back (§7.2.2), so the inflater keeps its own copy of the
/// window to hand to the new stream.
///
/// zlib's state (47,552 bytes with zlib-rs 0.6, its window included) and
/// that copy (32 KiB) are allocated at the first compressed byte, so a
/// direction that never compresses costs nothing.
pub struct Inflater {
    /// Created at the first compressed byte.
    z: Option<Decompress>,
    reset_each_message: bool,
    /// The last [`WINDOW`] bytes inflated since zlib's window was emptied,
    /// to restore it when a final block ends zlib's stream.
    window: VecDeque<u8>,
    /// zlib's stream ended with a final block: the next byte starts a new
    /// one.
    stream_ended: bool,
    /// Whether zlib's window holds all that the sender may refer back to:
    /// false while this direction's bytes before the input's start, or
    /// those of a message that did not inflate, may be needed.
    history_complete: bool,
    /// zlib's state no longer follows the sender's: reset it at the next
    /// message.
    broken: bool,
    message: Option<Progress>,
}

/// Where the message being inflated stands.
#[derive(Debug, Default)]
struct Progress {
    /// Compressed bytes fed.
    len: u64,
    /// Compressed bytes zlib took, the appended tail included.
    consumed: u64,
    /// Bytes inflated.
    inflated: usize,
    /// The error that stopped it; repeated by later calls.
    failed: Option<InflateError>,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("reset_each_message", &self.reset_each_message)
            .field("history_complete", &self.history_complete)
            .field("zlib_allocated", &self.z.is_some())
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// An inflater; `reset_each_message` when the sender negotiated
    /// `*_no_context_takeover`. The input may start in the middle of the
    /// connection: a back-reference before the first byte seen is
    /// [`InflateError::NeedsEarlierMessages`], not an error of the sender
    /// (see [`Inflater::at_connection_start`]).
    pub fn new(reset_each_message: bool) -> Self {
        Self {
            z: None,
            reset_each_message,
            window: VecDeque::new(),
            stream_ended: false,
            history_complete: false,
            broken: false,
            message: None,
        }
    }

    /// The input holds this direction from the connection's first message,
    /// so a back-reference before the first byte is the sender's error.
    pub fn at_connection_start(mut self) -> Self {
        self.history_complete = true;
        self
    }

    /// Starts a compressed message (the frame with RSV1 set). A message
    /// left unfinished is abandoned, and with it the window.
    pub fn begin_message(&mut self) {
        if self.message.take().is_some() {
            self.broken = true;
        }
        if self.reset_each_message || self.broken {
            if let Some(z) = self.z.as_mut() {
                z.reset(false);
            }
            self.window.clear();
            self.stream_ended = false;
            // With no context takeover the sender starts from an empty
            // window too; otherwise what we dropped may be referred to.
            self.history_complete = self.reset_each_message;
            self.broken = false;
        }
        self.message = Some(Progress::default());
    }

    /// Inflates the next piece of the message's compressed payload (a
    /// frame's, or part of one), appending what it yields to `out` at once,
    /// so that a caller can check text as it comes and stop early. The
    /// message may inflate to `limit` bytes in all; past that, `out` holds
    /// the first `limit` and the error is [`InflateError::TooBig`]. On any
    /// error `out` keeps the bytes inflated before it (real ones, never
    /// guessed), and the same error is returned until the next message.
    /// Calling it with no message begun begins one.
    pub fn feed(
        &mut self,
        compressed: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        let progress = self.progress();
        if let Some(e) = progress.failed {
            return Err(e);
        }
        progress.len += compressed.len() as u64;
        self.run(compressed, out, limit).map_err(|e| self.fail(e))
    }

    /// Ends the message: inflates the `00 00 ff ff` that RFC 7692 §7.2.2
    /// appends and checks that it completed an empty stored block. That
    /// yields nothing, so nothing is appended to `out`: zlib writes each
    /// byte as soon as its code is complete, during [`Inflater::feed`]. A
    /// message that ends inside a block is [`InflateError::Truncated`],
    /// and what the tail would make of it is dropped.
    pub fn finish_message(&mut self, _out: &mut Vec<u8>, limit: usize) -> Result<(), InflateError> {
        let failed = self.progress().failed;
        let result = match failed {
            Some(e) => Err(e),
            None => self.finish(limit).map_err(|e| self.fail(e)),
        };
        self.message = None;
        result
    }

    /// Inflates a whole message (all its frames' payloads joined) at once.
    pub fn inflate(&mut self, data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
        let mut out = Vec::with_capacity((data.len().saturating_mul(4)).clamp(64, limit.max(64)));
        self.begin_message();
        self.feed(data, &mut out, limit)?;
        self.finish_message(&mut out, limit)?;
        Ok(out)
    }

    fn finish(&mut self, limit: usize) -> Result<(), InflateError> {
        let truncated = InflateError::Truncated {
            len: self.progress().len,
        };
        let mut spilled = Vec::new();
        match self.run(&TAIL, &mut spilled, limit) {
            Err(e @ InflateError::TooBig { .. }) => return Err(e),
            // The data was fine up to its end: the tail did not finish it.
            Err(_) => return Err(truncated),
            Ok(()) if !spilled.is_empty() => return Err(truncated),
            Ok(()) => {}
        }
        if self.stream_ended {
            return Ok(());
        }
        // Having completed a block header and its empty block, zlib is
        // between blocks and takes one more empty block whole, yielding
        // nothing; inside a block it reads those bytes as something else.
        let Some(z) = self.z.as_mut() else {
            return Ok(());
        };
        let mut sink = [0u8; 8];
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let result = z.decompress(&EMPTY_BLOCK, &mut sink, FlushDecompress::Sync);
        let took = z.total_in() - in_before;
        let made = z.total_out() - out_before;
        match result {
            Ok(Status::Ok | Status::BufError) if took == 5 && made == 0 => Ok(()),
            _ => Err(truncated),
        }
    }

    fn progress(&mut self) -> &mut Progress {
        if self.message.is_none() {
            self.begin_message();
        }
        self.message.get_or_insert_with(Progress::default)
    }

    fn fail(&mut self, e: InflateError) -> InflateError {
        self.progress().failed = Some(e);
        self.broken = true;
        e
    }

    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        if input.is_empty() {
            return Ok(());
        }
        self.progress();
        let history_complete = self.history_complete;
        let Self {
            z,
            message,
            window,
            stream_ended,
            ..
        } = self;
        let z = z.get_or_insert_with(|| Decompress::new(false));
        let Some(msg) = message.as_mut() else {
            return Ok(());
        };
        loop {
            if *stream_ended {
                if input.is_empty() {
                    return Ok(());
                }
                restart(z, window).map_err(|e| InflateError::Invalid {
                    zlib_message: zlib_message(&e),
                    at: msg.consumed,
                })?;
                *stream_ended = false;
            }
            let allowed = limit.saturating_sub(msg.inflated).saturating_add(1);
            // Less room than zlib-rs's fast path needs (260 bytes): when
            // that path finds an error, zlib-rs 0.6 reports "repeated call
            // with bad state" instead of zlib's message, which is how a
            // reference too far back is told apart. The slow path inflates
            // text at about half the speed (460 MiB/s here, release).
            let offered = allowed.min(259);
            let start = out.len();
            out.resize(start + offered, 0);
            let (in_before, out_before) = (z.total_in(), z.total_out());
            let result = z.decompress(input, &mut out[start..], FlushDecompress::Sync);
            let took = (z.total_in() - in_before) as usize;
            let made = (z.total_out() - out_before) as usize;
            out.truncate(start + made);
            input = &input[took..];
            msg.consumed += took as u64;
            msg.inflated += made;
            remember(window, &out[start..]);
            if msg.inflated > limit {
                out.truncate(out.len() - (msg.inflated - limit));
                return Err(InflateError::TooBig { limit });
            }
            let at = msg.consumed.saturating_sub(1);
            match result {
                Err(e) => return Err(classify(zlib_message(&e), at, history_complete)),
                Ok(Status::StreamEnd) => *stream_ended = true,
                Ok(_) if made == offered => {}
                Ok(_) if input.is_empty() => return Ok(()),
                // zlib takes all input unless its output is full; this
                // guards the loop.
                Ok(_) if took == 0 && made == 0 => {
                    return Err(InflateError::Invalid {
                        zlib_message: "inflate made no progress",
                        at,
                    })
                }
                Ok(_) => {}
            }
        }
    }
}

/// Starts a new DEFLATE stream after a final block, with the window the
/// last one left.
fn restart(z: &mut Decompress, window: &mut VecDeque<u8>) -> Result<(), DecompressError> {
    z.reset(false);
    let dictionary = window.make_contiguous();
    if !dictionary.is_empty() {
        // For raw DEFLATE, zlib's inflateSetDictionary fills the window.
        z.set_dictionary(dictionary)?;
    }
    Ok(())
}

/// Keeps the last [`WINDOW`] bytes of `window` followed by `bytes`.
fn remember(window: &mut VecDeque<u8>, bytes: &[u8]) {
    if window.capacity() == 0 && !bytes.is_empty() {
        window.reserve_exact(WINDOW);
    }
    let bytes = &bytes[bytes.len().saturating_sub(WINDOW)..];
    let excess = (window.len() + bytes.len()).saturating_sub(WINDOW);
    window.drain(..excess);
    window.extend(bytes);
}

/// zlib's error or, for a reference before all the bytes zlib holds when
/// earlier ones may exist, the lack of them.
fn classify(zlib_message: &'static str, at: u64, history_complete: bool) -> InflateError {
    if zlib_message == "invalid distance too far back" && !history_complete {
        InflateError::NeedsEarlierMessages { at }
    } else {
        InflateError::Invalid { zlib_message, at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::FlushCompress;

    const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    /// One message fed in the pieces given, as a caller with frames would.
    fn message(i: &mut Inflater, pieces: &[&[u8]]) -> Result<Vec<u8>, InflateError> {
        let mut out = Vec::new();
        i.begin_message();
        for piece in pieces {
            i.feed(piece, &mut out, MAX_INFLATED)?;
        }
        i.finish_message(&mut out, MAX_INFLATED)?;
        Ok(out)
    }

    #[test]
    fn rfc_7692_examples() {
        // §7.2.3.1: "Hello" in one frame, then in frames of 3 and 4 bytes.
        let mut i = Inflater::new(true);
        assert_eq!(message(&mut i, &[&HELLO]).unwrap(), b"Hello");
        assert_eq!(
            message(&mut i, &[&HELLO[..3], &HELLO[3..]]).unwrap(),
            b"Hello"
        );
        // §7.2.3.2: with client_no_context_takeover the second "Hello" is
        // the same bytes; without, it refers back into the first.
        assert_eq!(message(&mut i, &[&HELLO]).unwrap(), b"Hello");
        let mut i = Inflater::new(false);
        assert_eq!(message(&mut i, &[&HELLO]).unwrap(), b"Hello");
        let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(message(&mut i, &[&again]).unwrap(), b"Hello");
        // §7.2.3.2 again: uncompressed messages in between do not touch
        // the window (they never reach the inflater).
        assert_eq!(message(&mut i, &[&again]).unwrap(), b"Hello");
        // §7.2.3.3: a block with no compression.
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        assert_eq!(message(&mut i, &[&stored]).unwrap(), b"Hello");
        // §7.2.3.4: a block with BFINAL set, then a stored block's header.
        let bfinal = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(message(&mut i, &[&bfinal]).unwrap(), b"Hello");
        // §7.2.3.5: two blocks, "He" and "llo", with an empty stored block
        // between them.
        let two = [
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        assert_eq!(message(&mut i, &[&two]).unwrap(), b"Hello");
        // §7.2.3.6: a non-final fragment keeps its 00 00 ff ff, and an
        // empty last fragment is 00.
        let flushed = [
            0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
        ];
        assert_eq!(message(&mut i, &[&flushed, &[0x00]]).unwrap(), b"Hello");
        // After all of them the window still holds what they inflated to.
        assert_eq!(message(&mut i, &[&again]).unwrap(), b"Hello");
    }

    /// 1 MiB of zeros, compressed to about a kilobyte (zlib-rs's deflate,
    /// sync-flushed, the `00 00 ff ff` stripped).
    fn zeros_mib() -> Vec<u8> {
        let mut z = flate2::Compress::new(flate2::Compression::best(), false);
        let mut packed = Vec::with_capacity(1 << 20);
        z.compress_vec(
            &vec![0u8; 1 << 20],
            &mut packed,
            flate2::FlushCompress::Sync,
        )
        .unwrap();
        assert!(packed.ends_with(&TAIL));
        packed.truncate(packed.len() - 4);
        assert!(packed.len() < 8192, "{}", packed.len());
        packed
    }

    #[test]
    fn garbage_is_invalid() {
        let e = Inflater::new(true)
            .inflate(&[0xff, 0xff, 0xff, 0xff], MAX_INFLATED)
            .unwrap_err();
        assert_eq!(
            e,
            InflateError::Invalid {
                zlib_message: "invalid block type",
                at: 0
            }
        );
        assert_eq!(
            (e.id(), e.section(), e.close_code(), e.is_violation()),
            ("bad-compressed-data", "RFC 7692 §7.2.2", Some(1007), true)
        );
    }

    #[test]
    fn a_bomb_stops_at_the_limit_as_it_grows() {
        let body = zeros_mib();
        let limit = 64 << 10;
        let mut i = Inflater::new(false);
        let mut out = Vec::new();
        i.begin_message();
        let e = i.feed(&body, &mut out, limit).unwrap_err();
        assert_eq!(e, InflateError::TooBig { limit });
        assert_eq!(
            (e.id(), e.section(), e.close_code(), e.is_violation()),
            ("inflated-too-big", "RFC 6455 §10.4", Some(1009), false)
        );
        // Never more than the limit held, nor much more allocated.
        assert_eq!(out.len(), limit);
        assert!(out.capacity() <= 2 * limit, "{}", out.capacity());
        assert_eq!(i.finish_message(&mut out, limit), Err(e), "stays failed");
        assert_eq!(out.len(), limit);
        // Within the limit it inflates whole, and the window was dropped
        // with the failed message.
        assert_eq!(i.inflate(&body, 2 << 20).unwrap().len(), 1 << 20);
    }

    #[test]
    fn zlib_is_allocated_at_the_first_compressed_byte() {
        let mut i = Inflater::new(false);
        assert!(i.z.is_none() && i.window.capacity() == 0);
        i.begin_message();
        let mut out = Vec::new();
        i.feed(&[], &mut out, MAX_INFLATED).unwrap();
        assert!(i.z.is_none(), "nothing compressed yet");
        i.feed(&[0xf2], &mut out, MAX_INFLATED).unwrap();
        assert!(i.z.is_some());
        i.feed(&[0x48, 0xcd], &mut out, MAX_INFLATED).unwrap();
        assert_eq!(i.window.capacity(), WINDOW, "with the first inflated byte");
    }

    // Bug: miniz_oxide inflated these 5 bytes into 'h' and 16 invented
    // NULs. 'h', then a back-reference reaching before the first byte; real
    // zlib (Python: zlib.decompressobj(wbits=-15)) says "invalid distance
    // too far back" after the 'h'.
    const BEFORE_THE_START: [u8; 5] = [0xca, 0x40, 0x17, 0x00, 0x00];

    #[test]
    fn a_reference_before_the_input_needs_earlier_messages() {
        let mut i = Inflater::new(false);
        let mut out = Vec::new();
        i.begin_message();
        let e = i
            .feed(&BEFORE_THE_START, &mut out, MAX_INFLATED)
            .unwrap_err();
        assert_eq!(e, InflateError::NeedsEarlierMessages { at: 3 });
        assert_eq!(out, b"h", "only the byte before the reference");
        assert_eq!(
            (e.id(), e.close_code(), e.is_violation()),
            ("needs-earlier-messages", None, false)
        );
    }

    #[test]
    fn a_reference_before_a_known_start_is_invalid() {
        let too_far = InflateError::Invalid {
            zlib_message: "invalid distance too far back",
            at: 3,
        };
        // The sender starts every message from an empty window.
        let r = Inflater::new(true).inflate(&BEFORE_THE_START, MAX_INFLATED);
        assert_eq!(r, Err(too_far));
        // The input starts with the connection.
        let r = Inflater::new(false)
            .at_connection_start()
            .inflate(&BEFORE_THE_START, MAX_INFLATED);
        assert_eq!(r, Err(too_far));
    }

    #[test]
    fn a_reference_further_back_than_the_messages_seen() {
        // "Greetings" as one match 16 bytes back, made with Python:
        // c = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=b"Greetings, Hello")
        // (c.compress(b"Greetings") + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
        let greetings = [0x72, 0x87, 0xf1, 0x01, 0x00];
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        // Mid-connection, 5 bytes seen: the 11 before them may exist.
        let mut i = Inflater::new(false);
        assert_eq!(i.inflate(&hello, MAX_INFLATED).unwrap(), b"Hello");
        assert_eq!(
            i.inflate(&greetings, MAX_INFLATED),
            Err(InflateError::NeedsEarlierMessages { at: 3 })
        );
        // From the connection's start they cannot.
        let mut i = Inflater::new(false).at_connection_start();
        assert_eq!(i.inflate(&hello, MAX_INFLATED).unwrap(), b"Hello");
        assert!(matches!(
            i.inflate(&greetings, MAX_INFLATED),
            Err(InflateError::Invalid {
                zlib_message: "invalid distance too far back",
                ..
            })
        ));
        // After a message that did not inflate, its bytes are missing.
        assert!(i.inflate(&[0xff], MAX_INFLATED).is_err());
        assert!(matches!(
            i.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], MAX_INFLATED),
            Err(InflateError::NeedsEarlierMessages { .. })
        ));
    }

    #[test]
    fn a_message_after_a_final_block_inflates() {
        // Bug: every later message came out empty. RFC 7692 §7.2.3.4:
        // "Hello" in a block with BFINAL set, then the header bits of an
        // empty stored block; §7.2.3.1's "Hello" next.
        let mut i = Inflater::new(false);
        let first = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(i.inflate(&first, MAX_INFLATED).unwrap(), b"Hello");
        let second = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(i.inflate(&second, MAX_INFLATED).unwrap(), b"Hello");
    }

    #[test]
    fn the_window_outlives_a_final_block() {
        // RFC 7692 §7.2.2: each message is inflated with the window of the
        // last; a final block ends a DEFLATE stream, not the window. Made
        // with Python: c = zlib.compressobj(9, zlib.DEFLATED, -15,
        // zdict=b"Hello"); (c.compress(b"Hello, Hello") +
        // c.flush(zlib.Z_SYNC_FLUSH))[:-4]
        let refers_back = [0xf2, 0x00, 0x11, 0x3a, 0x0a, 0x60, 0x0a, 0x00];
        let mut i = Inflater::new(false);
        let first = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(i.inflate(&first, MAX_INFLATED).unwrap(), b"Hello");
        assert_eq!(
            i.inflate(&refers_back, MAX_INFLATED).unwrap(),
            b"Hello, Hello"
        );
        // Within one message too (§7.2.1: "The next DEFLATE block follows
        // the padded data"): c.compress(b"Hello") +
        // c.flush(zlib.Z_FINISH), then " Hello" with zdict=b"Hello".
        let two_streams = [
            0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x52, 0xf0, 0x00, 0x91, 0x00, 0x00,
        ];
        let mut i = Inflater::new(true);
        assert_eq!(
            i.inflate(&two_streams, MAX_INFLATED).unwrap(),
            b"Hello Hello"
        );
        // With no context takeover the next message starts empty-handed.
        assert_eq!(
            i.inflate(&refers_back, MAX_INFLATED),
            Err(InflateError::Invalid {
                zlib_message: "invalid distance too far back",
                at: 2
            })
        );
    }

    #[test]
    fn data_that_ends_inside_a_block_is_truncated() {
        // What C zlib (Python's zlib.decompressobj(wbits=-15)) makes of
        // each with 00 00 ff ff appended is in the comments: the bytes
        // that come from the tail are not the sender's.
        let cases: [(&[u8], &[u8]); 4] = [
            // Half of "Hello": b"Heh".
            (&[0xf2, 0x48, 0xcd], b"He"),
            // A final block with no stored block after it (§7.2.3.4
            // without its last byte): b"Hello", and zlib stops with
            // 00 00 ff ff unused; a browser's inflater reads them as the
            // start of a stored block that the next message continues.
            (&[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], b"Hello"),
            // Nothing: b"" and zlib wants more (a compressed empty message
            // is 00, §7.2.3.6).
            (&[], b""),
            // A stored block of 9 bytes with 5 present: b"Hello\0\0\xff\xff".
            (
                &[0x00, 0x09, 0x00, 0xf6, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
                b"Hello",
            ),
        ];
        for (data, real) in cases {
            let mut i = Inflater::new(false);
            let mut out = Vec::new();
            i.begin_message();
            i.feed(data, &mut out, MAX_INFLATED).unwrap();
            let e = i.finish_message(&mut out, MAX_INFLATED).unwrap_err();
            assert_eq!(
                e,
                InflateError::Truncated {
                    len: data.len() as u64
                },
                "{data:02x?}"
            );
            assert_eq!(out, real, "{data:02x?}");
            assert_eq!(
                (e.id(), e.section(), e.close_code(), e.is_violation()),
                (
                    "truncated-compressed-data",
                    "RFC 7692 §7.2.1",
                    Some(1007),
                    true
                )
            );
            // The next message starts afresh, and may need what was lost.
            let r = i.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], MAX_INFLATED);
            assert_eq!(r.unwrap(), b"Hello", "{data:02x?}");
        }
        // Ending with an empty stored block that is final is ending between
        // blocks: b"Hello", eof.
        let final_empty = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x04];
        let mut i = Inflater::new(false);
        assert_eq!(i.inflate(&final_empty, MAX_INFLATED).unwrap(), b"Hello");
        assert_eq!(
            i.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], MAX_INFLATED)
                .unwrap(),
            b"Hello"
        );
    }

    /// Words in a pseudo-random order: text with back-references of all
    /// distances.
    fn text(seed: u32, len: usize) -> Vec<u8> {
        const WORDS: [&str; 12] = [
            "frame", "mask", "opcode", "ping", "pong", "close", "text", "binary", "window",
            "deflate", "inflate", "message",
        ];
        let mut x = seed;
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            out.extend_from_slice(WORDS[(x >> 16) as usize % WORDS.len()].as_bytes());
            out.push(if x & 0x100 == 0 { b' ' } else { b'\n' });
        }
        out.truncate(len);
        out
    }

    /// Compresses all of `plain` into `out`, flushing as `flush` says.
    fn deflate(
        z: &mut flate2::Compress,
        mut plain: &[u8],
        flush: FlushCompress,
        out: &mut Vec<u8>,
    ) {
        loop {
            out.reserve(plain.len() / 2 + 4096);
            let before = z.total_in();
            let status = z.compress_vec(plain, out, flush).unwrap();
            plain = &plain[(z.total_in() - before) as usize..];
            let done = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                _ => out.len() < out.capacity(),
            };
            if plain.is_empty() && done {
                return;
            }
        }
    }

    /// The compressed messages of one direction with context takeover, and
    /// what each inflates to, from a sender (zlib-rs's deflate) that keeps
    /// its window across a final block: message 2 ends its DEFLATE stream,
    /// message 3 starts a new one with the last 32 KiB as its dictionary.
    fn conversation() -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut z = flate2::Compress::new(flate2::Compression::default(), false);
        let mut sent: Vec<u8> = Vec::new();
        let mut messages = Vec::new();
        for (n, len) in [40_000, 3_000, 5_000, 70_000, 1, 0].into_iter().enumerate() {
            // Each message repeats a stretch of what came before it.
            let mut plain = text(n as u32, len / 2);
            let from = sent.len().saturating_sub(30_000);
            plain.extend_from_slice(&sent[from..][..(len - plain.len()).min(sent.len() - from)]);
            let mut data = Vec::new();
            if n == 2 {
                deflate(&mut z, &plain, FlushCompress::Finish, &mut data);
                // §7.2.1: an empty stored block after the final one, less
                // its 00 00 ff ff.
                data.push(0x00);
                sent.extend_from_slice(&plain);
                z.reset();
                z.set_dictionary(&sent[sent.len().saturating_sub(WINDOW)..])
                    .unwrap();
            } else if plain.is_empty() {
                // zlib flushes nothing new; §7.2.3.6 has the empty block.
                data.push(0x00);
            } else {
                deflate(&mut z, &plain, FlushCompress::Sync, &mut data);
                assert!(data.ends_with(&TAIL));
                data.truncate(data.len() - 4);
                sent.extend_from_slice(&plain);
            }
            messages.push((data, plain));
        }
        messages
    }

    /// Inflates every message of `conversation` fed in pieces of the sizes
    /// `sizes` gives, in turn.
    fn inflate_in_pieces(
        messages: &[(Vec<u8>, Vec<u8>)],
        mut sizes: impl FnMut() -> usize,
    ) -> Vec<Result<Vec<u8>, InflateError>> {
        let mut i = Inflater::new(false).at_connection_start();
        messages
            .iter()
            .map(|(data, _)| {
                let mut out = Vec::new();
                i.begin_message();
                let mut rest = data.as_slice();
                while !rest.is_empty() {
                    let (piece, more) = rest.split_at(sizes().clamp(1, rest.len()));
                    i.feed(piece, &mut out, MAX_INFLATED)?;
                    rest = more;
                }
                i.finish_message(&mut out, MAX_INFLATED)?;
                Ok(out)
            })
            .collect()
    }

    #[test]
    fn a_conversation_inflates_whole_and_byte_by_byte() {
        let messages = conversation();
        let plain: Vec<_> = messages.iter().map(|(_, p)| Ok(p.clone())).collect();
        // The sender did refer back across messages and the final block.
        assert!(messages[3].0.len() < messages[3].1.len() / 3);
        let mut i = Inflater::new(false).at_connection_start();
        let whole: Vec<_> = messages
            .iter()
            .map(|(data, _)| i.inflate(data, MAX_INFLATED))
            .collect();
        assert!(whole == plain, "inflated whole");
        assert!(inflate_in_pieces(&messages, || 1) == plain, "byte by byte");
        // Without the window the later messages do not inflate, with
        // zlib's words although zlib-rs finds this in its fast path. C zlib
        // (Python) says the same, at the same byte.
        let mut i = Inflater::new(true);
        assert_eq!(
            i.inflate(&messages[1].0, MAX_INFLATED),
            Err(InflateError::Invalid {
                zlib_message: "invalid distance too far back",
                at: 29
            })
        );
    }

    #[test]
    fn errors_are_the_same_byte_by_byte() {
        let conversation = conversation();
        let cases: [(bool, &[u8]); 5] = [
            (false, &BEFORE_THE_START),
            (true, &BEFORE_THE_START),
            (true, &[0xff, 0xff, 0xff, 0xff]),
            (false, &[0xf2, 0x48, 0xcd]),
            // Too far back with no window, where zlib-rs would take its fast
            // path if given the room.
            (true, &conversation[1].0),
        ];
        for (reset, data) in cases {
            let whole = {
                let mut i = Inflater::new(reset);
                let mut out = Vec::new();
                i.begin_message();
                let r = i
                    .feed(data, &mut out, MAX_INFLATED)
                    .and_then(|()| i.finish_message(&mut out, MAX_INFLATED));
                (r, out)
            };
            let bytewise = {
                let mut i = Inflater::new(reset);
                let mut out = Vec::new();
                i.begin_message();
                let r = data
                    .chunks(1)
                    .try_for_each(|b| i.feed(b, &mut out, MAX_INFLATED))
                    .and_then(|()| i.finish_message(&mut out, MAX_INFLATED));
                (r, out)
            };
            assert!(whole.0.is_err());
            assert_eq!(whole, bytewise, "{data:02x?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn any_split_inflates_the_same(sizes in proptest::collection::vec(1usize..3000, 1..40)) {
            let messages = conversation();
            let mut next = sizes.iter().copied().cycle();
            let pieces = inflate_in_pieces(&messages, || next.next().unwrap_or(1));
            for (got, (_, plain)) in pieces.iter().zip(&messages) {
                proptest::prop_assert!(got.as_ref().is_ok_and(|g| g == plain));
            }
        }
    }

    #[test]
    fn negotiation() {
        assert_eq!(
            find_deflate(b"permessage-deflate"),
            Some(DeflateParams::default())
        );
        let p = find_deflate(
            b"x-webkit, permessage-deflate; client_max_window_bits; server_no_context_takeover",
        )
        .unwrap();
        assert!(p.server_no_context_takeover && !p.client_no_context_takeover);
        assert_eq!(find_deflate(b"x-webkit-deflate-frame"), None);
    }
}
