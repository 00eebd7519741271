//! A recording's bytes (`--record`), without I/O and without a clock (the
//! times are given): pcapng blocks (a section header naming wsdbg and the
//! command, one raw-IP interface, a packet block per TCP segment) and a
//! TCP connection made of segments (handshake, data with both sides'
//! sequence numbers, FIN), checksums right, so that Wireshark, tshark and
//! `wsdbg decode` follow the stream.

use std::net::{IpAddr, SocketAddr};

use etherparse::{IpNumber, Ipv4Header, Ipv6Header, TcpHeader, TcpOptionElement};

use super::Role;

/// LINKTYPE_RAW: each packet an IPv4 or IPv6 header first.
pub const LINKTYPE_RAW: u16 = 101;

/// The largest payload of one segment: the loopback's MSS, so that an
/// IPv4 packet's length (65,535 at most) always fits.
pub const MAX_SEGMENT: usize = 65_483;

/// The window scale both sides announce: segments never wait for an
/// acknowledgement here, and a window of 64 KiB would have Wireshark
/// mark every large message "window full".
const WINDOW_SCALE: u8 = 14;

/// Appends a pcapng block of type `kind` around `body`.
fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let padded = body.len().div_ceil(4) * 4;
    let total = u32::try_from(12 + padded).unwrap_or(u32::MAX);
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    out.extend_from_slice(&total.to_le_bytes());
}

/// Appends an option (code, length, value padded to 32 bits).
fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    let len = value.len().min(usize::from(u16::MAX) & !3);
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&value[..len]);
    out.resize(out.len() + len.div_ceil(4) * 4 - len, 0);
}

/// Ends a list of options.
fn end_of_options(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, 0, 0]);
}

/// The start of a file: a section header whose comment is `comment` and
/// whose application is `application`, and the one interface every
/// packet is on (raw IP, microsecond timestamps).
pub fn header(application: &str, comment: &str) -> Vec<u8> {
    let mut out = section(application, comment);
    out.extend_from_slice(&interface(LINKTYPE_RAW));
    out
}

/// A section header block (little-endian, length unknown); its options
/// name the application and hold the comment, when they are not empty.
pub fn section(application: &str, comment: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    if !comment.is_empty() || !application.is_empty() {
        if !comment.is_empty() {
            option(&mut shb, 1, comment.as_bytes());
        }
        if !application.is_empty() {
            option(&mut shb, 4, application.as_bytes());
        }
        end_of_options(&mut shb);
    }
    block(&mut out, 0x0a0d_0d0a, &shb);
    out
}

/// An interface description block for `linktype` (microseconds, no
/// snapshot limit).
pub fn interface(linktype: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut idb = Vec::new();
    idb.extend_from_slice(&linktype.to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&0u32.to_le_bytes());
    block(&mut out, 1, &idb);
    out
}

/// Appends an enhanced packet block on the first interface: `packet`
/// seen at `usecs` (microseconds since the Unix epoch) of which the last
/// `cut` bytes were not captured, with `comment` if any.
pub fn packet_block(
    out: &mut Vec<u8>,
    usecs: u64,
    packet: &[u8],
    cut: usize,
    comment: Option<&str>,
) {
    let captured = &packet[..packet.len().saturating_sub(cut)];
    parts_block(out, usecs, &[captured], packet.len(), comment);
}

