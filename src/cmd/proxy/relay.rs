//! The relay loop: one thread that moves the bytes of every upgraded
//! client, waiting on all their sockets at once in the event loop
//! ([`crate::cmd::event`]), whatever the upstream's transport (plain TCP or
//! TLS, [`Wire`]). Each read is written on at once, byte for byte, then
//! decoded on the side; what a full socket does not take waits, and its
//! source is not read meanwhile, so memory stays bounded by one read per
//! direction.
//!
//! One thread for all, rather than one or two per client: under load one
//! wake-up serves many ready sockets, which saves a context switch a
//! message (measured with benches/relay.sh).
//!
//! Readiness comes as edges: a socket whose read may have left bytes (it
//! filled the buffer, or TLS may hold more) is read again on the next
//! turn without waiting for a new event.

use std::io;
use std::net::Shutdown;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use super::{closing, pass, sides, tls_or_io, Shared, Side, CHUNK, LINGER};
use crate::cmd::event::{Loop, Ready};
use crate::cmd::input::console::{self, Intercept, Pattern, Target, Toward, Whose};
use crate::cmd::live;
use crate::cmd::wire::Wire;
use crate::print::Relayed;
use crate::protocol::deflate::DeflateParams;
use crate::protocol::endpoint::State;
use crate::protocol::hold::{self, Compression, Held, Release};
use crate::protocol::Role;

/// An upgraded client handed to the loop.
pub(super) struct Handed {
    /// Its id.
    pub id: u64,
    /// Its address.
    pub peer: String,
    /// When it connected.
    pub started: Instant,
    /// Its connection.
    pub client: Wire,
    /// The upstream.
    pub up: Wire,
    /// The permessage-deflate agreed on.
    pub deflate: Option<DeflateParams>,
    /// What the upstream sent after its answer (already passed on), to be
    /// decoded.
    pub rest: Vec<u8>,
    /// What the client sent after its request's head (already passed
    /// on), to be decoded.
    pub early: Vec<u8>,
    /// A forward proxy's blind tunnel to this `host:port`: bytes are
    /// counted, not decoded.
    pub blind: Option<String>,
    /// How each direction compresses (client's, then server's), when
    /// permessage-deflate was agreed.
    pub compression: [Option<Compression>; 2],
    /// What `/list` shows of it (the upstream and the path).
    pub label: String,
    /// The subprotocol the upstream agreed to.
    pub protocol: Option<String>,
}

/// What the console asks of the relay; each is answered on `reply` with
/// what to show (or why not).
pub(super) enum Order {
    /// Sends something made on the console to one end.
    Send(Target, Toward, console::Send),
    /// The connections and what is held.
    List,
    /// Holds messages from now on (None: stops, releasing all).
    Intercept(Option<Intercept>),
    /// Lets a held message go, drops it, or replaces it.
    Release(u64, Release),
}

/// An order and where its answer goes.
pub(super) type Asked = (Order, mpsc::Sender<Result<String, String>>);

/// How the client threads and the console reach the loop.
pub(super) struct Handle {
    tx: Mutex<mpsc::Sender<Handed>>,
    orders: Mutex<mpsc::Sender<Asked>>,
    waker: Arc<mio::Waker>,
}

/// What the loop receives.
pub(super) struct Inbox {
    handed: mpsc::Receiver<Handed>,
    orders: mpsc::Receiver<Asked>,
}

/// The token of the loop's waker (sockets' tokens are twice a slot, plus
/// one for the upstream).
const WAKE: usize = usize::MAX - 1;

impl Handle {
    /// The handle, the receiving ends and the loop for [`run`].
    pub(super) fn new() -> io::Result<(Self, Inbox, Loop)> {
        let mut events = Loop::new(256)?;
        let (tx, handed) = mpsc::channel();
        let (order_tx, orders) = mpsc::channel();
        Ok((
            Self {
                tx: Mutex::new(tx),
                orders: Mutex::new(order_tx),
                waker: events.waker(WAKE)?,
            },
            Inbox { handed, orders },
            events,
        ))
    }

    /// Asks the loop, and waits for its answer (a few seconds at most).
    pub(super) fn ask(&self, order: Order) -> Result<String, String> {
        let (tx, rx) = mpsc::channel();
        let sent = self.orders.lock().map(|o| o.send((order, tx)).is_ok());
        if !matches!(sent, Ok(true)) {
            return Err("the relay has stopped".into());
        }
        let _ = self.waker.wake();
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .unwrap_or_else(|_| Err("the relay did not answer".into()))
    }

