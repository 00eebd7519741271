//! Synthetic captures for tests: TCP segments built as a recording builds
//! wrapped in a link layer and written as pcap or pcapng.

use std::net::SocketAddr;

/// The link layers written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    Sll,
    Sll2,
    /// BSD loopback, family in little-endian.
    Null,
    /// OpenBSD loopback, family in big-endian.
    Loop,
    Raw,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Link::Ethernet => 1,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Null => 0,
            Link::Loop => 108,
            Link::Raw => 101,
        }
    }
}

use crate::protocol::pcapng;
pub(crate) use crate::protocol::pcapng::Flags;

/// One TCP segment as a packet on `link`.
pub fn packet(
    link: Link,
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: Flags,
    payload: &[u8],
) -> Vec<u8> {
    let v6 = src.is_ipv6();
    let ip = pcapng::segment(src, dst, seq, flags, payload).unwrap();
    if link == Link::Ethernet {
        let mut out = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
        out.extend_from_slice(&(if v6 { 0x86ddu16 } else { 0x0800 }).to_be_bytes());
        out.extend_from_slice(&ip);
        return out;
    }
    let ethertype: u16 = if v6 { 0x86dd } else { 0x0800 };
    let mut out = Vec::new();
    match link {
        Link::Sll => {
            out.extend_from_slice(&0u16.to_be_bytes()); // to us
            out.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
            out.extend_from_slice(&6u16.to_be_bytes());
            out.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0, 0]);
            out.extend_from_slice(&ethertype.to_be_bytes());
        }
        Link::Sll2 => {
            out.extend_from_slice(&ethertype.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&1u32.to_be_bytes()); // interface index
            out.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
            out.push(0);
            out.push(6);
            out.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0, 0]);
        }
        Link::Null => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
        Link::Loop => out.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
        Link::Raw | Link::Ethernet => {}
    }
    out.extend_from_slice(&ip);
    out
}

/// A pcap file being written (little-endian, microseconds).
pub fn pcap(link: Link) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&link.linktype().to_le_bytes());
    f
}

/// Appends a pcap record; `cut` bytes of the packet's end not captured.
pub fn pcap_record(f: &mut Vec<u8>, usecs: u64, data: &[u8], cut: usize) {
    let captured = &data[..data.len() - cut];
    f.extend_from_slice(&((usecs / 1_000_000) as u32).to_le_bytes());
    f.extend_from_slice(&((usecs % 1_000_000) as u32).to_le_bytes());
    f.extend_from_slice(&(captured.len() as u32).to_le_bytes());
    f.extend_from_slice(&(data.len() as u32).to_le_bytes());
    f.extend_from_slice(captured);
}

/// A pcapng file being written: a section and one interface.
pub fn pcapng(link: Link) -> Vec<u8> {
    let mut f = pcapng::section("", "");
    f.extend_from_slice(&pcapng::interface(link.linktype() as u16));
    f
}

/// Appends an enhanced packet block (microsecond timestamps).
pub fn pcapng_record(f: &mut Vec<u8>, usecs: u64, data: &[u8], cut: usize) {
    pcapng::packet_block(f, usecs, data, cut, None);
}

/// A TCP connection's two sides, with their sequence numbers, writing
/// segments into a capture.
pub struct Tcp {
    pub link: Link,
    pub ng: bool,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Next sequence number of the client, then the server.
    pub seq: [u32; 2],
    pub file: Vec<u8>,
    pub usecs: u64,
}

impl Tcp {
    pub fn new(link: Link, ng: bool, client: SocketAddr, server: SocketAddr) -> Self {
        Self {
            link,
            ng,
            client,
            server,
            seq: [1000, 50_000],
            file: if ng { pcapng(link) } else { pcap(link) },
            usecs: 1_790_000_000_000_000,
        }
    }

