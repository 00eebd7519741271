//! Packets out of a pcap or pcapng file, streamed: one block in memory at a
//! time (pcap-parser's circular buffer), whatever the file's size.

use std::io::{self, Read};
use std::time::{Duration, SystemTime};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

use super::CaptureError;

/// The file formats, told by their first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// libpcap's format (`tcpdump -w`), any byte order, micro- or
    /// nanosecond timestamps.
    Pcap,
    /// pcapng (Wireshark's and dumpcap's default).
    PcapNg,
}

impl Format {
    /// The format whose magic number `start` begins with, if any.
    pub fn sniff(start: &[u8]) -> Option<Format> {
        match start.get(..4)? {
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d] => Some(Format::Pcap),
            [0x0a, 0x0d, 0x0d, 0x0a] => Some(Format::PcapNg),
            _ => None,
        }
    }

    /// "pcap" or "pcapng".
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

/// One captured packet, borrowed from the reader until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based number among the file's packets (as Wireshark counts them).
    pub number: u64,
    /// Offset of its record in the file.
    pub offset: u64,
    /// When it was captured, when the file says.
    pub time: Option<SystemTime>,
    /// Its link layer.
    pub linktype: Linktype,
    /// The bytes captured.
    pub data: &'a [u8],
    /// How long the packet was on the wire (more than `data` when the
    /// capture cut it at its snapshot length).
    pub origlen: u32,
}

/// What pcapng says about one interface.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: Linktype,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

/// The largest block read: the buffer grows to this for a big packet and
/// a block claiming more is an error rather than an allocation.
const MAX_BLOCK: usize = 16 << 20;

/// The most bytes read before pcap-parser starts (its first read must
/// hold the file header; a pcapng section header is seldom over 1 KiB).
const FIRST_READ: usize = 64 << 10;

/// The buffer's starting size: a packet of the usual snapshot length
/// (262,144 bytes) fits; a bigger block grows it once.
const START_BUFFER: usize = 272 << 10;

/// Reads packets from a capture file. See the module documentation.
pub struct Packets<'r> {
    format: Format,
    reader: Box<dyn PcapReaderIterator + 'r>,
    /// Bytes of the last block returned, consumed at the next call.
    used: usize,
    /// Offset of the next block in the file.
    offset: u64,
    packets: u64,
    /// Legacy pcap: the link type and whether timestamps count nanoseconds.
    legacy: Option<(Linktype, bool)>,
    /// The byte order of the file (legacy) or current section (pcapng).
    big_endian: bool,
    interfaces: Vec<Interface>,
    capacity: usize,
}

impl<'r> Packets<'r> {
    /// Starts reading `input`, whose first bytes `start` (at least 4) have
    /// been read already and say it is `format`.
    pub fn new(
        format: Format,
        mut start: Vec<u8>,
        mut input: impl Read + 'r,
    ) -> Result<Self, CaptureError> {
        // pcap-parser reads the file header with one read: have it whole
        // in the first bytes, however the input (a pipe) delivers them,
        // and no more, so that a live capture is not held back.
        let mut want = match format {
            Format::Pcap => 24,
            Format::PcapNg => 12,
        };
        let mut n = start.len();
        // Whether the section header's own length has been read (pcapng).
        let mut sized = format != Format::PcapNg;
        loop {
            if n >= want {
                if !sized {
                    sized = true;
                    // The section header's length, in the order its
                    // byte-order magic says.
                    let len = [start[4], start[5], start[6], start[7]];
                    let len = match start[8..12] {
                        [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(len),
                        _ => u32::from_le_bytes(len),
                    };
                    if len < 28 || len % 4 != 0 {
                        return Err(CaptureError::Malformed {
                            packet: 0,
                            in_packet: false,
                            offset: 0,
                            what: format!(
                                "a pcapng section header block of {len} bytes: it takes at least 28, a multiple of 4"
                            ),
                        });
                    }
                    want = (len as usize).min(FIRST_READ);
                    continue;
                }
                break;
            }
            start.resize(want, 0);
            match input.read(&mut start[n..want]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CaptureError::Read(format!("cannot read the capture: {e}"))),
            }
        }
        start.truncate(n);
        let input = io::Cursor::new(start).chain(input);
        let reader: Box<dyn PcapReaderIterator + 'r> = match format {
            Format::Pcap => Box::new(
                LegacyPcapReader::new(START_BUFFER, input).map_err(|e| header_error(format, &e))?,
            ),
            Format::PcapNg => Box::new(
                PcapNGReader::new(START_BUFFER, input).map_err(|e| header_error(format, &e))?,
            ),
        };
        Ok(Self {
            format,
            reader,
            used: 0,
            offset: 0,
            packets: 0,
            legacy: None,
            big_endian: false,
            interfaces: Vec::new(),
            capacity: START_BUFFER,
        })
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Packets returned so far.
    pub fn count(&self) -> u64 {
        self.packets
    }