    /// Hands a client to the loop.
    pub(super) fn hand(&self, h: Handed) {
        let sent = self.tx.lock().map(|tx| tx.send(h).is_ok());
        if matches!(sent, Ok(true)) {
            let _ = self.waker.wake();
        }
    }
}

/// One direction: what its source sent that its destination has not yet
/// taken, and whether the source is still read.
#[derive(Default)]
struct Way {
    pending: Vec<u8>,
    open: bool,
    /// The end was passed on (the destination's write side shut).
    passed_end: bool,
}

/// A client and its upstream, as the loop holds them.
struct Pair<'a> {
    id: u64,
    peer: String,
    started: Instant,
    /// The client (index 0) and the upstream (1): the source of way 0 and
    /// of way 1, and the destination of the other way.
    socks: [Wire; 2],
    /// Each socket said it became readable, and no read since found it
    /// empty.
    readable: [bool; 2],
    /// Each socket's peer ended its side: read until the end is read.
    ended: [bool; 2],
    ways: [Way; 2],
    sides: [Side<'a>; 2],
    /// Once one way has ended, the other has until then.
    linger: Option<Instant>,
    /// Each direction frame by frame (when the console may hold or send:
    /// otherwise bytes pass as they come, untouched by anything but the
    /// decoders).
    frames: Option<Box<[hold::Way; 2]>>,
    label: String,
    /// A blind tunnel to this `host:port` (nothing decoded).
    blind: Option<String>,
    /// Bytes read from each socket.
    counts: [u64; 2],
}

/// The loop; returns only if it cannot wait.
pub(super) fn run(shared: &Shared, inbox: Inbox, mut events: Loop) {
    let mut pairs: Vec<Option<Pair>> = Vec::new();
    let mut holding = Holding {
        rules: shared.intercept.clone().and_then(|i| Rules::new(&i).ok()),
        next: 1,
    };
    let mut free: Vec<usize> = Vec::new();
    let mut ended: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    let mut ready = Vec::new();
    // Sockets to read again this turn (token), and those for the next.
    let mut again: Vec<usize> = Vec::new();
    let mut next: Vec<usize> = Vec::new();
    loop {
        again.append(&mut next);
        let soonest = pairs.iter().flatten().filter_map(|p| p.linger).min();
        if let Err(e) = events.turn(soonest, !again.is_empty(), &mut ready) {
            eprintln!("wsdbg: error: proxy: the relay cannot wait: {e}");
            return;
        }
        for ev in &ready {
            if ev.token == WAKE {
                while let Ok((order, reply)) = inbox.orders.try_recv() {
                    let _ = reply.send(holding.order(order, &mut pairs));
                }
                while let Ok(h) = inbox.handed.try_recv() {
                    let slot = free.pop().unwrap_or_else(|| {
                        pairs.push(None);
                        pairs.len() - 1
                    });
                    let mut pair = Pair::new(shared, h);
                    holding.apply(&mut pair);
                    let watched =
                        (0..2).all(|i| events.watch(pair.socks[i].fd(), slot * 2 + i).is_ok());
                    pairs[slot] = Some(pair);
                    if !watched {
                        ended.push(slot);
                    }
                }
                continue;
            }
            turn(
                &mut pairs,
                ev,
                &mut buf,
                &mut next,
                &mut ended,
                &mut holding,
            );
        }
        for token in again.drain(..) {
            turn(
                &mut pairs,
                &Ready::again(token),
                &mut buf,
                &mut next,
                &mut ended,
                &mut holding,
            );
        }
        let now = Instant::now();
        for (slot, p) in pairs.iter_mut().enumerate() {
            if let Some(p) = p {
                if p.linger.is_some_and(|t| now >= t) && !ended.contains(&slot) {
                    ended.push(slot);
                }
            }
        }
        // Slots are freed after the batch: an event of this batch for an
        // ended pair finds nothing rather than a newcomer.
        for slot in ended.drain(..) {
            if let Some(mut p) = pairs[slot].take() {
                for s in &p.socks {
                    let _ = events.unwatch(s.fd());
                    let _ = s.socket().shutdown(Shutdown::Both);
                }
                match &p.blind {
                    Some(_) if shared.view.quiet => {}
                    Some(host) => p.sides[0].say(&Relayed::TunnelEnded {
                        host,
                        up: p.counts[0],
                        down: p.counts[1],
                    }),
                    None => closing(shared, p.id, &p.peer, p.started, &mut p.sides),
                }
            }
            next.retain(|t| t / 2 != slot);
            free.push(slot);
        }
    }
}