/// Appends an enhanced packet block whose captured bytes are `parts`
/// one after the other (copied once, straight into `out`), of a packet
/// of `original` bytes.
fn parts_block(
    out: &mut Vec<u8>,
    usecs: u64,
    parts: &[&[u8]],
    original: usize,
    comment: Option<&str>,
) {
    let captured: usize = parts.iter().map(|p| p.len()).sum();
    let padded = captured.div_ceil(4) * 4;
    let mut options = Vec::new();
    if let Some(c) = comment {
        option(&mut options, 1, c.as_bytes());
        end_of_options(&mut options);
    }
    let total = u32::try_from(32 + padded + options.len()).unwrap_or(u32::MAX);
    out.reserve(total as usize);
    out.extend_from_slice(&6u32.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&((usecs >> 32) as u32).to_le_bytes());
    out.extend_from_slice(&(usecs as u32).to_le_bytes());
    out.extend_from_slice(&(captured as u32).to_le_bytes());
    out.extend_from_slice(&(original as u32).to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    out.resize(out.len() + padded - captured, 0);
    out.extend_from_slice(&options);
    out.extend_from_slice(&total.to_le_bytes());
}

/// TCP flags of a segment, and what it acknowledges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// SYN.
    pub syn: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
    /// ACK of this number.
    pub ack: Option<u32>,
}

/// One TCP segment from `src` to `dst` as an IP packet (v4 or v6 as the
/// addresses are; a v4 address beside a v6 one is written v4-mapped),
/// checksums computed. Built from etherparse's headers one by one rather
/// than its `PacketBuilder`, whose state (every IPv6 extension header's
/// buffer) takes tens of KiB of a thread's stack.
pub fn segment(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: Flags,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    let mut out = headers(src, dst, seq, flags, payload)?;
    out.extend_from_slice(payload);
    Ok(out)
}

/// The IP and TCP headers of [`segment`], checksums over `payload`
/// included, without the payload.
fn headers(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: Flags,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    let mut tcp = TcpHeader::new(src.port(), dst.port(), seq, u16::MAX);
    if let Some(a) = flags.ack {
        tcp.ack = true;
        tcp.acknowledgment_number = a;
    }
    tcp.syn = flags.syn;
    tcp.fin = flags.fin;
    tcp.rst = flags.rst;
    tcp.psh = flags.psh;
    if flags.syn {
        tcp.set_options(&[TcpOptionElement::WindowScale(WINDOW_SCALE)])
            .map_err(|e| e.to_string())?;
    }
    let too_big = |e: &dyn std::fmt::Display| format!("cannot build a segment: {e}");
    let tcp_len = tcp.header_len() + payload.len();
    let mut out = Vec::with_capacity(100);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let len = u16::try_from(tcp_len).map_err(|e| too_big(&e))?;
            let ip = Ipv4Header::new(len, 64, IpNumber::TCP, s.octets(), d.octets())
                .map_err(|e| too_big(&e))?;
            tcp.checksum = tcp
                .calc_checksum_ipv4(&ip, payload)
                .map_err(|e| too_big(&e))?;
            ip.write(&mut out).map_err(|e| too_big(&e))?;
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(a) => a.to_ipv6_mapped(),
                IpAddr::V6(a) => a,
            };
            let ip = Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: u16::try_from(tcp_len).map_err(|e| too_big(&e))?,
                next_header: IpNumber::TCP,
                hop_limit: 64,
                source: v6(s).octets(),
                destination: v6(d).octets(),
            };
            tcp.checksum = tcp
                .calc_checksum_ipv6(&ip, payload)
                .map_err(|e| too_big(&e))?;
            ip.write(&mut out).map_err(|e| too_big(&e))?;
        }
    }
    tcp.write(&mut out).map_err(|e| too_big(&e))?;
    Ok(out)
}

/// Where a side's numbers are kept.
fn index(side: Role) -> usize {
    match side {
        Role::Client => 0,
        Role::Server => 1,
    }
}

/// One TCP connection written as segments: where each side's sequence
/// numbers stand and which side has ended.
#[derive(Debug)]
pub struct Stream {
    client: SocketAddr,
    server: SocketAddr,
    /// The next sequence number of the client, then the server.
    next: [u32; 2],
    /// Whether each side sent its FIN (or a reset ended both).
    ended: [bool; 2],
}

impl Stream {
    /// A connection from `client` to `server` whose initial sequence
    /// numbers are `isn` (client's, server's).
    pub fn new(client: SocketAddr, server: SocketAddr, isn: [u32; 2]) -> Self {
        Self {
            client,
            server,
            next: isn,
            ended: [false; 2],
        }
    }

