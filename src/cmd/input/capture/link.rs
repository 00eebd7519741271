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