    /// The next packet, None at the end of the file.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            if self.used > 0 {
                self.reader.consume(self.used);
                self.offset += self.used as u64;
                self.used = 0;
            }
            // The block borrows the reader; what is kept of it is where
            // its bytes lie in the reader's buffer, taken again below.
            let base = self.reader.data().as_ptr() as usize;
            let number = self.packets + 1;
            let step = match self.reader.next() {
                Ok((len, block)) => {
                    self.used = len;
                    Ok(read_block(
                        block,
                        base,
                        &mut self.legacy,
                        &mut self.big_endian,
                        &mut self.interfaces,
                    ))
                }
                Err(e) => Err(e.to_owned_vec()),
            };
            let meta = match step {
                Ok(Step::Skip) => continue,
                Ok(Step::Packet(meta)) => meta,
                Ok(Step::Bad(what)) => {
                    return Err(CaptureError::Malformed {
                        packet: number,
                        in_packet: true,
                        offset: self.offset,
                        what,
                    })
                }
                Err(PcapError::Eof) => return Ok(None),
                Err(PcapError::Incomplete(_)) => {
                    self.refill()?;
                    continue;
                }
                Err(PcapError::BufferTooSmall) => {
                    // Grown once to what the record claims, if that is
                    // believable: a damaged length costs no allocation.
                    let needed = self.claimed_len().unwrap_or(u64::MAX);
                    if needed > MAX_BLOCK as u64 || self.capacity >= MAX_BLOCK {
                        return Err(self.too_big());
                    }
                    self.capacity = (needed as usize + 4096)
                        .max(self.capacity * 2)
                        .min(MAX_BLOCK);
                    self.reader.grow(self.capacity);
                    self.refill()?;
                    continue;
                }
                Err(PcapError::UnexpectedEof) => return Err(self.cut_short()),
                Err(PcapError::ReadError) => {
                    return Err(CaptureError::Read(format!(
                        "cannot read the capture at byte {}",
                        self.offset
                    )))
                }
                Err(PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind)) => {
                    return Err(self.malformed(&format!("{kind:?}")))
                }
                Err(e) => return Err(self.malformed(&e.to_string())),
            };
            self.packets = number;
            let data = self
                .reader
                .data()
                .get(meta.start..meta.start + meta.len)
                .unwrap_or_default();
            return Ok(Some(Packet {
                number,
                offset: self.offset,
                time: meta.time,
                linktype: meta.linktype,
                data,
                origlen: meta.origlen,
            }));
        }
    }

    fn refill(&mut self) -> Result<(), CaptureError> {
        self.reader.refill().map_err(|_| {
            CaptureError::Read(format!("cannot read the capture at byte {}", self.offset))
        })
    }

    /// What the block at the current offset says it is, for errors:
    /// "a packet record of 1514 bytes".
    fn claimed(&self) -> (String, usize) {
        let data = self.reader.data();
        let present = data.len();
        let what = match self.format {
            Format::Pcap if data.len() >= 16 => {
                let caplen = self.u32_at(data, 8);
                format!("a packet record of 16 + {caplen} bytes")
            }
            Format::Pcap => "a 16-byte packet record header".to_string(),
            Format::PcapNg if data.len() >= 8 => {
                let (kind, len) = (self.u32_at(data, 0), self.u32_at(data, 4));
                format!("a block of type {kind:#x} and {len} bytes")
            }
            Format::PcapNg => "an 8-byte block header".to_string(),
        };
        (what, present)
    }

    /// The length the record or block at the current offset claims, with
    /// its header, when enough of it is there to say.
    fn claimed_len(&self) -> Option<u64> {
        let data = self.reader.data();
        match self.format {
            Format::Pcap if data.len() >= 16 => Some(16 + u64::from(self.u32_at(data, 8))),
            Format::PcapNg if data.len() >= 8 => Some(u64::from(self.u32_at(data, 4))),
            _ => None,
        }
    }

    /// Whether the record or block at the current offset is a packet.
    fn in_packet(&self) -> bool {
        match self.format {
            Format::Pcap => true,
            Format::PcapNg => {
                let data = self.reader.data();
                // Enhanced, simple and obsolete packet blocks.
                data.len() < 4 || matches!(self.u32_at(data, 0), 2 | 3 | 6)
            }
        }
    }

    fn u32_at(&self, data: &[u8], at: usize) -> u32 {
        let field = [data[at], data[at + 1], data[at + 2], data[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(field)
        } else {
            u32::from_le_bytes(field)
        }
    }

    fn cut_short(&self) -> CaptureError {
        let (what, present) = self.claimed();
        CaptureError::Malformed {
            packet: self.packets + 1,
            in_packet: self.in_packet(),
            offset: self.offset,
            what: format!(
                "the file ends inside {what}: {present} byte{} present (the capture is truncated)",
                if present == 1 { "" } else { "s" }
            ),
        }
    }

    fn too_big(&self) -> CaptureError {
        let (what, _) = self.claimed();
        CaptureError::Malformed {
            packet: self.packets + 1,
            in_packet: self.in_packet(),
            offset: self.offset,
            what: format!(
                "{what} claims more than the {} MiB a packet may take here (a damaged length field?)",
                MAX_BLOCK >> 20
            ),
        }
    }

    fn malformed(&self, detail: &str) -> CaptureError {
        let (what, _) = self.claimed();
        CaptureError::Malformed {
            packet: self.packets + 1,
            in_packet: self.in_packet(),
            offset: self.offset,
            what: format!("{what} cannot be read as {}: {detail}", self.format.name()),
        }
    }
}