    /// The headers of a segment from side `from`.
    fn headers(
        &self,
        from: Role,
        seq: u32,
        flags: Flags,
        payload: &[u8],
    ) -> Result<Vec<u8>, String> {
        match from {
            Role::Client => headers(self.client, self.server, seq, flags, payload),
            Role::Server => headers(self.server, self.client, seq, flags, payload),
        }
    }

    fn write(
        &self,
        out: &mut Vec<u8>,
        usecs: u64,
        from: Role,
        seq: u32,
        flags: Flags,
        payload: &[u8],
    ) -> Result<(), String> {
        let head = self.headers(from, seq, flags, payload)?;
        let len = head.len() + payload.len();
        parts_block(out, usecs, &[&head, payload], len, None);
        Ok(())
    }

    fn ack(&self, from: Role) -> Flags {
        Flags {
            ack: Some(self.next[index(from.other())]),
            ..Flags::default()
        }
    }

    /// The three-way handshake at `usecs`; `comment` on its first packet.
    pub fn open(
        &mut self,
        out: &mut Vec<u8>,
        usecs: u64,
        comment: Option<&str>,
    ) -> Result<(), String> {
        let [c, s] = self.next;
        let syn = Flags {
            syn: true,
            ..Flags::default()
        };
        let first = self.headers(Role::Client, c, syn, b"")?;
        parts_block(out, usecs, &[&first], first.len(), comment);
        let syn_ack = Flags {
            ack: Some(c.wrapping_add(1)),
            ..syn
        };
        self.write(out, usecs, Role::Server, s, syn_ack, b"")?;
        self.next = [c.wrapping_add(1), s.wrapping_add(1)];
        self.write(
            out,
            usecs,
            Role::Client,
            self.next[0],
            self.ack(Role::Client),
            b"",
        )
    }

    /// `data` from side `from` at `usecs`, in segments of at most
    /// [`MAX_SEGMENT`] bytes, the last one pushed.
    pub fn data(
        &mut self,
        out: &mut Vec<u8>,
        usecs: u64,
        from: Role,
        data: &[u8],
    ) -> Result<(), String> {
        let i = index(from);
        let mut pieces = data.chunks(MAX_SEGMENT).peekable();
        while let Some(piece) = pieces.next() {
            let flags = Flags {
                psh: pieces.peek().is_none(),
                ..self.ack(from)
            };
            self.write(out, usecs, from, self.next[i], flags, piece)?;
            self.next[i] = self.next[i].wrapping_add(piece.len() as u32);
        }
        Ok(())
    }

    /// Side `from` ends its sending (FIN) at `usecs`; once both have, the
    /// first to end acknowledges the other's FIN. Nothing when it had.
    pub fn fin(&mut self, out: &mut Vec<u8>, usecs: u64, from: Role) -> Result<(), String> {
        let i = index(from);
        if self.ended[i] {
            return Ok(());
        }
        let flags = Flags {
            fin: true,
            ..self.ack(from)
        };
        self.write(out, usecs, from, self.next[i], flags, b"")?;
        self.next[i] = self.next[i].wrapping_add(1);
        self.ended[i] = true;
        if self.ended == [true; 2] {
            let other = from.other();
            let seq = self.next[index(other)];
            self.write(out, usecs, other, seq, self.ack(other), b"")?;
        }
        Ok(())
    }

    /// Side `from` resets the connection at `usecs` (nothing when both
    /// sides had ended).
    pub fn reset(&mut self, out: &mut Vec<u8>, usecs: u64, from: Role) -> Result<(), String> {
        if self.ended == [true; 2] {
            return Ok(());
        }
        let flags = Flags {
            rst: true,
            ..self.ack(from)
        };
        self.write(out, usecs, from, self.next[index(from)], flags, b"")?;
        self.ended = [true; 2];
        Ok(())
    }

    /// Whether both sides have ended.
    pub fn is_over(&self) -> bool {
        self.ended == [true; 2]
    }
}
