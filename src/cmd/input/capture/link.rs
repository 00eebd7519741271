//! From a captured packet to its TCP segment: the link layer (Ethernet,
//! Linux cooked v1 and v2, BSD loopback, raw IP) through pcap-parser, IPv4
//! and IPv6 and TCP through etherparse.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, TcpSlice};
use pcap_parser::data::{get_packetdata, PacketData};
use pcap_parser::Linktype;

/// The TCP header fields reassembly needs, and the payload.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (of the SYN, when set).
    pub seq: u32,
    /// The acknowledgment number, when ACK is set.
    pub ack: Option<u32>,
    /// SYN.
    pub syn: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// The payload bytes captured.
    pub payload: &'a [u8],
    /// Payload bytes the capture cut off at its end (snapshot length).
    pub cut: u32,
}

/// Why a packet holds no TCP segment to reassemble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotTcp {
    /// A link type this reader does not know.
    LinkType(i32),
    /// Not IPv4 or IPv6 (ARP, another ethertype), or not TCP.
    Other,
    /// An IP fragment: TCP over fragmented IP is not reassembled.
    Fragment,
    /// The headers are cut short or broken.
    Broken,
}

/// The TCP segment in `data`, captured on a `linktype` link from a packet
/// `origlen` bytes long on the wire.
pub fn segment(linktype: Linktype, data: &[u8], origlen: u32) -> Result<Segment<'_>, NotTcp> {
    let packet = match linktype {
        // BSD loopback: a 4-byte address family in the capturing host's
        // byte order (NULL) or in network order (LOOP); pcap-parser reads
        // NULL only in little-endian, so both are read here, either way.
        Linktype::NULL | Linktype::LOOP => {
            let family = data.get(..4).ok_or(NotTcp::Broken)?;
            let le = u32::from_le_bytes([family[0], family[1], family[2], family[3]]);
            let be = u32::from_be_bytes([family[0], family[1], family[2], family[3]]);
            let ether = match (le, be) {
                (2, _) | (_, 2) => EtherType::IPV4,
                (24 | 28 | 30, _) | (_, 24 | 28 | 30) => EtherType::IPV6,
                _ => return Err(NotTcp::Other),
            };
            LaxSlicedPacket::from_ether_type(ether, &data[4..])
        }
        _ => match get_packetdata(data, linktype, data.len()) {
            Some(PacketData::L2(frame)) => {
                LaxSlicedPacket::from_ethernet(frame).map_err(|_| NotTcp::Broken)?
            }
            Some(PacketData::L3(ether, bytes)) => {
                LaxSlicedPacket::from_ether_type(EtherType(ether), bytes)
            }
            Some(PacketData::L4(..)) => return Err(NotTcp::Other),
            Some(PacketData::Unsupported(_)) => return Err(NotTcp::LinkType(linktype.0)),
            None => return Err(NotTcp::Broken),
        },
    };
    let (src, dst, payload) = match &packet.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            (
                IpAddr::from(h.source_addr()),
                IpAddr::from(h.destination_addr()),
                ip.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            (
                IpAddr::from(h.source_addr()),
                IpAddr::from(h.destination_addr()),
                ip.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Err(NotTcp::Other),
        None => {
            return Err(if packet.stop_err.is_some() {
                NotTcp::Broken
            } else {
                NotTcp::Other
            })
        }
    };
    if payload.ip_number != IpNumber::TCP {
        return Err(NotTcp::Other);
    }
    if payload.fragmented {
        return Err(NotTcp::Fragment);
    }
    let tcp = TcpSlice::from_slice(payload.payload).map_err(|_| NotTcp::Broken)?;
    // What the capture cut off is the packet's tail, so the payload's.
    let cut = if payload.incomplete {
        origlen.saturating_sub(data.len() as u32)
    } else {
        0
    };
    Ok(Segment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.ack().then(|| tcp.acknowledgment_number()),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
        cut,
    })
}

/// A link type's name, as a person says it.
pub fn name(link: Linktype) -> &'static str {
    match link {
        Linktype::ETHERNET => "Ethernet",
        Linktype::LINUX_SLL => "Linux cooked (v1)",
        Linktype::LINUX_SLL2 => "Linux cooked (v2)",
        Linktype::NULL | Linktype::LOOP => "loopback",
        Linktype::RAW => "raw IP",
        _ => "other",
    }
}

/// The link layer a whole packet pasted as a dump was captured on, when
/// its bytes are certainly one: an IPv4 header whose checksum holds or an
/// IPv6 header, carrying TCP, whose length accounts for every byte (an
/// Ethernet frame may add the padding of a short frame). `None` for bytes
/// that are anything else, WebSocket frames above all.
pub fn guess(data: &[u8]) -> Option<Linktype> {
    // Where the IP header starts under each link type that can carry it.
    let candidates = [
        (Linktype::ETHERNET, 14usize),
        (Linktype::LINUX_SLL, 16),
        (Linktype::LINUX_SLL2, 20),
        (Linktype::NULL, 4),
        (Linktype::RAW, 0),
    ];
    candidates.into_iter().find_map(|(link, at)| {
        let ip = data.get(at..)?;
        let padding = usize::from(link == Linktype::ETHERNET) * 64;
        let fits = |len: usize| len <= ip.len() && ip.len() - len <= padding;
        let whole = match ip.first()? >> 4 {
            4 => {
                let h = etherparse::Ipv4HeaderSlice::from_slice(ip).ok()?;
                let sum = h.to_header().calc_header_checksum();
                sum == h.header_checksum() && fits(usize::from(h.total_len()))
            }
            6 => {
                let h = etherparse::Ipv6HeaderSlice::from_slice(ip).ok()?;
                fits(40 + usize::from(h.payload_length()))
            }
            _ => false,
        };
        (whole && segment(link, data, data.len() as u32).is_ok()).then_some(link)
    })
}

#[cfg(test)]
mod guess_tests {
    use super::*;

    /// A packet of `tests/data/echo-deflate.pcapng` (tshark -x, frame 8):
    /// Ethernet, IPv4, TCP, then a masked compressed text frame.
    const ETHERNET: &str = "00000000000000000000000008004500 0041c99b4000400673197f0000017f00 \
        0001be9a494da9af02c26e18de4e8018 0040fe3500000101080a00df68970f8a efe3c1873e4448aaf40c8563f74348";

    fn bytes(hex: &str) -> Vec<u8> {
        hex::decode(hex.replace(' ', "")).unwrap()
    }

    #[test]
    fn a_whole_packet_is_told_by_its_headers() {
        let eth = bytes(ETHERNET);
        assert_eq!(guess(&eth), Some(Linktype::ETHERNET));
        // Without its Ethernet header (tcpdump -x): raw IP.
        assert_eq!(guess(&eth[14..]), Some(Linktype::RAW));
        // A broken checksum, a byte missing or one too many: not a packet.
        let mut bad = eth.clone();
        bad[24] ^= 1;
        assert_eq!(guess(&bad), None);
        assert_eq!(guess(&eth[14..eth.len() - 1]), None);
        let mut more = eth[14..].to_vec();
        more.push(0);
        assert_eq!(guess(&more), None);
    }

    #[test]
    fn websocket_frames_are_not_packets() {
        for frames in [
            "818337fa213d7a9f75",
            "8183 3d54 2306 7010 6d",
            "45 00 00 05 68 65 6c 6c 6f",
            "8a00 8900 8800 8201 ff",
        ] {
            assert_eq!(guess(&bytes(frames)), None, "{frames}");
        }
    }
}