    /// Writes a raw segment from side `from` (0 client, 1 server) at `seq`.
    pub fn raw(&mut self, from: usize, seq: u32, flags: Flags, payload: &[u8], cut: usize) {
        let (src, dst) = if from == 0 {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let p = packet(self.link, src, dst, seq, flags, payload);
        self.usecs += 1000;
        if self.ng {
            pcapng_record(&mut self.file, self.usecs, &p, cut);
        } else {
            pcap_record(&mut self.file, self.usecs, &p, cut);
        }
    }

    /// The three-way handshake.
    pub fn open(&mut self) {
        let [c, s] = self.seq;
        self.raw(
            0,
            c,
            Flags {
                syn: true,
                ..Flags::default()
            },
            b"",
            0,
        );
        self.raw(
            1,
            s,
            Flags {
                syn: true,
                ack: Some(c + 1),
                ..Flags::default()
            },
            b"",
            0,
        );
        self.seq = [c + 1, s + 1];
        self.raw(0, c + 1, self.ack(0), b"", 0);
    }

    fn ack(&self, from: usize) -> Flags {
        Flags {
            ack: Some(self.seq[1 - from]),
            ..Flags::default()
        }
    }

    /// Sends `payload` from side `from`, in order, acknowledging the other.
    pub fn send(&mut self, from: usize, payload: &[u8]) -> u32 {
        let seq = self.seq[from];
        self.raw(from, seq, self.ack(from), payload, 0);
        self.seq[from] = seq.wrapping_add(payload.len() as u32);
        seq
    }

    /// Advances side `from` as if it sent `len` bytes the capture missed.
    pub fn skip(&mut self, from: usize, len: u32) -> u32 {
        let seq = self.seq[from];
        self.seq[from] = seq.wrapping_add(len);
        seq
    }

    /// The other side acknowledges everything `from` sent.
    pub fn ack_all(&mut self, from: usize) {
        let other = 1 - from;
        let seq = self.seq[other];
        self.raw(other, seq, self.ack(other), b"", 0);
    }

    /// Both sides close.
    pub fn close(&mut self) {
        for from in [0, 1] {
            let seq = self.seq[from];
            let mut f = self.ack(from);
            f.fin = true;
            self.raw(from, seq, f, b"", 0);
            self.seq[from] = seq + 1;
        }
        self.ack_all(1);
    }
}

/// The RFC 6455 handshake of a client asking for `/chat`, with
/// `extensions` offered and answered when given.
pub fn handshake(offer: Option<&str>, answer: Option<&str>) -> (Vec<u8>, Vec<u8>) {
    let mut req = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n".to_string();
    if let Some(o) = offer {
        req.push_str(&format!("Sec-WebSocket-Extensions: {o}\r\n"));
    }
    req.push_str("\r\n");
    let mut resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n".to_string();
    if let Some(a) = answer {
        resp.push_str(&format!("Sec-WebSocket-Extensions: {a}\r\n"));
    }
    resp.push_str("\r\n");
    (req.into_bytes(), resp.into_bytes())
}

/// A masked client frame (key 1 2 3 4) with `opcode` and `payload`.
pub fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let key = [1u8, 2, 3, 4];
    let mut f = vec![first, 0x80 | payload.len() as u8];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// An unmasked server frame.
pub fn server_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![first];
    if payload.len() < 126 {
        f.push(payload.len() as u8);
    } else {
        f.push(126);
        f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    f.extend_from_slice(payload);
    f
}

/// One pcap (Ethernet) of two connections from 10.0.0.1, ports 50001 and
/// 50002, to 10.0.0.2:80, one after the other: each a handshake, then one
/// masked text frame from the client whose payload `text` gives for the
/// connection's number (1 or 2).
pub fn two_connections(text: impl Fn(u64) -> String) -> Vec<u8> {
    let (req, resp) = handshake(None, None);
    let mut file = pcap(Link::Ethernet);
    for (i, port) in [(1u64, 50001u16), (2, 50002)] {
        let client: SocketAddr = format!("10.0.0.1:{port}").parse().unwrap();
        let mut t = Tcp::new(
            Link::Ethernet,
            false,
            client,
            "10.0.0.2:80".parse().unwrap(),
        );
        t.open();
        t.send(0, &req);
        t.send(1, &resp);
        t.send(0, &client_frame(0x81, text(i).as_bytes()));
        // Only the records: one file with both connections.
        file.extend_from_slice(&t.file[24..]);
    }
    file
}
