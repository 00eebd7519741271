//! One end of a WebSocket connection, without I/O and without a clock: the
//! opening handshake (as server or client), the open state with automatic
//! pong and close replies, failing the connection with 1002/1007/1009 when
//! the peer breaks a rule, the closing handshake, and timeouts computed from
//! a `now` the caller passes in. `serve`, `connect` and a proxy drive the
//! same endpoint from sockets; tests and the fuzzer drive it from byte
//! literals.
//!
//! In: [`Endpoint::receive`] (bytes as they arrived), [`Endpoint::receive_eof`],
//! [`Endpoint::on_timeout`], and commands on the [`Outbox`]. Out: the bytes
//! to send ([`Outbox::pending`], then [`Endpoint::sent`]), what happened
//! ([`Note`]s to a handler), when to call back ([`Endpoint::deadline`]) and
//! what to do with the transport ([`Endpoint::transport`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::close::ClosePayload;
use super::compress::{self, Agreement, Deflater};
use super::frame::{encode_frame, FrameHeader};
use super::handshake::{self, Issue, IssueKind};
use super::http::{self, HeadParse};
use super::message::{Limits, MessageKind, Room};
use super::opcode::OpCode;
use super::stream::{Config, Decoder, Event, Head};
use super::violation::{Violation, MAX_CLOSE_REASON};
use super::Role;

/// How an endpoint behaves; every limit has a default that a server can
/// live with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Which end this is.
    pub role: Role,
    /// Frame and message size limits for what the peer sends.
    pub limits: Limits,
    /// The largest handshake head accepted (431 beyond, as a server).
    pub max_head: usize,
    /// Time allowed from the start until the handshake is complete.
    pub handshake_timeout: Duration,
    /// Time without a byte from the peer before closing with 1001.
    pub idle_timeout: Option<Duration>,
    /// Time to wait for the peer's close frame after sending ours, and for
    /// the peer to end the transport after the close handshake.
    pub close_timeout: Duration,
    /// Send a ping after this long without a byte from the peer.
    pub ping_interval: Option<Duration>,
    /// Server: subprotocols to pick from the client's offer, in order of
    /// preference.
    pub protocols: Vec<String>,
    /// Server: origins allowed (empty: any); others get 403.
    pub origins: Vec<String>,
    /// Decode what this end sends, for [`Note::Out`] events (a trace shows
    /// both directions with the same printer).
    pub decode_outgoing: bool,
    /// permessage-deflate (RFC 7692): a server accepts a client's offer, a
    /// client (whose request carries the offer) takes the server's answer.
    pub deflate: bool,
    /// The zlib level this end compresses at (1 fastest to 9 smallest;
    /// zlib's default is 6).
    pub deflate_level: u32,
    /// Pass on each frame's start and payload pieces as they arrive
    /// ([`Event::FrameStart`], [`Event::Payload`]); without it the handler
    /// gets frames, messages and violations.
    pub piece_events: bool,
    /// Pass on a data frame that is a whole message by itself, with no
    /// violation, as [`Event::Frame`] before its [`Event::Message`];
    /// without it such a frame gives its message only (for callers that
    /// show messages, not frames: a busy server is spared a note a
    /// message).
    pub plain_frames: bool,
    /// Server: a page (HTML) for plain HTTP GETs that ask for no upgrade
    /// ([`handshake::is_plain_get`]): `/` (any query) gets it with 200
    /// ([`handshake::build_page`]), any other path 404, and the connection
    /// ends. None: such a GET is refused like any bad handshake (426).
    pub page: Option<Arc<str>>,
    /// Server: headers added to the 101 answer (a replay sends a recorded
    /// answer's own headers again).
    pub response_headers: Vec<(String, String)>,
}

impl Settings {
    /// Defaults for a server.
    pub fn server() -> Self {
        Self {
            role: Role::Server,
            limits: Limits {
                max_frame: Some(DEFAULT_MAX_MESSAGE),
                max_message: Some(DEFAULT_MAX_MESSAGE),
            },
            max_head: DEFAULT_MAX_HEAD,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(300)),
            close_timeout: Duration::from_secs(5),
            ping_interval: None,
            protocols: Vec::new(),
            origins: Vec::new(),
            decode_outgoing: false,
            deflate: false,
            deflate_level: 6,
            piece_events: false,
            plain_frames: true,
            page: None,
            response_headers: Vec::new(),
        }
    }

    /// Defaults for a client.
    pub fn client() -> Self {
        Self {
            role: Role::Client,
            ..Self::server()
        }
    }
}

/// The default message (and frame) size limit: 16 MiB.
pub const DEFAULT_MAX_MESSAGE: u64 = 16 << 20;
/// The default limit on a handshake head: 16 KiB.
pub const DEFAULT_MAX_HEAD: usize = 16 << 10;

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The opening handshake is under way.
    Handshake,
    /// Messages flow.
    Open,
    /// This end sent a close frame and waits for the peer's.
    Closing,
    /// No more frames either way; the transport is to be ended once the
    /// pending bytes are sent.
    Closed,
}

/// What to do with the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Keep reading and writing.
    Open,
    /// Send what is pending, then end the sending side (TCP FIN), and read
    /// until the peer ends too or the deadline passes.
    Shutdown,
    /// Drop the connection now.
    Close,
}

/// Who ended the connection, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closer {
    /// The peer sent the first close frame.
    Peer,
    /// This end sent the first close frame (a command, a shutdown, an idle
    /// timeout).
    Local,
    /// This end failed the connection because the peer broke a rule.
    Failed(Violation),
    /// The transport ended without a close handshake.
    Abnormal(&'static str),
    /// The handshake was refused, or never completed.
    Handshake(&'static str),
}

/// How the connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// Who closed, and how.
    pub by: Closer,
    /// The code sent by whoever closed first (None: no code, or no close
    /// frame at all).
    pub code: Option<u16>,
    /// The reason that came with it.
    pub reason: Vec<u8>,
    /// Both close frames crossed.
    pub clean: bool,
    /// The code of the answering close frame, when this end closed first
    /// and the peer answered with another code (or with none).
    pub answer: Option<Option<u16>>,
}