/// An error reading the file header.
fn header_error(format: Format, e: &PcapError<&[u8]>) -> CaptureError {
    let what = match e {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
            "the file ends inside its header".to_string()
        }
        other => format!("its header cannot be read: {other}"),
    };
    CaptureError::Malformed {
        packet: 0,
        in_packet: false,
        offset: 0,
        what: format!("a {} file, but {what}", format.name()),
    }
}

/// A packet found in a block: where its bytes lie in the reader's buffer.
struct PacketMeta {
    start: usize,
    len: usize,
    time: Option<SystemTime>,
    linktype: Linktype,
    origlen: u32,
}

/// What a block was.
enum Step {
    /// Not a packet (a header, an interface, statistics).
    Skip,
    /// A packet.
    Packet(PacketMeta),
    /// A block that contradicts the ones before it.
    Bad(String),
}

/// Reads one block, keeping what later blocks need (link types, timestamp
/// units, byte order).
fn read_block(
    block: PcapBlockOwned<'_>,
    base: usize,
    legacy: &mut Option<(Linktype, bool)>,
    big_endian: &mut bool,
    interfaces: &mut Vec<Interface>,
) -> Step {
    let at = |data: &[u8]| (data.as_ptr() as usize).wrapping_sub(base);
    match block {
        PcapBlockOwned::LegacyHeader(h) => {
            *legacy = Some((h.network, h.is_nanosecond_precision()));
            *big_endian = h.is_bigendian();
            Step::Skip
        }
        PcapBlockOwned::Legacy(b) => {
            let Some((linktype, nanos)) = *legacy else {
                return Step::Skip;
            };
            let frac = if nanos {
                Duration::from_nanos(u64::from(b.ts_usec))
            } else {
                Duration::from_micros(u64::from(b.ts_usec))
            };
            let time =
                SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(u64::from(b.ts_sec)) + frac);
            let data = &b.data[..b.data.len().min(b.caplen as usize)];
            Step::Packet(PacketMeta {
                start: at(data),
                len: data.len(),
                time,
                linktype,
                origlen: b.origlen,
            })
        }
        PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
            // Interface numbers start again in each section.
            interfaces.clear();
            *big_endian = shb.big_endian();
            Step::Skip
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            interfaces.push(Interface {
                linktype: idb.linktype,
                resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                offset: idb.ts_offset(),
            });
            Step::Skip
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let Some(&iface) = interfaces.get(epb.if_id as usize) else {
                return Step::Bad(format!(
                    "an enhanced packet block names interface {}, but {} interface{} described before it",
                    epb.if_id,
                    interfaces.len(),
                    if interfaces.len() == 1 { " was" } else { "s were" }
                ));
            };
            let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
            let secs = (ts / iface.resolution).checked_add_signed(iface.offset);
            let frac =
                u128::from(ts % iface.resolution) * 1_000_000_000 / u128::from(iface.resolution);
            // A timestamp past what the clock holds is no time, not a panic.
            let time = secs
                .and_then(|s| Duration::from_secs(s).checked_add(Duration::from_nanos(frac as u64)))
                .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d));
            let data = epb.packet_data();
            Step::Packet(PacketMeta {
                start: at(data),
                len: data.len(),
                time,
                linktype: iface.linktype,
                origlen: epb.origlen,
            })
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            let Some(&iface) = interfaces.first() else {
                return Step::Bad(
                    "a simple packet block before any interface description".to_string(),
                );
            };
            let data = spb.packet_data();
            Step::Packet(PacketMeta {
                start: at(data),
                len: data.len(),
                time: None,
                linktype: iface.linktype,
                origlen: spb.origlen,
            })
        }
        PcapBlockOwned::NG(_) => Step::Skip,
    }
}