/// Socket `ev.token` became ready, or may hold more (`ev` with nothing
/// set): moves its pair's bytes, notes a read again and a pair that ended.
fn turn(
    pairs: &mut [Option<Pair>],
    ev: &Ready,
    buf: &mut [u8],
    next: &mut Vec<usize>,
    ended: &mut Vec<usize>,
    holding: &mut Holding,
) {
    let (slot, i) = (ev.token / 2, ev.token % 2);
    let Some(pair) = pairs.get_mut(slot).and_then(Option::as_mut) else {
        return;
    };
    pair.ended[i] |= ev.ended;
    pair.ready(i, ev.read, ev.write, buf, holding);
    for s in 0..2 {
        if pair.reads(s) && !next.contains(&(slot * 2 + s)) {
            next.push(slot * 2 + s);
        }
    }
    if pair.ways.iter().all(|w| !w.open && w.passed_end) && !ended.contains(&slot) {
        ended.push(slot);
    }
}

impl<'a> Pair<'a> {
    fn new(shared: &'a Shared, h: Handed) -> Self {
        let _ = h.client.socket().set_nonblocking(true);
        let _ = h.up.socket().set_nonblocking(true);
        let frames = (h.blind.is_none() && shared.console_open()).then(|| {
            let limit = usize::try_from(shared.limits.max_message.unwrap_or(u64::MAX))
                .unwrap_or(usize::MAX);
            let seed = u32::try_from(h.id & 0xffff_ffff).unwrap_or(1) ^ 0x9e37_79b9;
            Box::new([
                hold::Way::new(Role::Client, h.compression[0], limit, seed),
                hold::Way::new(Role::Server, h.compression[1], limit, seed),
            ])
        });
        let mut sides = sides(shared, h.id, &h.peer, h.deflate, h.protocol.as_deref());
        let counts = [h.early.len() as u64, h.rest.len() as u64];
        if h.blind.is_none() && !h.early.is_empty() {
            let mut early = h.early;
            pass(&mut sides, 0, &mut early, Instant::now());
        }
        if h.blind.is_none() && !h.rest.is_empty() {
            let mut rest = h.rest;
            pass(&mut sides, 1, &mut rest, Instant::now());
        }
        let way = || Way {
            open: true,
            ..Way::default()
        };
        Self {
            id: h.id,
            peer: h.peer,
            started: h.started,
            socks: [h.client, h.up],
            // Read once at the start, event or not: TLS may already hold
            // what arrived after the heads.
            readable: [true; 2],
            ended: [false; 2],
            ways: [way(), way()],
            sides,
            linger: None,
            blind: h.blind,
            counts,
            frames,
            label: h.label,
        }
    }

    /// Whether way `w`'s destination still holds bytes of it (in the way,
    /// or encrypted by TLS and not yet taken by the socket).
    fn busy(&self, w: usize) -> bool {
        !self.ways[w].pending.is_empty() || self.socks[1 - w].wants_write()
    }

    /// Whether socket `i` is to be read: it may hold bytes, its way is
    /// open, and nothing of it waits for its destination.
    fn reads(&self, i: usize) -> bool {
        self.readable[i] && self.ways[i].open && !self.busy(i)
    }

    /// Socket `i` became ready, or may hold more: writes what waits for
    /// it, reads its way.
    fn ready(&mut self, i: usize, read: bool, write: bool, buf: &mut [u8], holding: &mut Holding) {
        if write {
            self.flush(1 - i);
        }
        self.readable[i] |= read;
        if self.reads(i) {
            self.read(i, buf, holding);
        }
        if self.linger.is_none() && self.ways.iter().any(|w| !w.open && w.passed_end) {
            self.linger = Some(Instant::now() + LINGER);
        }
    }