/// Something that happened, for the caller to show or act on.
#[derive(Debug)]
pub enum Note<'a> {
    /// A handshake head from the peer (server: the request; client: the
    /// response), with what is wrong with it.
    HeadIn(&'a Head),
    /// The handshake head this end sent.
    HeadOut(&'a Head),
    /// A server answered a plain HTTP GET, which asks for no upgrade, with
    /// its page or 404 ([`Settings::page`]); the connection then ends. No
    /// [`Note::HeadIn`] or [`Note::HeadOut`] comes for these heads, which
    /// are not a handshake's and carry no issues.
    Page {
        /// The request ([`Head::Request`]).
        request: &'a Head,
        /// The response head as sent ([`Head::Response`]; the body that
        /// follows is not in it).
        response: &'a Head,
    },
    /// The connection is open.
    Open {
        /// The request target (server: what the client asked for).
        target: &'a str,
        /// The subprotocol agreed on.
        protocol: Option<&'a str>,
    },
    /// An event of the peer's stream of frames.
    In(Event<'a>),
    /// An event of this end's stream of frames, as sent.
    Out(Event<'a>),
    /// The connection ended.
    Closed(&'a CloseInfo),
}

/// Bytes waiting to be sent, and the commands that queue frames. Handed to
/// the note handler, so that a message can be answered as it arrives.
#[derive(Debug)]
pub struct Outbox {
    role: Role,
    out: Vec<u8>,
    open: bool,
    close_sent: Option<(Option<u16>, Vec<u8>)>,
    next_key: u32,
    messages: u64,
    /// Compresses data messages once permessage-deflate is agreed.
    deflater: Option<Box<Deflater>>,
    /// Where a message is compressed before it is framed.
    compressed: Vec<u8>,
}

impl Outbox {
    fn new(role: Role, seed: u32) -> Self {
        Self {
            role,
            out: Vec::new(),
            open: false,
            close_sent: None,
            next_key: seed | 1,
            messages: 0,
            deflater: None,
            compressed: Vec::new(),
        }
    }

    /// An outbox for frames made beside a stream this program does not own
    /// (a proxy injecting or re-framing messages on one side of a relay):
    /// open, framing as `role` does (a client masks with keys from
    /// `seed`), uncompressed until [`Outbox::compress_with`].
    pub fn beside(role: Role, seed: u32) -> Self {
        let mut o = Self::new(role, seed);
        o.open = true;
        o
    }

    /// Compresses data messages from now on with `deflater`.
    pub fn compress_with(&mut self, deflater: Deflater) {
        self.deflater = Some(Box::new(deflater));
    }

    /// Takes the bytes waiting to be sent.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Bytes waiting to be sent.
    pub fn pending(&self) -> &[u8] {
        &self.out
    }

    /// Whether frames may still be queued (open, and no close sent).
    pub fn can_send(&self) -> bool {
        self.open && self.close_sent.is_none()
    }

    /// Data messages queued so far (raw bytes are not counted: they are
    /// not known to be messages).
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Whether this end has sent its close frame.
    pub fn close_sent(&self) -> bool {
        self.close_sent.is_some()
    }

    fn mask_key(&mut self) -> Option<[u8; 4]> {
        // A client masks every frame (RFC 6455 §5.3). The keys come from a
        // generator seeded by the caller (no random source in here);
        // xorshift is enough to keep a proxy from predicting them.
        (self.role == Role::Client).then(|| {
            let mut x = self.next_key;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.next_key = x;
            x.to_be_bytes()
        })
    }

    /// Queues one frame with FIN set, masked if this end is a client.
    /// Returns false (and queues nothing) when the connection cannot send.
    pub fn send(&mut self, opcode: OpCode, payload: &[u8]) -> bool {
        // A control frame carries at most 125 bytes (RFC 6455 §5.5); a
        // broken one can still be sent on purpose with `send_frame`.
        if !self.can_send() || (opcode.is_control() && payload.len() > 125) {
            return false;
        }
        let mask = self.mask_key();
        if let (Some(d), false) = (self.deflater.as_mut(), opcode.is_control()) {
            // Compressed: RSV1 on the message's (only) frame.
            let mut compressed = std::mem::take(&mut self.compressed);
            compressed.clear();
            d.compress(payload, &mut compressed);
            let mut h = FrameHeader::new(true, opcode, mask, compressed.len() as u64);
            h.rsv[0] = true;
            encode_frame(&h, &compressed, &mut self.out);
            if compressed.capacity() > 64 << 10 {
                compressed = Vec::new();
            }
            self.compressed = compressed;
        } else {
            let h = FrameHeader::new(true, opcode, mask, payload.len() as u64);
            encode_frame(&h, payload, &mut self.out);
        }
        self.messages += u64::from(!opcode.is_control());
        true
    }

    /// Whether data messages are compressed (permessage-deflate agreed).
    pub fn compresses(&self) -> bool {
        self.deflater.is_some()
    }

    /// Queues a text or binary message in one frame.
    pub fn send_message(&mut self, kind: MessageKind, data: &[u8]) -> bool {
        self.send(kind.opcode(), data)
    }

    /// Sends a text or binary message in one frame through `write`, from
    /// where it lies, when nothing is pending (so order is kept) and the
    /// frame needs no masking or compressing (a server without deflate):
    /// `write` gets the header and the payload and says how many of their
    /// bytes it took, and the rest is queued. Otherwise the message is
    /// queued as [`Outbox::send_message`] does. False when no frame may be
    /// sent now.
    pub fn send_message_with(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        write: impl FnOnce(&[u8], &[u8]) -> usize,
    ) -> bool {
        if !self.out.is_empty() || self.role == Role::Client || self.deflater.is_some() {
            return self.send_message(kind, data);
        }
        if !self.can_send() {
            return false;
        }
        let h = FrameHeader::new(true, kind.opcode(), None, data.len() as u64);
        let (head, n) = h.to_bytes();
        let head = &head[..n];
        let took = write(head, data).min(n + data.len());
        if took < n {
            self.out.extend_from_slice(&head[took..]);
            self.out.extend_from_slice(data);
        } else {
            self.out.extend_from_slice(&data[took - n..]);
        }
        self.messages += 1;
        true
    }

    /// Queues a text or binary message in frames of at most `size` payload
    /// bytes: one frame when it fits, else a split after every `size`
    /// bytes, the last (FIN) frame holding what follows the last split,
    /// which is nothing when `size` divides the length (as the Autobahn
    /// testsuite fragments). With permessage-deflate agreed, the message
    /// is compressed first and its compressed data is what is split (RSV1
    /// on the first frame only, RFC 7692 §6.1).
    pub fn send_fragmented(&mut self, kind: MessageKind, data: &[u8], size: usize) -> bool {
        let size = size.max(1);
        self.send_pieces(kind, data, |len| {
            let frames = if len <= size { 1 } else { len / size + 1 };
            (1..=frames).map(|i| (i * size).min(len)).collect()
        })
    }

    /// Queues a data message in frames whose payloads end at the offsets
    /// `ends` gives for the length of what is sent (the message, or its
    /// compressed data when permessage-deflate is agreed: RSV1 on the
    /// first frame only, RFC 7692 §6.1). False when no frame may be sent.
    fn send_pieces(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        ends: impl FnOnce(usize) -> Vec<usize>,
    ) -> bool {
        if !self.can_send() {
            return false;
        }
        let mut compressed = std::mem::take(&mut self.compressed);
        compressed.clear();
        let compressing = match self.deflater.as_mut() {
            Some(d) => {
                d.compress(data, &mut compressed);
                true
            }
            None => false,
        };
        let body: &[u8] = if compressing { &compressed } else { data };
        let ends = ends(body.len());
        let mut from = 0;
        for (i, &end) in ends.iter().enumerate() {
            let piece = &body[from..end];
            from = end;
            let opcode = if i == 0 {
                kind.opcode()
            } else {
                OpCode::Continuation
            };
            let mask = self.mask_key();
            let mut h = FrameHeader::new(i + 1 == ends.len(), opcode, mask, piece.len() as u64);
            h.rsv[0] = compressing && i == 0;
            encode_frame(&h, piece, &mut self.out);
        }
        if compressed.capacity() > 64 << 10 {
            compressed = Vec::new();
        }
        self.compressed = compressed;
        self.messages += 1;
        true
    }

    /// Queues a close frame as given (any bits, any payload: a code that
    /// may not be sent, a reason too long or not UTF-8), and starts the
    /// closing handshake as [`Outbox::close`] does. False when a close was
    /// sent already.
    pub fn close_frame(&mut self, header: &FrameHeader, payload: &[u8]) -> bool {
        if !self.open || self.close_sent.is_some() {
            return false;
        }
        let parsed = ClosePayload::parse(payload);
        self.close_sent = Some(match parsed.code {
            Some(c) => (Some(c.0), parsed.reason.to_vec()),
            None => (None, Vec::new()),
        });
        self.send_frame(header, payload)
    }

    /// Queues a frame exactly as given (any bits, any claimed length), with
    /// this payload (masked with the header's key if it has one).
    pub fn send_frame(&mut self, header: &FrameHeader, payload: &[u8]) -> bool {
        if !self.open {
            return false;
        }
        header.encode(&mut self.out);
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        if let Some(key) = header.mask {
            super::mask::apply_mask(&mut self.out[start..], key, 0);
        }
        self.messages += u64::from(header.fin && !header.opcode.is_control());
        true
    }

    /// Queues a frame recorded elsewhere (a replay): its bits, opcode,
    /// length encoding and payload as they were, masked with a fresh key
    /// when it was masked (so a frame that broke the masking rule breaks
    /// it again). A close frame starts the closing handshake as
    /// [`Outbox::close_frame`] does. False when nothing may be sent.
    pub fn send_like(&mut self, header: &FrameHeader, payload: &[u8]) -> bool {
        let mut h = *header;
        h.payload_len = payload.len() as u64;
        if h.mask.is_some() {
            h.mask = Some(self.mask_key().unwrap_or_else(|| {
                let k = self.next_key.to_be_bytes();
                self.next_key = self.next_key.rotate_left(7) ^ 0x9e37_79b9;
                k
            }));
        }
        if h.opcode == OpCode::Close {
            return self.close_frame(&h, payload);
        }
        self.send_frame(&h, payload)
    }

    /// Queues a text or binary message in exactly `frames` frames (a
    /// replay of a fragmented message): compressed first when
    /// permessage-deflate is agreed, and what is sent split into pieces
    /// of equal size (the last takes the rest).
    pub fn send_split(&mut self, kind: MessageKind, data: &[u8], frames: usize) -> bool {
        let frames = frames.max(1);
        self.send_pieces(kind, data, |len| {
            let size = len / frames;
            (1..=frames)
                .map(|i| if i == frames { len } else { i * size })
                .collect()
        })
    }

    /// Queues a whole message already encoded (the same bytes for many
    /// clients), when frames may still be sent.
    pub fn send_encoded(&mut self, frame: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        self.out.extend_from_slice(frame);
        self.messages += 1;
        true
    }

    /// Queues bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Queues a close frame (once): `code` with a reason cut to fit.
    pub fn close(&mut self, code: Option<u16>, reason: &[u8]) -> bool {
        if !self.open || self.close_sent.is_some() {
            return false;
        }
        let mut payload = Vec::with_capacity(2 + reason.len());
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
            payload.extend_from_slice(cut_reason(reason));
        }
        let mask = self.mask_key();
        let h = FrameHeader::new(true, OpCode::Close, mask, payload.len() as u64);
        encode_frame(&h, &payload, &mut self.out);
        self.close_sent = Some((code, payload.get(2..).unwrap_or_default().to_vec()));
        true
    }
}

/// A reason cut to fit a close frame, at a character boundary.
fn cut_reason(reason: &[u8]) -> &[u8] {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON;
    while end > 0 && (reason[end] & 0xc0) == 0x80 {
        end -= 1;
    }
    &reason[..end]
}

/// One end of a connection. See the module documentation.
#[derive(Debug)]
pub struct Endpoint {
    settings: Settings,
    state: State,
    transport: Transport,
    outbox: Outbox,
    head: Vec<u8>,
    key: Option<String>,
    decoder: Decoder,
    // Boxed: most connections never decode what they send.
    outgoing: Option<Box<Decoder>>,
    started: Instant,
    last_heard: Instant,
    /// When the close handshake (or the drain after it) gives up.
    close_deadline: Option<Instant>,
    ping_due: Option<Instant>,
    closed: Option<CloseInfo>,
    /// The peer's answer to our close, when it differs (see CloseInfo).
    answer: Option<Option<u16>>,
    /// Pending bytes that are a handshake head, not frames.
    head_bytes_out: usize,
    /// The latest time a caller passed in.
    now: Instant,
}

impl Endpoint {
    /// A server endpoint waiting for the client's request. `seed` is unused
    /// by a server (it never masks) but kept for symmetry.
    pub fn server(settings: Settings, now: Instant) -> Self {
        Self::new(
            Settings {
                role: Role::Server,
                ..settings
            },
            now,
            1,
        )
    }

    /// A client endpoint that sends `request` (see
    /// [`handshake::build_request`]) with this `key`; `seed` seeds the
    /// masking keys (pass random bits).
    pub fn client(settings: Settings, request: &[u8], key: &str, seed: u32, now: Instant) -> Self {
        let mut e = Self::new(
            Settings {
                role: Role::Client,
                ..settings
            },
            now,
            seed,
        );
        e.key = Some(key.to_string());
        if let Some(out) = e.outgoing.as_mut() {
            out.start_at(request.len() as u64);
        }
        e.outbox.out.extend_from_slice(request);
        e.head_bytes_out = request.len();
        e
    }

    fn new(settings: Settings, now: Instant, seed: u32) -> Self {
        let peer = settings.role.other();
        let decoder = Decoder::new(Config {
            from: Some(peer),
            heads: false,
            deflate: None,
            limits: settings.limits,
            stop_at_violation: true,
            stop_after_close: true,
            pieces: settings.piece_events,
            plain_frames: settings.plain_frames,
        });
        let outgoing = settings.decode_outgoing.then(|| {
            Decoder::new(Config {
                from: Some(settings.role),
                heads: false,
                plain_frames: settings.plain_frames,
                ..Config::default()
            })
        });
        Self {
            outbox: Outbox::new(settings.role, seed),
            settings,
            state: State::Handshake,
            transport: Transport::Open,
            head: Vec::new(),
            key: None,
            decoder,
            outgoing: outgoing.map(Box::new),
            started: now,
            last_heard: now,
            close_deadline: None,
            ping_due: None,
            closed: None,
            answer: None,
            head_bytes_out: 0,
            now,
        }
    }

    /// Where the connection stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// What to do with the transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The outbox: pending bytes and the commands that queue frames.
    pub fn outbox(&mut self) -> &mut Outbox {
        &mut self.outbox
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<&CloseInfo> {
        self.closed.as_ref()
    }

    /// When to call [`Endpoint::on_timeout`] at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        earlier(self.fixed_deadline(), self.idle_deadline())
    }

    /// The deadlines that do not move when bytes arrive: the handshake's,
    /// the close handshake's, the next ping.
    pub fn fixed_deadline(&self) -> Option<Instant> {
        let handshake = match self.state {
            State::Handshake => Some(self.started + self.settings.handshake_timeout),
            _ => None,
        };
        earlier(earlier(handshake, self.close_deadline), self.ping_due)
    }

    /// When an open connection that hears nothing more times out: a
    /// deadline that moves on with every byte received, so a caller may
    /// watch it from afar instead of arming a timer for every read.
    pub fn idle_deadline(&self) -> Option<Instant> {
        match self.state {
            State::Open => self.settings.idle_timeout.map(|t| self.last_heard + t),
            _ => None,
        }
    }

    /// Marks `n` pending bytes as sent, decoding them for [`Note::Out`]
    /// when asked to.
    pub fn sent<E>(
        &mut self,
        n: usize,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        let n = n.min(self.outbox.out.len());
        let head = n.min(self.head_bytes_out);
        self.head_bytes_out -= head;
        let mut result = Ok(());
        match self.outgoing.as_mut() {
            Some(dec) if self.state != State::Handshake => {
                // Decoded where they lie: they are sent, so unmasking them
                // in place harms nothing. What the handler queues meanwhile
                // goes after what was pending.
                let mut out = std::mem::take(&mut self.outbox.out);
                let outbox = &mut self.outbox;
                result = dec.feed(&mut out[head..n], &mut |ev| handler(Note::Out(ev), outbox));
                let queued = std::mem::replace(&mut self.outbox.out, out);
                self.outbox.out.drain(..n);
                self.outbox.out.extend_from_slice(&queued);
            }
            _ => {
                self.outbox.out.drain(..n);
            }
        }
        if self.outbox.out.is_empty() && self.outbox.out.capacity() > 64 << 10 {
            // Buffers exist while bytes flow; an idle connection keeps none.
            self.outbox.out = Vec::new();
        }
        self.after_send();
        result
    }

    /// Marks everything pending as sent without decoding it (for callers
    /// that write the outbox themselves and do not trace).
    pub fn sent_all(&mut self) {
        self.outbox.out.clear();
        self.head_bytes_out = 0;
        self.after_send();
    }

    /// A close frame queued straight on the outbox (a command, a note
    /// handler) starts the closing handshake as `close_now` does.
    fn sync_close(&mut self) {
        if self.state == State::Open && self.outbox.close_sent() {
            self.state = State::Closing;
            self.ping_due = None;
            self.close_deadline = Some(self.now + self.settings.close_timeout);
        }
    }

    fn after_send(&mut self) {
        self.sync_close();
        if self.outbox.out.is_empty()
            && self.state == State::Closed
            && self.transport == Transport::Open
        {
            self.transport = Transport::Shutdown;
        }
    }

    /// Takes bytes from the peer (masked payloads are unmasked in place).
    pub fn receive<E>(
        &mut self,
        buf: &mut [u8],
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        self.now = now;
        self.sync_close();
        if buf.is_empty() {
            return Ok(());
        }
        self.last_heard = now;
        if let Some(interval) = self.settings.ping_interval {
            if self.state == State::Open {
                self.ping_due = Some(now + interval);
            }
        }
        let mut at = 0;
        if self.state == State::Handshake {
            at = self.handshake(buf, now, handler)?;
        }
        if at < buf.len() && matches!(self.state, State::Open | State::Closing) {
            self.frames(Input::Bytes(&mut buf[at..]), now, handler)?;
        }
        Ok(())
    }

    /// Lends room for up to `max` more payload bytes of the frame being
    /// received, when they go to the message buffer anyway: read them
    /// straight into it, then [`Endpoint::receive_room`] (or
    /// [`Endpoint::give_back`] when the read brought nothing). The room is
    /// owned while lent, so the read needs no lock on the endpoint.
    pub fn take_room(&mut self, max: usize) -> Option<Room> {
        match self.state {
            State::Open | State::Closing => self.decoder.take_room(max),
            _ => None,
        }
    }

    /// Takes lent room back unused.
    pub fn give_back(&mut self, room: Room) {
        self.decoder.give_back(room);
    }

    /// Takes the `n` bytes read into `room` from the peer: as
    /// [`Endpoint::receive`] with those bytes.
    pub fn receive_room<E>(
        &mut self,
        room: Room,
        n: usize,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        self.now = now;
        self.sync_close();
        if n == 0 || !matches!(self.state, State::Open | State::Closing) {
            self.decoder.give_back(room);
            return Ok(());
        }
        self.last_heard = now;
        if let Some(interval) = self.settings.ping_interval {
            if self.state == State::Open {
                self.ping_due = Some(now + interval);
            }
        }
        self.frames(Input::Room(room, n), now, handler)
    }

    /// The peer ended its sending side (TCP FIN).
    pub fn receive_eof<E>(
        &mut self,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        match self.state {
            State::Handshake => {
                // What came last may hold the error the head has: answer it.
                let last = match self.settings.role {
                    Role::Server => http::parse_request(&self.head, self.settings.max_head).err(),
                    Role::Client => None,
                };
                if let Some(error) = last {
                    let issue = Issue::request(IssueKind::BadHead(error.clone()));
                    let head = Head::Invalid { offset: 0, error };
                    self.head = Vec::new();
                    handler(Note::HeadIn(&head), &mut self.outbox)?;
                    self.refuse(&[issue], now, handler)?;
                }
                self.end_handshake(
                    "the peer ended the connection during the handshake",
                    now,
                    handler,
                )?;
            }
            State::Open | State::Closing => {
                // Report a frame cut short, then the abnormal end (1006).
                let outbox = &mut self.outbox;
                self.decoder
                    .finish(&mut |ev| handler(Note::In(ev), outbox))?;
                self.finish(
                    Closer::Abnormal("the peer ended the connection without a close frame"),
                    None,
                    Vec::new(),
                    false,
                    now,
                    handler,
                )?;
            }
            State::Closed => {}
        }
        self.transport = Transport::Close;
        Ok(())
    }

    /// Acts on deadlines that passed: a handshake that took too long, an
    /// idle peer, a close handshake that did not complete, a ping due.
    pub fn on_timeout<E>(
        &mut self,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        self.now = now;
        self.sync_close();
        if let Some(d) = self.close_deadline {
            if now >= d {
                self.close_deadline = None;
                match self.state {
                    State::Closing => {
                        let (code, reason) = self.outbox.close_sent.clone().unwrap_or_default();
                        let by = self.closed.as_ref().map_or(Closer::Local, |c| c.by.clone());
                        self.finish(by, code, reason, false, now, handler)?;
                        self.transport = Transport::Close;
                    }
                    _ => self.transport = Transport::Close,
                }
                return Ok(());
            }
        }
        match self.state {
            State::Handshake if now >= self.started + self.settings.handshake_timeout => {
                self.end_handshake("the handshake did not complete in time", now, handler)?;
                self.transport = Transport::Close;
            }
            State::Open => {
                if let Some(idle) = self.settings.idle_timeout {
                    if now >= self.last_heard + idle {
                        self.close_now(1001, b"idle timeout", now);
                        return Ok(());
                    }
                }
                if let Some(due) = self.ping_due {
                    if now >= due {
                        self.outbox.send(OpCode::Ping, b"wsdbg");
                        self.ping_due = self.settings.ping_interval.map(|i| now + i);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs a command from outside the note handler (a console) on the
    /// outbox at `now`: a close frame it queues starts the closing
    /// handshake, its deadline counted from `now`.
    pub fn command<R>(&mut self, now: Instant, f: impl FnOnce(&mut Outbox) -> R) -> R {
        self.now = now;
        let r = f(&mut self.outbox);
        self.sync_close();
        r
    }

    /// Starts the closing handshake with `code` and `reason` (a command, a
    /// shutdown): the peer's close is awaited until the close timeout.
    pub fn close_now(&mut self, code: u16, reason: &[u8], now: Instant) {
        self.now = now;
        self.ping_due = None;
        if self.state == State::Open && self.outbox.close(Some(code), reason) {
            self.state = State::Closing;
            self.close_deadline = Some(now + self.settings.close_timeout);
        } else if self.state == State::Handshake {
            self.state = State::Closed;
            self.transport = Transport::Close;
            self.outbox.open = false;
            self.closed.get_or_insert(CloseInfo {
                by: Closer::Handshake("closed before the handshake completed"),
                code: None,
                reason: Vec::new(),
                clean: false,
                answer: None,
            });
        }
    }

    // ------------------------------------------------------------ handshake

    fn handshake<E>(
        &mut self,
        buf: &[u8],
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<usize, E> {
        let before = self.head.len();
        let room = self.settings.max_head.saturating_sub(before);
        let taken = &buf[..buf.len().min(room.max(1))];
        self.head.extend_from_slice(taken);
        let max = self.settings.max_head;
        // Parse the first bytes (junk fails at once), then only when a piece
        // may end the head or break it (http::worth_parsing), so a head sent
        // a byte at a time costs a parse per line, not per byte.
        if before > 0 && !http::worth_parsing(taken) && self.head.len() < max {
            return Ok(buf.len());
        }
        let result = match self.settings.role {
            Role::Server => http::parse_request(&self.head, max).map(|p| match p {
                HeadParse::Complete { head, len } => Some((Parsed::Request(head), len)),
                HeadParse::Partial => None,
            }),
            Role::Client => http::parse_response(&self.head, max).map(|p| match p {
                HeadParse::Complete { head, len } => Some((Parsed::Response(head), len)),
                HeadParse::Partial => None,
            }),
        };
        match result {
            Ok(None) => Ok(buf.len()),
            Ok(Some((parsed, len))) => {
                let used = len.saturating_sub(before);
                // Offsets in the peer's stream count its head, as in a
                // capture of the connection.
                self.decoder.start_at(len as u64);
                let raw: Vec<u8> = std::mem::take(&mut self.head)
                    .into_iter()
                    .take(len)
                    .collect();
                match parsed {
                    Parsed::Request(request) => self.answer(request, raw, now, handler)?,
                    Parsed::Response(response) => self.check_answer(response, raw, now, handler)?,
                }
                Ok(used)
            }
            Err(error) => {
                let issue = Issue::request(IssueKind::BadHead(error.clone()));
                let head = Head::Invalid { offset: 0, error };
                self.head = Vec::new();
                handler(Note::HeadIn(&head), &mut self.outbox)?;
                if self.settings.role == Role::Server {
                    self.refuse(&[issue], now, handler)?;
                } else {
                    self.end_handshake("the server's response is not HTTP", now, handler)?;
                    self.transport = Transport::Close;
                }
                Ok(buf.len())
            }
        }
    }

    fn answer<E>(
        &mut self,
        request: http::Request,
        raw: Vec<u8>,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(page) = self.settings.page.clone() {
            if handshake::is_plain_get(&request) {
                return self.serve_page(request, raw, &page, now, handler);
            }
        }
        let mut issues = handshake::validate_request(&request);
        if issues.is_empty() {
            issues.extend(handshake::check_origin(&request, &self.settings.origins));
        }
        let head = Head::Request {
            offset: 0,
            raw,
            request,
            issues,
        };
        handler(Note::HeadIn(&head), &mut self.outbox)?;
        let Head::Request {
            request, issues, ..
        } = head
        else {
            unreachable!("built above")
        };
        if !issues.is_empty() {
            return self.refuse(&issues, now, handler);
        }
        let offered = request.tokens("Sec-WebSocket-Protocol");
        let protocol = self
            .settings
            .protocols
            .iter()
            .find(|p| offered.iter().any(|o| o == *p))
            .cloned();
        let agreed = if self.settings.deflate {
            let values: Vec<&[u8]> = request
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
                .map(|h| h.value.as_slice())
                .collect();
            compress::accept(&values)
        } else {
            None
        };
        let ext = agreed.map(|a| a.header_value());
        let mut response =
            handshake::build_response_with(&request, protocol.as_deref(), ext.as_deref());
        if !self.settings.response_headers.is_empty() {
            // Before the blank line that ends the head.
            response.truncate(response.len() - 2);
            for (name, value) in &self.settings.response_headers {
                let value: String = value.chars().filter(|c| !c.is_control()).collect();
                response.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            response.extend_from_slice(b"\r\n");
        }
        if let Some(a) = agreed {
            self.use_deflate(a);
        }
        self.send_head(&response, handler)?;
        self.outbox.open = true;
        self.state = State::Open;
        self.last_heard = now;
        self.ping_due = self.settings.ping_interval.map(|i| now + i);
        handler(
            Note::Open {
                target: &request.target,
                protocol: protocol.as_deref(),
            },
            &mut self.outbox,
        )
    }

    /// Answers a plain GET with the page (its path is `/`) or 404, then
    /// ends the connection as a refusal does, without calling it one.
    fn serve_page<E>(
        &mut self,
        request: http::Request,
        raw: Vec<u8>,
        page: &str,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        let found = handshake::target_path(&request.target) == "/";
        let answer = if found {
            handshake::build_page(page)
        } else {
            handshake::build_not_found()
        };
        let request = Head::Request {
            offset: 0,
            raw,
            request,
            issues: Vec::new(),
        };
        if let Some(mut response) = self.queue_head(&answer) {
            if let Head::Response { issues, .. } = &mut response {
                // Not an answer to a handshake: "not 101" is no issue here.
                issues.clear();
            }
            handler(
                Note::Page {
                    request: &request,
                    response: &response,
                },
                &mut self.outbox,
            )?;
        }
        let why = if found {
            "the test page was served"
        } else {
            "a plain HTTP request was answered 404"
        };
        self.end_handshake(why, now, handler)
    }

    /// Queues a head this end sends and reports it parsed, as the peer will
    /// read it.
    fn send_head<E>(
        &mut self,
        bytes: &[u8],
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(head) = self.queue_head(bytes) {
            handler(Note::HeadOut(&head), &mut self.outbox)?;
        }
        Ok(())
    }

    /// Queues a head (and whatever body follows it) this end sends; the
    /// head parsed, as the peer will read it.
    fn queue_head(&mut self, bytes: &[u8]) -> Option<Head> {
        if let Some(out) = self.outgoing.as_mut() {
            out.start_at(bytes.len() as u64);
        }
        self.outbox.out.extend_from_slice(bytes);
        self.head_bytes_out += bytes.len();
        let Ok(HeadParse::Complete { head, len }) = http::parse_response(bytes, bytes.len() + 1)
        else {
            return None;
        };
        let issues = handshake::validate_response(&head, self.key.as_deref());
        Some(Head::Response {
            offset: 0,
            raw: bytes[..len].to_vec(),
            response: head,
            issues,
        })
    }

    fn refuse<E>(
        &mut self,
        issues: &[Issue],
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        let answer = handshake::build_refusal(issues);
        self.send_head(&answer, handler)?;
        self.end_handshake("the handshake was refused", now, handler)
    }

    fn check_answer<E>(
        &mut self,
        response: http::Response,
        raw: Vec<u8>,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        let issues = handshake::validate_response(&response, self.key.as_deref());
        let values: Vec<&[u8]> = response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
            .map(|h| h.value.as_slice())
            .collect();
        // Only what this end offered may be answered (RFC 6455 §4.1).
        let extension = match compress::check_answer(&values) {
            Ok(Some(_)) if !self.settings.deflate => Err(()),
            Ok(a) => Ok(a),
            Err(_) => Err(()),
        };
        let ok = issues.is_empty();
        let protocol = response
            .header("Sec-WebSocket-Protocol")
            .map(|h| String::from_utf8_lossy(&h.value).into_owned());
        let head = Head::Response {
            offset: 0,
            raw,
            response,
            issues,
        };
        handler(Note::HeadIn(&head), &mut self.outbox)?;
        if !ok {
            self.end_handshake(
                "the server's answer does not complete the handshake",
                now,
                handler,
            )?;
            self.transport = Transport::Close;
            return Ok(());
        }
        let Ok(agreed) = extension else {
            self.end_handshake(
                "the server's Sec-WebSocket-Extensions answers an offer this client did not make (RFC 6455 §4.1, RFC 7692 §5.1)",
                now,
                handler,
            )?;
            self.transport = Transport::Close;
            return Ok(());
        };
        if let Some(a) = agreed {
            self.use_deflate(a);
        }
        self.outbox.open = true;
        self.state = State::Open;
        self.last_heard = now;
        self.ping_due = self.settings.ping_interval.map(|i| now + i);
        handler(
            Note::Open {
                target: "",
                protocol: protocol.as_deref(),
            },
            &mut self.outbox,
        )
    }

    /// permessage-deflate from here on: what arrives is inflated, what is
    /// sent compressed, and what is shown of it decoded with the same
    /// agreement.
    fn use_deflate(&mut self, a: Agreement) {
        self.decoder.set_deflate(Some(a.params));
        if let Some(out) = self.outgoing.as_mut() {
            out.set_deflate(Some(a.params));
        }
        let (bits, reset) = a.sending(self.settings.role);
        self.outbox.deflater = Some(Box::new(Deflater::with_level(
            bits,
            reset,
            self.settings.deflate_level,
        )));
    }

    // --------------------------------------------------------------- frames

    fn frames<E>(
        &mut self,
        input: Input<'_>,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut failed: Option<Violation> = None;
        let mut close: Option<(Option<u16>, Vec<u8>)> = None;
        let outbox = &mut self.outbox;
        let mut sink = |ev: Event<'_>| {
            match ev {
                Event::FrameStart(s) if failed.is_none() => {
                    failed = s
                        .violations
                        .iter()
                        .find(|v| v.close_code().is_some())
                        .cloned();
                }
                Event::Violation(v) if failed.is_none() && v.close_code().is_some() => {
                    failed = Some(v.clone());
                }
                Event::Frame(f) => {
                    if failed.is_none() {
                        failed = f
                            .violations
                            .iter()
                            .find(|v| v.close_code().is_some())
                            .cloned();
                    }
                    if let (Some(h), None) = (f.header, &failed) {
                        match h.opcode {
                            OpCode::Ping => {
                                outbox.send(OpCode::Pong, f.payload);
                            }
                            OpCode::Close => {
                                let c = ClosePayload::parse(f.payload);
                                close = Some((c.code.map(|c| c.0), c.reason.to_vec()));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            handler(Note::In(ev), outbox)
        };
        match input {
            Input::Bytes(buf) => self.decoder.feed(buf, &mut sink)?,
            Input::Room(room, n) => self.decoder.feed_room(room, n, &mut sink)?,
        }
        if let Some(v) = failed {
            return self.fail(v, now, handler);
        }
        if let Some((code, reason)) = close {
            return self.peer_closed(code, reason, now, handler);
        }
        Ok(())
    }

    /// Fails the connection: a close frame with the violation's code and a
    /// reason naming it, then the transport ends.
    fn fail<E>(
        &mut self,
        v: Violation,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        let code = v.close_code().unwrap_or(1002);
        let reason = v.close_reason();
        let (code, reason) = if self.outbox.close(Some(code), reason.as_bytes()) {
            (Some(code), reason.into_bytes())
        } else {
            // A close was sent already: that is what the peer was told.
            self.outbox.close_sent.clone().unwrap_or_default()
        };
        self.close_deadline = Some(now + self.settings.close_timeout);
        self.finish(Closer::Failed(v), code, reason, false, now, handler)
    }

    fn peer_closed<E>(
        &mut self,
        code: Option<u16>,
        reason: Vec<u8>,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.state == State::Closing {
            // Our close was answered: the handshake is complete.
            let answered = code;
            let (code, reason) = self.outbox.close_sent.clone().unwrap_or_default();
            self.answer = (answered != code).then_some(answered);
            self.close_deadline = Some(now + self.settings.close_timeout);
            return self.finish(Closer::Local, code, reason, true, now, handler);
        }
        // Echo the code, as RFC 6455 §5.5.1 suggests; no code, no code.
        self.outbox.close(code, b"");
        self.close_deadline = Some(now + self.settings.close_timeout);
        self.finish(Closer::Peer, code, reason, true, now, handler)
    }

    /// Ends a connection whose handshake did not complete.
    fn end_handshake<E>(
        &mut self,
        why: &'static str,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        self.finish(
            Closer::Handshake(why),
            None,
            Vec::new(),
            false,
            now,
            handler,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish<E>(
        &mut self,
        by: Closer,
        code: Option<u16>,
        reason: Vec<u8>,
        clean: bool,
        now: Instant,
        handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), E>,
    ) -> Result<(), E> {
        self.state = State::Closed;
        self.ping_due = None;
        self.outbox.open = false;
        // The transport is drained until the peer ends it, or until this.
        self.close_deadline
            .get_or_insert(now + self.settings.close_timeout);
        if self.closed.is_some() {
            return Ok(());
        }
        let info = CloseInfo {
            by,
            code,
            reason,
            clean,
            answer: self.answer,
        };
        handler(Note::Closed(&info), &mut self.outbox)?;
        self.closed = Some(info);
        self.after_send();
        Ok(())
    }
}

/// Bytes from the peer: fed, or read into lent room.
enum Input<'a> {
    Bytes(&'a mut [u8]),
    Room(Room, usize),
}

enum Parsed {
    Request(http::Request),
    Response(http::Response),
}

/// The earlier of two optional instants.
fn earlier(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::stream::FrameRecord;
    use crate::protocol::violation::Rule;

    const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const MDN: &[u8] = &[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d];

    /// What a test sees: notes in a simple form, and everything sent.
    #[derive(Debug, Default)]
    struct Seen {
        notes: Vec<String>,
        messages: Vec<(MessageKind, Vec<u8>)>,
        frames_in: usize,
        closed: Option<CloseInfo>,
        sent: Vec<u8>,
    }

    struct Peer {
        e: Endpoint,
        now: Instant,
        seen: Seen,
        echo: bool,
    }

    impl Peer {
        fn server(settings: Settings) -> Self {
            let now = Instant::now();
            Self {
                e: Endpoint::server(settings, now),
                now,
                seen: Seen::default(),
                echo: true,
            }
        }

        fn handler(
            seen: &mut Seen,
            echo: bool,
        ) -> impl FnMut(Note<'_>, &mut Outbox) -> Result<(), ()> + '_ {
            move |note, out| {
                match note {
                    Note::HeadIn(h) => seen.notes.push(format!("head in {}", kind(h))),
                    Note::HeadOut(h) => seen.notes.push(format!("head out {}", kind(h))),
                    Note::Page { request, response } => {
                        seen.notes
                            .push(format!("page {} {}", kind(request), kind(response)))
                    }
                    Note::Open { target, protocol } => {
                        seen.notes.push(format!("open {target} {protocol:?}"))
                    }
                    Note::In(Event::Frame(f)) => {
                        seen.frames_in += 1;
                        let _: &FrameRecord = f;
                    }
                    Note::In(Event::Message(m)) => {
                        seen.messages.push((m.kind, m.data.to_vec()));
                        if echo {
                            out.send_message(m.kind, m.data);
                        }
                    }
                    Note::Closed(c) => seen.closed = Some(c.clone()),
                    _ => {}
                }
                Ok(())
            }
        }

        fn feed(&mut self, bytes: &[u8]) {
            let mut buf = bytes.to_vec();
            {
                let mut h = Self::handler(&mut self.seen, self.echo);
                self.e.receive(&mut buf, self.now, &mut h).unwrap();
            }
            self.flush();
        }

        fn flush(&mut self) {
            let pending = self.e.outbox().pending().to_vec();
            self.seen.sent.extend_from_slice(&pending);
            let mut h = Self::handler(&mut self.seen, self.echo);
            self.e.sent(pending.len(), &mut h).unwrap();
        }

        fn eof(&mut self) {
            let mut h = Self::handler(&mut self.seen, self.echo);
            self.e.receive_eof(self.now, &mut h).unwrap();
        }

        fn tick(&mut self, by: Duration) {
            self.now += by;
            {
                let mut h = Self::handler(&mut self.seen, self.echo);
                self.e.on_timeout(self.now, &mut h).unwrap();
            }
            self.flush();
        }

        fn take_sent(&mut self) -> Vec<u8> {
            std::mem::take(&mut self.seen.sent)
        }

        fn open(settings: Settings) -> Self {
            let mut p = Self::server(settings);
            p.feed(RFC_REQUEST);
            let sent = p.take_sent();
            assert!(
                sent.starts_with(b"HTTP/1.1 101 "),
                "{}",
                sent.escape_ascii()
            );
            assert_eq!(p.e.state(), State::Open);
            p
        }
    }

    fn kind(h: &Head) -> String {
        match h {
            Head::Request { issues, .. } => format!("request ({} issues)", issues.len()),
            Head::Response { response, .. } => format!("response {}", response.status),
            Head::Invalid { .. } => "invalid".into(),
        }
    }

    /// A masked client frame.
    fn client_frame(fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let h = FrameHeader::new(fin, opcode, Some([1, 2, 3, 4]), payload.len() as u64);
        let mut out = Vec::new();
        encode_frame(&h, payload, &mut out);
        out
    }

    fn close_code_sent(sent: &[u8]) -> Option<(u16, String)> {
        // The last frame sent, unmasked server frame: 88 LEN CODE REASON.
        let at = sent.windows(1).rposition(|w| w[0] == 0x88)?;
        let len = usize::from(sent[at + 1]);
        let body = &sent[at + 2..at + 2 + len];
        (body.len() >= 2).then(|| {
            (
                u16::from_be_bytes([body[0], body[1]]),
                String::from_utf8_lossy(&body[2..]).into_owned(),
            )
        })
    }

    #[test]
    fn deflate_offered_is_agreed_and_rfc_7692_hello_goes_both_ways() {
        let request = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let mut p = Peer::server(Settings {
            deflate: true,
            ..Settings::server()
        });
        p.feed(request);
        let sent = String::from_utf8(p.take_sent()).unwrap();
        assert!(
            sent.contains("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            "{sent}"
        );
        // RFC 7692 §7.2.3.1's "Hello", compressed, masked by the client.
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0xc1, 0x87];
        frame.extend_from_slice(&key);
        let data = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        frame.extend(data.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        p.feed(&frame);
        assert_eq!(p.seen.messages, [(MessageKind::Text, b"Hello".to_vec())]);
        // The echo goes compressed, as the RFC's unmasked example.
        assert_eq!(
            p.take_sent(),
            [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
        // Without the setting, the offer is not taken and RSV1 fails the
        // connection.
        let mut p = Peer::server(Settings::server());
        p.feed(request);
        assert!(!String::from_utf8(p.take_sent())
            .unwrap()
            .contains("Extensions"));
        p.feed(&frame);
        assert!(p.seen.messages.is_empty());
        assert!(matches!(
            p.seen.closed.as_ref().map(|c| &c.by),
            Some(Closer::Failed(_))
        ));
    }

    #[test]
    fn rfc_handshake_is_answered_with_the_rfc_accept() {
        let mut p = Peer::server(Settings {
            protocols: vec!["superchat".into()],
            ..Settings::server()
        });
        // Split anywhere, even a byte at a time.
        for b in RFC_REQUEST {
            p.feed(std::slice::from_ref(b));
        }
        let sent = String::from_utf8(p.take_sent()).unwrap();
        assert!(
            sent.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains("Sec-WebSocket-Protocol: superchat\r\n"),
            "{sent}"
        );
        assert_eq!(
            p.seen.notes,
            [
                "head in request (0 issues)",
                "head out response 101",
                "open /chat Some(\"superchat\")"
            ]
        );
    }

    #[test]
    fn mdn_message_is_echoed_unmasked() {
        let mut p = Peer::open(Settings::server());
        p.feed(MDN);
        assert_eq!(p.seen.messages, [(MessageKind::Text, b"MDN".to_vec())]);
        assert_eq!(p.take_sent(), [0x81, 0x03, b'M', b'D', b'N']);
    }

    #[test]
    fn frames_and_request_in_one_piece() {
        let mut p = Peer::server(Settings::server());
        let mut all = RFC_REQUEST.to_vec();
        all.extend_from_slice(MDN);
        p.feed(&all);
        assert_eq!(p.seen.messages.len(), 1);
    }

    #[test]
    fn ping_gets_a_pong_with_its_payload() {
        let mut p = Peer::open(Settings::server());
        p.feed(&client_frame(true, OpCode::Ping, b"hi"));
        assert_eq!(p.take_sent(), [0x8a, 0x02, b'h', b'i']);
    }

    #[test]
    fn fragmented_message_with_ping_between() {
        let mut p = Peer::open(Settings::server());
        let mut bytes = client_frame(false, OpCode::Text, b"Hel");
        bytes.extend(client_frame(true, OpCode::Ping, b""));
        bytes.extend(client_frame(true, OpCode::Continuation, b"lo"));
        p.feed(&bytes);
        assert_eq!(p.seen.messages, [(MessageKind::Text, b"Hello".to_vec())]);
        assert_eq!(
            p.take_sent(),
            [0x8a, 0x00, 0x81, 0x05, b'H', b'e', b'l', b'l', b'o']
        );
    }

    #[test]
    fn close_is_answered_with_the_same_code_then_transport_ends() {
        let mut p = Peer::open(Settings::server());
        p.feed(&client_frame(
            true,
            OpCode::Close,
            &[0x03, 0xe8, b'b', b'y', b'e'],
        ));
        assert_eq!(p.take_sent(), [0x88, 0x02, 0x03, 0xe8]);
        let c = p.seen.closed.clone().unwrap();
        assert_eq!((c.by, c.code, c.clean), (Closer::Peer, Some(1000), true));
        assert_eq!(c.reason, b"bye");
        assert_eq!(p.e.transport(), Transport::Shutdown);
        // Nothing more is read or sent; the peer's end closes it.
        p.feed(MDN);
        assert!(p.take_sent().is_empty());
        p.eof();
        assert_eq!(p.e.transport(), Transport::Close);
    }

    #[test]
    fn empty_close_gets_an_empty_close() {
        let mut p = Peer::open(Settings::server());
        p.feed(&client_frame(true, OpCode::Close, b""));
        assert_eq!(p.take_sent(), [0x88, 0x00]);
    }

    #[test]
    fn unmasked_client_frame_fails_with_1002() {
        let mut p = Peer::open(Settings::server());
        p.feed(&[0x81, 0x02, b'h', b'i']);
        let sent = p.take_sent();
        assert_eq!(
            close_code_sent(&sent),
            Some((1002, "client frame not masked".into()))
        );
        assert!(p.seen.messages.is_empty(), "no echo of a bad frame");
        let c = p.seen.closed.clone().unwrap();
        assert!(matches!(c.by, Closer::Failed(ref v) if v.rule() == Rule::UnmaskedClientFrame));
        assert_eq!(p.e.transport(), Transport::Shutdown);
    }

    #[test]
    fn invalid_utf8_fails_with_1007_before_the_frame_ends() {
        // Autobahn 6.4.3: a text frame whose invalid byte arrives while the
        // rest of the frame is still on its way.
        let mut p = Peer::open(Settings::server());
        let mut text = "κόσμε".as_bytes().to_vec();
        text.extend_from_slice(&[0xf4, 0x90, 0x80, 0x80]);
        text.extend_from_slice(b"edited");
        let frame = client_frame(true, OpCode::Text, &text);
        let cut = 6 + "κόσμε".len() + 2;
        p.feed(&frame[..cut]);
        let sent = p.take_sent();
        assert_eq!(close_code_sent(&sent).map(|c| c.0), Some(1007));
        p.feed(&frame[cut..]);
        assert!(p.take_sent().is_empty());
    }

    #[test]
    fn frame_over_the_limit_fails_with_1009_at_its_header() {
        let mut p = Peer::open(Settings {
            limits: Limits {
                max_frame: Some(100),
                max_message: Some(150),
            },
            ..Settings::server()
        });
        // Only the header of a 1000-byte frame.
        p.feed(&[0x82, 0xfe, 0x03, 0xe8, 1, 2, 3, 4]);
        assert_eq!(close_code_sent(&p.take_sent()).map(|c| c.0), Some(1009));
        // A message over the limit in two frames under it.
        let mut p = Peer::open(Settings {
            limits: Limits {
                max_frame: Some(100),
                max_message: Some(150),
            },
            ..Settings::server()
        });
        p.feed(&client_frame(false, OpCode::Binary, &[0; 100]));
        assert!(p.take_sent().is_empty());
        p.feed(&client_frame(true, OpCode::Continuation, &[0; 60])[..8]);
        assert_eq!(close_code_sent(&p.take_sent()).map(|c| c.0), Some(1009));
    }

    #[test]
    fn a_2_to_the_63_length_claim_costs_nothing() {
        let mut p = Peer::open(Settings::server());
        p.feed(&[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
        assert_eq!(close_code_sent(&p.take_sent()).map(|c| c.0), Some(1002));
        let mut p = Peer::open(Settings::server());
        p.feed(&[
            0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
        ]);
        assert_eq!(close_code_sent(&p.take_sent()).map(|c| c.0), Some(1009));
    }

    #[test]
    fn bad_handshakes_are_refused_with_what_is_wrong() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", "400 Bad Request", "no Sec-WebSocket-Key"),
            (b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n\r\n", "426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n"),
            (b"POST /chat HTTP/1.1\r\nHost: a\r\n\r\n", "405", "requires GET"),
            (b"\x16\x03\x01\x02\x00", "400 Bad Request", "TLS"),
        ];
        for (request, status, says) in cases {
            let mut p = Peer::server(Settings::server());
            p.feed(request);
            let sent = String::from_utf8_lossy(&p.take_sent()).into_owned();
            assert!(sent.starts_with(&format!("HTTP/1.1 {status}")), "{sent}");
            assert!(sent.contains(says), "{sent}");
            assert_eq!(p.e.transport(), Transport::Shutdown, "{sent}");
        }
    }

    #[test]
    fn oversized_head_gets_431() {
        let mut p = Peer::server(Settings {
            max_head: 64,
            ..Settings::server()
        });
        p.feed(b"GET /chat HTTP/1.1\r\nHost: a\r\n");
        assert!(p.take_sent().is_empty());
        p.feed(&[b'X'; 100]);
        let sent = String::from_utf8_lossy(&p.take_sent()).into_owned();
        assert!(sent.starts_with("HTTP/1.1 431 "), "{sent}");
    }

    #[test]
    fn origin_allow_list_answers_403() {
        let mut p = Peer::server(Settings {
            origins: vec!["http://good.example".into()],
            ..Settings::server()
        });
        p.feed(RFC_REQUEST);
        let sent = String::from_utf8_lossy(&p.take_sent()).into_owned();
        assert!(sent.starts_with("HTTP/1.1 403 Forbidden"), "{sent}");
        assert!(
            sent.ends_with("\r\n\r\nOrigin is not on this server's allow-list (RFC 6455 §4.2.2)\n"),
            "{sent}"
        );
        let mut p = Peer::server(Settings {
            origins: vec!["HTTP://Example.com".into()],
            ..Settings::server()
        });
        p.feed(RFC_REQUEST);
        assert!(p.take_sent().starts_with(b"HTTP/1.1 101"));
    }

    #[test]
    fn timeouts_come_from_the_clock_passed_in() {
        let mut p = Peer::server(Settings::server());
        p.feed(b"GET /chat HTTP/1.1\r\n");
        let d = p.e.deadline().unwrap();
        assert_eq!(d, p.now + Duration::from_secs(10));
        p.tick(Duration::from_secs(9));
        assert_eq!(p.e.state(), State::Handshake);
        p.tick(Duration::from_secs(1));
        assert_eq!(p.e.transport(), Transport::Close);

        let mut p = Peer::open(Settings {
            idle_timeout: Some(Duration::from_secs(60)),
            ping_interval: Some(Duration::from_secs(20)),
            ..Settings::server()
        });
        p.tick(Duration::from_secs(20));
        assert_eq!(p.take_sent(), [0x89, 0x05, b'w', b's', b'd', b'b', b'g']);
        p.tick(Duration::from_secs(40));
        assert_eq!(close_code_sent(&p.take_sent()).map(|c| c.0), Some(1001));
        assert_eq!(p.e.state(), State::Closing);
        // No answer within the close timeout: closed, not cleanly.
        p.tick(Duration::from_secs(5));
        let c = p.seen.closed.clone().unwrap();
        assert_eq!((c.by, c.clean), (Closer::Local, false));
        assert_eq!(p.e.transport(), Transport::Close);
    }

    #[test]
    fn our_close_answered_is_clean() {
        let mut p = Peer::open(Settings::server());
        p.e.close_now(1001, b"going away", p.now);
        p.flush();
        assert_eq!(
            close_code_sent(&p.take_sent()),
            Some((1001, "going away".into()))
        );
        // Data still arriving before the peer's close is read, not echoed.
        p.feed(MDN);
        assert!(p.take_sent().is_empty());
        p.feed(&client_frame(true, OpCode::Close, &[0x03, 0xe9]));
        let c = p.seen.closed.clone().unwrap();
        assert_eq!((c.by, c.code, c.clean), (Closer::Local, Some(1001), true));
        assert_eq!(p.e.transport(), Transport::Shutdown);
    }

    #[test]
    fn eof_mid_frame_is_abnormal_and_reports_the_cut_frame() {
        let mut p = Peer::open(Settings::server());
        p.feed(&MDN[..5]);
        p.eof();
        let c = p.seen.closed.clone().unwrap();
        assert!(matches!(c.by, Closer::Abnormal(_)));
        assert_eq!(p.seen.frames_in, 1, "the truncated frame is reported");
        assert_eq!(p.e.transport(), Transport::Close);
    }

    #[test]
    fn client_masks_and_checks_the_accept() {
        let now = Instant::now();
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let request = handshake::build_request("server.example.com", "/chat", key);
        let mut c = Endpoint::client(Settings::client(), &request, key, 0x1234_5678, now);
        assert_eq!(c.outbox().pending(), &request[..]);
        let mut seen = Seen::default();
        let mut h = Peer::handler(&mut seen, false);
        c.sent_all();
        let mut resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi".to_vec();
        c.receive(&mut resp, now, &mut h).unwrap();
        assert_eq!(c.state(), State::Open);
        assert!(c.outbox().send(OpCode::Text, b"MDN"));
        let sent = c.outbox().pending().to_vec();
        assert_eq!(&sent[..2], [0x81, 0x83]);
        let mut plain = sent[6..].to_vec();
        crate::protocol::mask::apply_mask(&mut plain, [sent[2], sent[3], sent[4], sent[5]], 0);
        assert_eq!(plain, b"MDN");
        drop(h);
        assert_eq!(seen.messages, [(MessageKind::Text, b"hi".to_vec())]);

        // A wrong accept value fails the handshake.
        let mut c = Endpoint::client(Settings::client(), &request, key, 1, now);
        let mut seen = Seen::default();
        let mut h = Peer::handler(&mut seen, false);
        let mut resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n".to_vec();
        c.receive(&mut resp, now, &mut h).unwrap();
        assert_eq!(c.transport(), Transport::Close);
    }

    #[test]
    fn outgoing_frames_are_decoded_when_asked() {
        let mut p = Peer::open(Settings {
            decode_outgoing: true,
            ..Settings::server()
        });
        let mut out_frames = 0;
        p.feed(MDN);
        let pending = p.e.outbox().pending().len();
        p.e.sent(pending, &mut |note, _: &mut Outbox| -> Result<(), ()> {
            if let Note::Out(Event::Frame(f)) = note {
                assert_eq!(f.payload, b"MDN");
                out_frames += 1;
            }
            Ok(())
        })
        .unwrap();
        // (The echo was already sent by feed's flush; this sends nothing.)
        assert_eq!(out_frames, 0);
        let mut p = Peer::open(Settings {
            decode_outgoing: true,
            ..Settings::server()
        });
        p.e.outbox().send(OpCode::Binary, &[1, 2, 3]);
        let n = p.e.outbox().pending().len();
        let mut frames = Vec::new();
        p.e.sent(n, &mut |note, _: &mut Outbox| -> Result<(), ()> {
            if let Note::Out(Event::Frame(f)) = note {
                frames.push(f.payload.to_vec());
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(frames, [vec![1, 2, 3]]);
    }

    // ----------------------------- found by fuzz/fuzz_targets/endpoint.rs

    #[test]
    fn a_ping_due_when_we_close_leaves_no_deadline_in_the_past() {
        // Pings every 700 ms, then the idle timeout closes while a ping
        // was due: deadline() returned that ping's time, already past, until
        // the close timeout (a caller spins on it).
        let mut p = Peer::open(Settings {
            idle_timeout: Some(Duration::from_millis(3000)),
            ping_interval: Some(Duration::from_millis(700)),
            close_timeout: Duration::from_millis(500),
            ..Settings::server()
        });
        for ms in [700, 700, 1000] {
            p.tick(Duration::from_millis(ms));
        }
        assert_eq!(p.take_sent(), b"\x89\x05wsdbg".repeat(3));
        p.tick(Duration::from_millis(1000));
        assert_eq!(p.e.state(), State::Closing);
        assert_eq!(
            close_code_sent(&p.take_sent()),
            Some((1001, "idle timeout".into()))
        );
        assert_eq!(
            p.e.deadline(),
            Some(p.now + Duration::from_millis(500)),
            "only the close timeout is left"
        );
    }

    #[test]
    fn eof_leaves_the_outbox_open() {
        let mut p = Peer::open(Settings::server());
        p.feed(&MDN[..5]);
        p.eof();
        assert_eq!(p.e.state(), State::Closed);
        assert_eq!(p.e.transport(), Transport::Close);
        assert!(!p.e.outbox().can_send(), "can_send after the end");
        assert!(!p.e.outbox().send(OpCode::Text, b"after"));
        assert!(!p.e.outbox().close(Some(1000), b""));
        assert_eq!(p.e.outbox().pending(), b"");
    }

    #[test]
    fn close_now_during_the_handshake_reports_the_end() {
        let mut p = Peer::server(Settings::server());
        p.feed(&RFC_REQUEST[..20]);
        p.e.close_now(1000, b"", p.now);
        assert_eq!(p.e.state(), State::Closed);
        assert_eq!(p.e.transport(), Transport::Close);
        assert!(p.e.close_info().is_some(), "closed, but how is not known");
    }

    #[test]
    fn a_bad_byte_after_the_first_piece_of_a_head_waits_for_a_line_end() {
        // Whole, the NUL after the method is refused at once.
        let mut p = Peer::server(Settings::server());
        p.feed(b"^\0");
        assert!(p.take_sent().starts_with(b"HTTP/1.1 400 "));
        // The same two bytes in two pieces: nothing, until a LF arrives,
        // the head limit is reached, or the handshake times out (then the
        // connection closes with no answer at all).
        let mut p = Peer::server(Settings::server());
        p.feed(b"^");
        p.feed(b"\0");
        assert!(p.take_sent().starts_with(b"HTTP/1.1 400 "));
    }

    #[test]
    fn a_command_closes_at_the_time_given_and_messages_are_counted() {
        let settings = Settings {
            idle_timeout: Some(Duration::from_secs(300)),
            close_timeout: Duration::from_secs(5),
            ..Settings::server()
        };
        let mut p = Peer::open(settings);
        let later = p.now + Duration::from_secs(200);
        // The count after each: a text is a message, a ping is none, an
        // encoded message is one, a fragmented message counts once, at its
        // last frame, and a close is none.
        let steps = p.e.command(later, |o| {
            [
                (o.send_message(MessageKind::Text, b"hi"), o.messages()),
                (o.send(OpCode::Ping, b""), o.messages()),
                (o.send_encoded(&[0x82, 0x00]), o.messages()),
                (
                    o.send_frame(&FrameHeader::new(false, OpCode::Text, None, 1), b"a"),
                    o.messages(),
                ),
                (
                    o.send_frame(&FrameHeader::new(true, OpCode::Continuation, None, 1), b"b"),
                    o.messages(),
                ),
                (o.close(None, b""), o.messages()),
            ]
        });
        assert_eq!(
            steps,
            [
                (true, 1),
                (true, 1),
                (true, 2),
                (true, 2),
                (true, 3),
                (true, 3)
            ]
        );
        // Closing at once, waiting for the peer's close from `later`, not
        // from when the endpoint last heard from it.
        assert_eq!(p.e.state(), State::Closing);
        assert_eq!(p.e.deadline(), Some(later + Duration::from_secs(5)));
        assert!(!p
            .e
            .command(later, |o| o.send_message(MessageKind::Text, b"late")));
    }

    #[test]
    fn an_answer_with_another_code_is_recorded() {
        let mut p = Peer::open(Settings::server());
        p.e.close_now(1000, b"", p.now);
        p.flush();
        p.feed(&client_frame(true, OpCode::Close, &[0x03, 0xea]));
        let c = p.seen.closed.clone().unwrap();
        assert_eq!(
            (c.by, c.code, c.answer),
            (Closer::Local, Some(1000), Some(Some(1002)))
        );
        // The same code back: nothing to add.
        let mut p = Peer::open(Settings::server());
        p.e.close_now(1000, b"", p.now);
        p.flush();
        p.feed(&client_frame(true, OpCode::Close, &[0x03, 0xe8]));
        assert_eq!(p.seen.closed.clone().unwrap().answer, None);
    }

    #[test]
    fn a_close_queued_on_the_outbox_closes_the_endpoint() {
        let settings = Settings {
            idle_timeout: Some(Duration::from_millis(3000)),
            close_timeout: Duration::from_millis(500),
            ..Settings::server()
        };
        let mut p = Peer::open(settings.clone());
        assert!(p.e.outbox().close(Some(1001), b""));
        p.flush();
        assert_eq!(p.take_sent(), [0x88, 0x02, 0x03, 0xe9]);
        p.tick(Duration::from_millis(5100));
        assert!(
            p.e.deadline().is_none_or(|d| d > p.now) || p.e.transport() == Transport::Close,
            "on_timeout left the deadline in the past ({:?} in {:?})",
            p.e.deadline().map(|d| p.now - d),
            p.e.state()
        );
        // Answered: our close came first.
        let mut p = Peer::open(settings);
        assert!(p.e.outbox().close(Some(1000), b""));
        p.flush();
        p.feed(&client_frame(true, OpCode::Close, &[0x03, 0xe9]));
        let c = p.seen.closed.clone().unwrap();
        assert_eq!((c.by, c.code, c.clean), (Closer::Local, Some(1000), true));
    }

    #[test]
    fn a_violation_after_our_close_reports_the_close_we_sent() {
        let mut p = Peer::open(Settings::server());
        p.e.close_now(1000, b"bye", p.now);
        p.flush();
        assert_eq!(close_code_sent(&p.take_sent()), Some((1000, "bye".into())));
        // The peer's close with code 53044, which may not be sent.
        p.feed(&client_frame(true, OpCode::Close, &[0xcf, 0x34]));
        assert!(p.take_sent().is_empty(), "no second close frame");
        let c = p.seen.closed.clone().unwrap();
        assert!(matches!(c.by, Closer::Failed(ref v) if v.rule() == Rule::CloseCode));
        assert_eq!((c.code, c.reason), (Some(1000), b"bye".to_vec()));
    }

    #[test]
    fn settings_defaults_name_their_role() {
        assert_eq!(Settings::server().role, Role::Server);
        assert_eq!(Settings::client().role, Role::Client);
        assert_eq!(
            Settings {
                role: Role::Server,
                ..Settings::client()
            },
            Settings::server()
        );
    }

    #[test]
    fn client_mask_keys_are_xorshift32_from_the_seed() {
        // Marsaglia's xorshift32 (13, 17, 5) from 1 (the seed, made odd).
        let mut o = Outbox::new(Role::Client, 0);
        let first: Vec<_> = (0..4).map(|_| o.mask_key().unwrap()).collect();
        assert_eq!(
            first,
            [
                [0x00, 0x04, 0x20, 0x21],
                [0x04, 0x08, 0x06, 0x01],
                [0x9d, 0xcc, 0xa8, 0xc5],
                [0x12, 0x55, 0x99, 0x4f]
            ]
        );
        // Never all zeros, and no repeats for a long while.
        let mut o = Outbox::new(Role::Client, 0xdead_beef);
        let keys: std::collections::HashSet<_> =
            (0..10_000).map(|_| o.mask_key().unwrap()).collect();
        assert_eq!(keys.len(), 10_000);
        assert!(!keys.contains(&[0; 4]));
        // A server never masks.
        assert_eq!(Outbox::new(Role::Server, 7).mask_key(), None);
    }

    #[test]
    fn a_message_sent_from_where_it_lies_queues_what_the_socket_left() {
        let whole = [0x82, 0x03, 1, 2, 3];
        // The socket takes: everything, part of the header, part of the
        // payload, nothing. What it left is pending, in order.
        for took in [5, 1, 3, 0] {
            let mut p = Peer::open(Settings::server());
            let out = p.e.outbox();
            let mut seen = None;
            assert!(
                out.send_message_with(MessageKind::Binary, &[1, 2, 3], |h, d| {
                    seen = Some((h.to_vec(), d.to_vec()));
                    took
                })
            );
            assert_eq!(seen, Some((vec![0x82, 0x03], vec![1, 2, 3])));
            assert_eq!(out.pending(), &whole[took..], "took {took}");
            assert_eq!(out.messages(), 1);
        }
        // Something pending already: queued behind it, not written.
        let mut p = Peer::open(Settings::server());
        let out = p.e.outbox();
        out.send_raw(&[0xaa]);
        assert!(out.send_message_with(MessageKind::Text, b"hi", |_, _| unreachable!()));
        assert_eq!(out.pending(), &[0xaa, 0x81, 0x02, b'h', b'i']);
        // A client masks: queued, masked, not written from where it lies.
        let mut out = Outbox::new(Role::Client, 1);
        out.open = true;
        assert!(out.send_message_with(MessageKind::Text, b"hi", |_, _| unreachable!()));
        assert_eq!(out.pending().len(), 2 + 4 + 2);
        assert_eq!(out.pending()[1], 0x82);
        // Closing: nothing is sent.
        let mut p = Peer::open(Settings::server());
        let out = p.e.outbox();
        assert!(out.close(Some(1000), b""));
        let before = out.pending().len();
        assert!(!out.send_message_with(MessageKind::Text, b"late", |_, _| unreachable!()));
        assert_eq!(out.pending().len(), before);
    }

    #[test]
    fn control_frames_carry_at_most_125_bytes() {
        let mut p = Peer::open(Settings::server());
        assert!(p.e.outbox().send(OpCode::Ping, &[0; 125]));
        assert!(!p.e.outbox().send(OpCode::Ping, &[0; 126]));
        assert!(p.e.outbox().send(OpCode::Binary, &[0; 126]));
        let sent = p.e.outbox().pending().to_vec();
        assert_eq!(&sent[..2], [0x89, 125]);
        assert_eq!(&sent[127..131], [0x82, 126, 0, 126]);
        assert_eq!(sent.len(), 127 + 4 + 126);
    }

    #[test]
    fn a_raw_frame_is_queued_as_given_while_open() {
        // Before the handshake: nothing.
        let mut p = Peer::server(Settings::server());
        let h = FrameHeader::new(false, OpCode::Ping, Some([1, 2, 3, 4]), 300);
        assert!(!p.e.outbox().send_frame(&h, b"ab"));
        assert!(p.e.outbox().pending().is_empty());
        // Open: a broken frame (a long, fragmented ping claiming 300 bytes
        // with 2) goes out exactly, masked with its key; even after our
        // close.
        let mut p = Peer::open(Settings::server());
        assert!(p.e.outbox().close(Some(1000), b""));
        let before = p.e.outbox().pending().len();
        assert!(p.e.outbox().send_frame(&h, b"ab"));
        assert_eq!(
            &p.e.outbox().pending()[before..],
            [0x09, 0xfe, 0x01, 0x2c, 1, 2, 3, 4, b'a' ^ 1, b'b' ^ 2]
        );
    }

    #[test]
    fn an_encoded_frame_is_queued_only_while_frames_may_be_sent() {
        let frame = [0x81, 0x02, b'h', b'i'];
        let mut p = Peer::server(Settings::server());
        assert!(!p.e.outbox().send_encoded(&frame));
        assert!(p.e.outbox().pending().is_empty());
        let mut p = Peer::open(Settings::server());
        assert!(p.e.outbox().send_encoded(&frame));
        assert_eq!(p.e.outbox().pending(), frame);
        assert!(p.e.outbox().close(Some(1000), b""));
        let before = p.e.outbox().pending().len();
        assert!(!p.e.outbox().send_encoded(&frame));
        assert_eq!(p.e.outbox().pending().len(), before);
    }

    #[test]
    fn raw_bytes_are_queued_as_they_are() {
        let mut p = Peer::server(Settings::server());
        p.e.outbox().send_raw(b"\xffjunk");
        assert_eq!(p.e.outbox().pending(), b"\xffjunk");
    }

    #[test]
    fn a_long_close_reason_is_cut_at_a_character_boundary() {
        let reason_sent = |reason: &[u8]| {
            let mut p = Peer::open(Settings::server());
            assert!(p.e.outbox().close(Some(1000), reason));
            let sent = p.e.outbox().pending().to_vec();
            assert_eq!(sent[0], 0x88);
            assert_eq!(usize::from(sent[1]), sent.len() - 2);
            sent[4..].to_vec()
        };
        assert_eq!(reason_sent(&[b'a'; 123]), [b'a'; 123]);
        assert_eq!(reason_sent(&[b'a'; 200]), [b'a'; 123]);
        // "é" is 2 bytes: 61 of them fit, not half of the 62nd.
        let e = "é".repeat(100);
        assert_eq!(reason_sent(e.as_bytes()), "é".repeat(61).as_bytes());
    }

    const PAGE: &str = "<!doctype html><style>p{}</style><p>test</p><script>1</script>";

    fn with_page() -> Settings {
        Settings {
            page: Some(Arc::from(PAGE)),
            ..Settings::server()
        }
    }

    /// Feeds `request` to a fresh server: what it sent, and the peer.
    fn answer_of(settings: Settings, request: &[u8]) -> (String, Peer) {
        let mut p = Peer::server(settings);
        p.feed(request);
        (String::from_utf8(p.take_sent()).unwrap(), p)
    }

    #[test]
    fn a_plain_get_of_the_root_gets_the_page_and_the_connection_ends() {
        for target in ["/", "/?x=1"] {
            let request = format!("GET {target} HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\n\r\n");
            let (sent, p) = answer_of(with_page(), request.as_bytes());
            assert!(sent.starts_with("HTTP/1.1 200 OK\r\n"), "{sent}");
            assert!(sent.ends_with(&format!("\r\n\r\n{PAGE}")), "{sent}");
            assert_eq!(
                sent,
                String::from_utf8(handshake::build_page(PAGE)).unwrap()
            );
            assert!(sent.contains("\r\nContent-Security-Policy: default-src 'none'; "));
            // The request is not a handshake's: no issues, no HeadIn/HeadOut.
            assert_eq!(
                p.seen.notes,
                ["page request (0 issues) response 200"],
                "{target}"
            );
            assert_eq!(p.e.state(), State::Closed);
            assert_eq!(p.e.transport(), Transport::Shutdown);
            let info = p.seen.closed.as_ref().expect("closed");
            assert_eq!(info.by, Closer::Handshake("the test page was served"));
            assert_eq!(info.code, None);
        }
    }

    #[test]
    fn a_plain_get_of_another_path_gets_404() {
        let (sent, p) = answer_of(with_page(), b"GET /favicon.ico HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            sent,
            String::from_utf8(handshake::build_not_found()).unwrap()
        );
        assert!(!sent.contains(PAGE));
        assert_eq!(p.seen.notes, ["page request (0 issues) response 404"]);
        assert_eq!(p.e.transport(), Transport::Shutdown);
        assert_eq!(
            p.seen.closed.unwrap().by,
            Closer::Handshake("a plain HTTP request was answered 404")
        );
    }

    #[test]
    fn without_a_page_a_plain_get_is_refused_with_426_as_before() {
        let (sent, p) = answer_of(Settings::server(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(
            sent.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
            "{sent}"
        );
        assert!(sent.contains("\r\nUpgrade: websocket\r\n"), "{sent}");
        assert!(!sent.contains("<!doctype"), "{sent}");
        assert_eq!(
            p.seen.notes,
            ["head in request (4 issues)", "head out response 426"]
        );
        assert_eq!(
            p.seen.closed.unwrap().by,
            Closer::Handshake("the handshake was refused")
        );
    }

    #[test]
    fn with_a_page_other_requests_are_checked_as_handshakes() {
        // Not GET: 405 as ever.
        let (sent, _) = answer_of(with_page(), b"POST / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(sent.starts_with("HTTP/1.1 405 "), "{sent}");
        // A handshake that lacks only Upgrade is told so, not given the page.
        let text = String::from_utf8_lossy(RFC_REQUEST).replace("Upgrade: websocket\r\n", "");
        let (sent, _) = answer_of(with_page(), text.replace("/chat", "/").as_bytes());
        assert!(sent.starts_with("HTTP/1.1 426 "), "{sent}");
        assert!(sent.contains("no Upgrade header"), "{sent}");
        // An upgrade of / still upgrades.
        let text = String::from_utf8_lossy(RFC_REQUEST).replace("GET /chat", "GET /");
        let (sent, mut p) = answer_of(with_page(), text.as_bytes());
        assert!(sent.starts_with("HTTP/1.1 101 "), "{sent}");
        assert_eq!(p.e.state(), State::Open);
        p.feed(MDN);
        assert_eq!(p.seen.messages, [(MessageKind::Text, b"MDN".to_vec())]);
    }

    #[test]
    fn send_like_keeps_the_recorded_bits_and_masks_anew() {
        let mut o = Outbox::beside(Role::Client, 7);
        let mut h = FrameHeader::new(false, OpCode::Text, Some([1, 2, 3, 4]), 3);
        h.rsv = [false, true, false];
        h.length_form = crate::protocol::frame::LengthForm::Medium;
        assert!(o.send_like(&h, b"MDN"));
        // Unmasked as recorded (a broken client frame) stays unmasked.
        let bare = FrameHeader::new(true, OpCode::Continuation, None, 2);
        assert!(o.send_like(&bare, b"ok"));
        let close = FrameHeader::new(true, OpCode::Close, Some([9, 9, 9, 9]), 2);
        assert!(o.send_like(&close, &[0x03, 0xe8]));
        assert!(o.close_sent());
        assert!(!o.send_like(&close, &[0x03, 0xe8]), "one close only");
        let t = crate::protocol::transcript::read(&o.take(), Some(Role::Client));
        let f = &t.frames;
        assert_eq!(f.len(), 3);
        let h0 = f[0].header.unwrap();
        assert_eq!(
            (h0.fin, h0.rsv, h0.opcode),
            (false, [false, true, false], OpCode::Text)
        );
        assert_eq!(h0.length_form, crate::protocol::frame::LengthForm::Medium);
        assert!(h0.mask.is_some_and(|k| k != [1, 2, 3, 4]), "a fresh key");
        assert_eq!(f[0].payload, b"MDN");
        assert_eq!(f[1].header.unwrap().mask, None);
        assert_eq!(f[1].payload, b"ok");
        assert_eq!(f[2].header.unwrap().opcode, OpCode::Close);
        assert_eq!(f[2].payload, [0x03, 0xe8]);
    }

    #[test]
    fn send_split_sends_exactly_that_many_frames_compressed_or_not() {
        for frames in [1, 2, 3, 7] {
            let mut o = Outbox::beside(Role::Server, 1);
            assert!(o.send_split(MessageKind::Text, b"Hello, world", frames));
            let t = crate::protocol::transcript::read(&o.take(), Some(Role::Server));
            assert_eq!(t.frames.len(), frames);
            let m = t.frames.last().unwrap().message.as_ref().unwrap();
            assert_eq!(m.data, b"Hello, world");
            assert_eq!(m.frames, frames);
        }
        let mut o = Outbox::beside(Role::Client, 3);
        o.compress_with(Deflater::with_level(15, false, 6));
        assert!(o.send_split(MessageKind::Text, &b"squeeze ".repeat(50), 3));
        let mut d = Decoder::new(Config {
            from: Some(Role::Client),
            heads: false,
            ..Config::default()
        });
        d.set_deflate(Some(Default::default()));
        let mut got = Vec::new();
        let mut rsv1 = Vec::new();
        d.feed(&mut o.take(), &mut |e| {
            match e {
                Event::Frame(f) => rsv1.push(f.header.unwrap().rsv[0]),
                Event::Message(m) => got.push((m.data.to_vec(), m.frames, m.compressed)),
                _ => {}
            }
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(rsv1, [true, false, false], "RSV1 on the first frame only");
        assert_eq!(got, [(b"squeeze ".repeat(50), 3, true)]);
    }

    #[test]
    fn response_headers_go_into_the_101() {
        let mut p = Peer::server(Settings {
            response_headers: vec![("Set-Cookie".into(), "a=1\r\nX: y".into())],
            ..Settings::server()
        });
        p.feed(RFC_REQUEST);
        let sent = String::from_utf8(p.take_sent()).unwrap();
        assert!(sent.starts_with("HTTP/1.1 101 "), "{sent}");
        assert!(
            sent.ends_with("\r\nSet-Cookie: a=1X: y\r\n\r\n"),
            "{sent:?}"
        );
        assert_eq!(p.e.state(), State::Open);
    }
}