/// A pcap file (little-endian, no timestamps: all zero) holding `packets`
/// captured on a `linktype` link: how packets pasted as a dump are read as
/// a capture.
pub fn pcap_of(linktype: Linktype, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::with_capacity(24 + packets.iter().map(|p| 16 + p.len()).sum::<usize>());
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&(linktype.0 as u32).to_le_bytes());
    for p in packets {
        let len = u32::try_from(p.len()).unwrap_or(u32::MAX);
        f.extend_from_slice(&0u64.to_le_bytes());
        f.extend_from_slice(&len.to_le_bytes());
        f.extend_from_slice(&len.to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

/// Raw-IP packets that carry a conversation between `nodes` over TCP: a
/// handshake, each chunk (node 0 or 1, its bytes) in segments of at most
/// 60,000 bytes, then a close: how both sides pasted as text (Follow TCP
/// Stream) are read as a capture of them. The nodes must be of one address
/// family.
pub fn replay(nodes: [std::net::SocketAddr; 2], chunks: &[(usize, Vec<u8>)]) -> Vec<Vec<u8>> {
    use etherparse::PacketBuilder;
    let mut seq = [1_000u32, 2_000_000];
    let mut packets = Vec::new();
    let mut send = |from: usize, flags: (bool, bool), payload: &[u8], seq: &mut [u32; 2]| {
        let (src, dst) = (nodes[from], nodes[1 - from]);
        let base = match (src.ip(), dst.ip()) {
            (std::net::IpAddr::V4(s), std::net::IpAddr::V4(d)) => {
                PacketBuilder::ipv4(s.octets(), d.octets(), 64)
            }
            (std::net::IpAddr::V6(s), std::net::IpAddr::V6(d)) => {
                PacketBuilder::ipv6(s.octets(), d.octets(), 64)
            }
            _ => return,
        };
        let mut tcp = base
            .tcp(src.port(), dst.port(), seq[from], 65535)
            .ack(seq[1 - from]);
        if flags.0 {
            tcp = tcp.syn();
        }
        if flags.1 {
            tcp = tcp.fin();
        }
        let mut out = Vec::new();
        if tcp.write_to_vec(&mut out, payload).is_ok() {
            packets.push(out);
        }
        seq[from] = seq[from]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags.0) + u32::from(flags.1));
    };
    send(0, (true, false), &[], &mut seq);
    send(1, (true, false), &[], &mut seq);
    for (node, bytes) in chunks {
        for piece in bytes.chunks(60_000) {
            send(*node & 1, (false, false), piece, &mut seq);
        }
    }
    send(0, (false, true), &[], &mut seq);
    send(1, (false, true), &[], &mut seq);
    packets
}