    /// Reads way `w`'s source once, writes what came on at once, keeps what
    /// the destination did not take, and decodes it.
    fn read(&mut self, w: usize, buf: &mut [u8], holding: &mut Holding) {
        let got = self.socks[w].read(buf);
        self.readable[w] = match &got {
            Ok(n) => *n > 0 && (self.ended[w] || !self.socks[w].drained(buf.len(), *n)),
            Err(e) => e.kind() == io::ErrorKind::Interrupted,
        };
        let n = match got {
            Ok(0) => return self.end(w),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) => {
                if w == 1 {
                    self.sides[1].say(&Relayed::UpstreamFailed {
                        why: &tls_or_io(&e),
                    });
                }
                return self.end(w);
            }
        };
        let at = Instant::now();
        let mut held = Vec::new();
        if let Some(frames) = self.frames.as_mut() {
            let mut out = Vec::new();
            let from = if w == 0 { Role::Client } else { Role::Server };
            frames[w].feed(&buf[..n], &mut out, &mut |h| {
                let n = holding.wants(from, h)?;
                held.push((n, from, h.kind, h.data.clone()));
                Some(n)
            });
            self.send_on(w, &out);
        } else {
            match write_some(&mut self.socks[1 - w], &buf[..n]) {
                Ok(k) if k < n => self.ways[w].pending.extend_from_slice(&buf[k..n]),
                Ok(_) => {}
                Err(_) => self.broken(w),
            }
        }
        self.counts[w] += n as u64;
        // Decoded after it went on: decoding unmasks in place.
        if self.blind.is_none() {
            pass(&mut self.sides, w, &mut buf[..n], at);
        }
        for (number, from, kind, data) in held {
            let preview = data.as_deref().map_or(&[][..], |d| &d[..d.len().min(64)]);
            self.sides[w].say(&Relayed::Held {
                number,
                from,
                kind: kind.name(),
                len: data.as_ref().map(Vec::len),
                preview,
            });
        }
    }

    /// Sends bytes on way `w` (after what waits there already).
    fn send_on(&mut self, w: usize, data: &[u8]) {
        if data.is_empty() || self.ways[w].passed_end {
            return;
        }
        if !self.ways[w].pending.is_empty() {
            self.ways[w].pending.extend_from_slice(data);
            return;
        }
        match write_some(&mut self.socks[1 - w], data) {
            Ok(k) if k < data.len() => self.ways[w].pending.extend_from_slice(&data[k..]),
            Ok(_) => {}
            Err(_) => self.broken(w),
        }
    }

    /// Writes what way `w` has waiting for its destination.
    fn flush(&mut self, w: usize) {
        let dest = &mut self.socks[1 - w];
        if dest.on_writable().is_err() {
            return self.broken(w);
        }
        let way = &mut self.ways[w];
        if !way.pending.is_empty() {
            match write_some(dest, &way.pending) {
                Ok(k) => {
                    way.pending.drain(..k);
                    if way.pending.is_empty() {
                        // Buffers exist while bytes wait.
                        way.pending = Vec::new();
                    }
                }
                Err(_) => return self.broken(w),
            }
        }
        if !self.ways[w].open && !self.ways[w].passed_end && !self.busy(w) {
            self.pass_end(w);
        }
    }

    /// Way `w`'s source ended: the end goes on once its bytes have.
    fn end(&mut self, w: usize) {
        self.ways[w].open = false;
        if !self.busy(w) {
            self.pass_end(w);
        }
    }

    fn pass_end(&mut self, w: usize) {
        self.socks[1 - w].shutdown_write();
        self.ways[w].passed_end = true;
    }

    /// Way `w`'s destination cannot be written: that way is over.
    fn broken(&mut self, w: usize) {
        let _ = self.socks[w].socket().shutdown(Shutdown::Read);
        self.ways[w].pending = Vec::new();
        self.ways[w].open = false;
        self.readable[w] = false;
        if !self.ways[w].passed_end {
            self.pass_end(w);
        }
    }
}

/// Writes what the socket takes now: how many bytes (0 when full).
fn write_some(dest: &mut Wire, data: &[u8]) -> io::Result<usize> {
    loop {
        match dest.write(data) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// What the console sends, as the printers name it: its kind and payload.
fn shown(send: &console::Send) -> (&'static str, Vec<u8>) {
    use console::Send as S;
    match send {
        S::Text(t) => ("text", t.as_bytes().to_vec()),
        S::Binary(b) => ("binary", b.clone()),
        S::Ping(p) => ("ping", p.clone()),
        S::Pong(p) => ("pong", p.clone()),
        S::Close(None) => ("close", Vec::new()),
        S::Close(Some((code, reason))) => {
            let mut p = code.to_be_bytes().to_vec();
            p.extend_from_slice(reason.as_bytes());
            ("close", p)
        }
        S::Raw(b) => ("raw", b.clone()),
        S::Frame { payload, .. } => ("frame", payload.clone()),
    }
}

/// The console's holding rules, and the numbers given to held messages.
pub(super) struct Holding {
    rules: Option<Rules>,
    next: u64,
}

/// `/intercept`, ready to match.
pub(super) struct Rules {
    from: Whose,
    pattern: Matcher,
}

enum Matcher {
    Any,
    Text(Vec<u8>),
    Regex(regex::bytes::Regex),
}

impl Rules {
    /// Compiles `/intercept`'s pattern.
    pub(super) fn new(i: &Intercept) -> Result<Self, String> {
        let pattern = match &i.pattern {
            Pattern::Any => Matcher::Any,
            Pattern::Text(t) => Matcher::Text(t.as_bytes().to_vec()),
            Pattern::Regex(r) => Matcher::Regex(
                regex::bytes::Regex::new(r)
                    .map_err(|e| format!("/{r}/ is not a regular expression: {e}"))?,
            ),
        };
        Ok(Self {
            from: i.from,
            pattern,
        })
    }

    fn holds_from(&self, from: Role) -> bool {
        matches!(
            (self.from, from),
            (Whose::Both, _) | (Whose::Client, Role::Client) | (Whose::Server, Role::Server)
        )
    }

    fn matches(&self, data: Option<&[u8]>) -> bool {
        match (&self.pattern, data) {
            (Matcher::Any, _) => true,
            (Matcher::Text(t), Some(d)) => d.windows(t.len().max(1)).any(|w| w == t.as_slice()),
            (Matcher::Regex(r), Some(d)) => r.is_match(d),
            // Not inflated (or over the limit): nothing to look in.
            (_, None) => false,
        }
    }

    /// In words.
    fn describe(&self) -> String {
        let from = match self.from {
            Whose::Client => "from the client",
            Whose::Server => "from the server",
            Whose::Both => "from both ends",
        };
        let which = match &self.pattern {
            Matcher::Any => "every message".to_string(),
            Matcher::Text(t) => format!(
                "messages holding \"{}\"",
                crate::print::escape::escape_bytes(t)
            ),
            Matcher::Regex(r) => format!("messages matching /{}/", r.as_str()),
        };
        format!("holding {which} {from}")
    }
}

impl Holding {
    /// The number to hold `h` under, when the rules hold it.
    fn wants(&mut self, from: Role, h: &Held) -> Option<u64> {
        let r = self.rules.as_ref()?;
        if !r.holds_from(from) || !r.matches(h.data.as_deref()) {
            return None;
        }
        let n = self.next;
        self.next += 1;
        Some(n)
    }

    /// Makes a connection hold as the rules say.
    fn apply(&self, pair: &mut Pair) {
        if let Some(f) = pair.frames.as_mut() {
            let on = |role| self.rules.as_ref().is_some_and(|r| r.holds_from(role));
            f[0].hold(on(Role::Client));
            f[1].hold(on(Role::Server));
        }
    }

    /// Carries out the console's order; what to show.
    fn order(&mut self, order: Order, pairs: &mut [Option<Pair>]) -> Result<String, String> {
        match order {
            Order::List => Ok(self.list(pairs)),
            Order::Intercept(Some(i)) => {
                let rules = Rules::new(&i)?;
                let said = rules.describe();
                self.rules = Some(rules);
                for p in pairs.iter_mut().flatten() {
                    self.apply(p);
                }
                Ok(format!(
                    "{said} (from each connection's next message on); /list shows what is held, /intercept off lets all go\n"
                ))
            }
            Order::Intercept(None) => {
                self.rules = None;
                let mut count = 0;
                for p in pairs.iter_mut().flatten() {
                    self.apply(p);
                    for w in 0..2 {
                        let Some(frames) = p.frames.as_mut() else {
                            continue;
                        };
                        let numbers: Vec<u64> = frames[w].held().iter().map(|(n, _)| *n).collect();
                        let mut out = Vec::new();
                        frames[w].release_all(&mut out);
                        p.send_on(w, &out);
                        for number in numbers {
                            count += 1;
                            p.sides[w].say(&Relayed::Released {
                                number,
                                action: "forwarded",
                                edit: None,
                            });
                        }
                    }
                }
                Ok(format!(
                    "interception off; {count} held message{} let go\n",
                    if count == 1 { "" } else { "s" }
                ))
            }
            Order::Release(n, how) => {
                for p in pairs.iter_mut().flatten() {
                    let Some(frames) = p.frames.as_mut() else {
                        continue;
                    };
                    let Some(w) = (0..2).find(|w| frames[*w].holds(n)) else {
                        continue;
                    };
                    let mut out = Vec::new();
                    frames[w].release(n, how.clone(), &mut out);
                    let reframed = frames[w].reframing();
                    p.send_on(w, &out);
                    let (action, edit) = match &how {
                        Release::Forward => ("forwarded", None),
                        Release::Drop => ("dropped", None),
                        Release::Edit(e) => ("edited", Some(e.as_slice())),
                    };
                    p.sides[w].say(&Relayed::Released {
                        number: n,
                        action,
                        edit,
                    });
                    let note = if reframed {
                        " (this way's messages are compressed again by the proxy from here on)"
                    } else {
                        ""
                    };
                    return Ok(format!("[{n}] {action} on #{}{note}\n", p.id));
                }
                Err(format!(
                    "no message [{n}] is held; /list shows those that are"
                ))
            }
            Order::Send(target, toward, send) => {
                let w = match toward {
                    Toward::Server => 0,
                    Toward::Client => 1,
                };
                // The sender whose frames these stand among, and the end
                // they go to.
                let (role, to) = if w == 0 {
                    (Role::Client, Role::Server)
                } else {
                    (Role::Server, Role::Client)
                };
                let data = match &send {
                    console::Send::Ping(_) | console::Send::Pong(_) | console::Send::Close(_) => {
                        false
                    }
                    console::Send::Frame { spec, .. } => !spec.opcode.is_control(),
                    _ => true,
                };
                let mut sent = Vec::new();
                let mut errors = Vec::new();
                for p in pairs.iter_mut().flatten() {
                    if let Target::Id(id) = target {
                        if p.id != id {
                            continue;
                        }
                    }
                    let Some(frames) = p.frames.as_mut() else {
                        errors.push(format!(
                            "#{}: it began while no console was reading, so it is relayed byte for byte only",
                            p.id
                        ));
                        continue;
                    };
                    if p.ways[w].passed_end {
                        errors.push(format!("#{}: its {} has gone", p.id, role.name()));
                        continue;
                    }
                    if let Err(why) = live::queue(frames[w].outbox(), State::Open, role, &send) {
                        errors.push(format!("#{}: {why}", p.id));
                        continue;
                    }
                    let mut out = Vec::new();
                    frames[w].inject(data, &mut out);
                    p.send_on(w, &out);
                    let (kind, payload) = shown(&send);
                    p.sides[w].say(&Relayed::Injected {
                        to,
                        kind,
                        payload: &payload,
                    });
                    sent.push(format!("#{}", p.id));
                }
                if sent.is_empty() && errors.is_empty() {
                    return Err(match target {
                        Target::Id(id) => format!("no connection #{id}; /list shows them"),
                        Target::All => "no connections".into(),
                    });
                }
                if sent.is_empty() {
                    return Err(errors.join("; "));
                }
                let mut said = format!("sent to the {} of {}\n", to.name(), sent.join(", "));
                for e in errors {
                    said.push_str(&format!("not sent: {e}\n"));
                }
                Ok(said)
            }
        }
    }

    /// The connections and the messages they hold.
    fn list(&self, pairs: &[Option<Pair>]) -> String {
        let live: Vec<&Pair> = pairs.iter().flatten().collect();
        let mut s = match &self.rules {
            Some(r) => format!("{}\n", r.describe()),
            None => "not holding messages (/intercept to start)\n".to_string(),
        };
        if live.is_empty() {
            s.push_str("no connections\n");
            return s;
        }
        for p in live {
            let age = p.started.elapsed().as_secs_f64();
            let what = match &p.blind {
                Some(host) => format!("tunnel to {host}, blind"),
                None => crate::print::escape::escape_str(&p.label),
            };
            s.push_str(&format!(
                "#{}  {}  {what}  {} in, {} out  {age:.1}s\n",
                p.id, p.peer, p.sides[0].book.received, p.sides[1].book.sent
            ));
            if let Some(frames) = &p.frames {
                for (w, from) in [(0, "client"), (1, "server")] {
                    for (n, h) in frames[w].held() {
                        let preview = h.data.as_deref().map_or_else(
                            || "(not inflated)".to_string(),
                            |d| {
                                format!(
                                    "\"{}\"",
                                    crate::print::escape::escape_bytes(&d[..d.len().min(48)])
                                )
                            },
                        );
                        s.push_str(&format!(
                            "  [{n}] held from the {from}: {} {}\n",
                            h.kind.name(),
                            preview
                        ));
                    }
                }
            }
        }
        s
    }
}
