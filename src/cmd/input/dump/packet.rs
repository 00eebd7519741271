//! Packet-level dumps: whole packets, link and IP and TCP headers
//! included, as two tools print them.
//!
//! - `tshark -x`: a `Frame (N bytes):` heading, then `0000  81 83 ...`
//!   lines with an ASCII column, per packet; blocks tshark derived from the
//!   packet (`Unmasked data (3 bytes):`, `Decompressed payload ...`,
//!   `Reassembled TCP ...`) follow under their own headings and are not
//!   bytes that were sent: they are left out, and counted.
//! - `tcpdump -x`, `-xx`, `-X`: a summary line, then `\t0x0000:  4500 003d
//!   ...` lines of up to eight groups of four hex digits (with `-X`, an
//!   ASCII column after them), per packet.
//!
//! Each packet's bytes are checked against what its lines say (tshark's
//! byte count, offsets that follow on), and errors say where, as the other
//! readers' do.

use super::{quote, DumpError, Line};

/// The packets of a packet-level dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packets {
    /// Each packet's bytes, in the order printed.
    pub packets: Vec<Vec<u8>>,
    /// Which tool printed them: `tshark -x`, or tcpdump with `-x`, `-xx`
    /// or `-X`.
    pub tool: &'static str,
    /// Blocks tshark derived from the packets, left out.
    pub derived: usize,
}

/// The packets in `text`, when it is a packet-level dump; `None` when it
/// is not one (another spelling), an error when it is one that cannot be
/// read.
pub fn read(text: &str) -> Option<Result<Packets, DumpError>> {
    let lines: Vec<Line> = super::lines(text).collect();
    let restarts = || {
        lines
            .iter()
            .filter(|l| wireshark_offset(l).is_some_and(|(o, _, _)| o == 0))
            .count()
            > 1
    };
    if lines.iter().any(|l| heading(l).is_some()) || restarts() {
        return Some(tshark(&lines));
    }
    if lines.iter().any(|l| tcpdump_offset(l).is_some()) {
        return Some(tcpdump(&lines));
    }
    None
}

/// Refuses a line whose offset (`what`, at byte `at` of the line) is not
/// where the `have` bytes read so far end.
fn follows(
    line: &Line,
    at: usize,
    offset: usize,
    have: usize,
    what: String,
) -> Result<(), DumpError> {
    if offset == have {
        return Ok(());
    }
    Err(line.error(
        at,
        format!("{what} does not follow on from the {have} bytes before it"),
    ))
}

/// A tshark heading, `Name (N bytes):`: the name and N.
fn heading<'a>(line: &Line<'a>) -> Option<(&'a str, usize)> {
    let text = line.text.trim();
    let (name, size) = text.strip_suffix(" bytes):")?.rsplit_once(" (")?;
    let size = size.parse().ok()?;
    let plausible = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    plausible.then_some((name, size))
}

fn hex_byte(s: &str) -> Option<u8> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u8::from_str_radix(s, 16).ok())
        .flatten()
}

/// A line of tshark's (or Wireshark's) hex dump: its offset, and where
/// its bytes start.
fn wireshark_offset<'a>(line: &Line<'a>) -> Option<(usize, &'a str, usize)> {
    let text = line.text.trim_start();
    let at = line.text.len() - text.len();
    let (offset, rest) = text.split_once("  ")?;
    (offset.len() >= 4 && offset.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
        (
            usize::from_str_radix(offset, 16).unwrap_or(usize::MAX),
            rest,
            at,
        )
    })
}

fn tshark(lines: &[Line]) -> Result<Packets, DumpError> {
    // A packet's bytes, the size its heading announced, and that heading.
    type Open<'l> = (Vec<u8>, Option<usize>, Option<&'l Line<'l>>);
    let mut packets = Vec::new();
    let mut derived = 0;
    let mut current: Option<Open> = None;
    let mut in_derived = false;
    let finish = |cur: Option<Open>, packets: &mut Vec<Vec<u8>>| {
        if let Some((bytes, size, at)) = cur {
            if let (Some(size), Some(at)) = (size, at) {
                if bytes.len() != size {
                    return Err(at.error(
                        0,
                        format!(
                            "'{}' announces {size} bytes, but its lines hold {}: paste the whole block",
                            quote(at.text.trim()),
                            bytes.len()
                        ),
                    ));
                }
            }
            if !bytes.is_empty() {
                packets.push(bytes);
            }
        }
        Ok(())
    };
    for line in lines {
        if line.text.trim().is_empty() {
            // Packets are a blank line apart.
            finish(current.take(), &mut packets)?;
            in_derived = false;
            continue;
        }
        if let Some((name, size)) = heading(line) {
            if name == "Frame" {
                finish(current.take(), &mut packets)?;
                current = Some((Vec::with_capacity(size), Some(size), Some(line)));
                in_derived = false;
            } else {
                // Bytes tshark derived from the packet: not sent as such.
                derived += 1;
                in_derived = true;
            }
            continue;
        }
        if in_derived {
            continue;
        }
        let Some((offset, rest, at)) = wireshark_offset(line) else {
            return Err(line.error(
                0,
                format!(
                    "expected a line of tshark -x (an offset, two spaces, then bytes), found '{}'",
                    quote(line.text.trim())
                ),
            ));
        };
        if offset == 0
            && current
                .as_ref()
                .is_some_and(|c| c.2.is_none() && !c.0.is_empty())
        {
            // An offset back at 0 without a heading: the next packet.
            finish(current.take(), &mut packets)?;
        }
        let (bytes, size, head) = current.get_or_insert_with(|| (Vec::new(), None, None));
        if let (Some(head), true) = (head, bytes.is_empty() && offset != 0) {
            return Err(head.error(
                0,
                format!(
                    "'{}' heads a whole packet, but its lines start at offset {offset:04x}: \
                     paste the whole block, or only the lines from where the WebSocket bytes \
                     start, without the heading (they are read by their offsets)",
                    quote(head.text.trim())
                ),
            ));
        }
        follows(
            line,
            at,
            offset,
            bytes.len(),
            format!("offset {offset:04x}"),
        )?;
        // The bytes end at the first double space: the ASCII column, which
        // may look like hex, is never read as bytes.
        let hex = rest.trim_start().split("  ").next().unwrap_or("");
        let before = bytes.len();
        for token in hex.split(' ').filter(|t| !t.is_empty()) {
            match hex_byte(token) {
                Some(b) if bytes.len() - before < 16 => bytes.push(b),
                _ => {
                    return Err(line.error(
                        at,
                        format!(
                            "expected up to 16 bytes as two hex digits each after the offset, found '{}'",
                            quote(token)
                        ),
                    ))
                }
            }
        }
        if size.is_some_and(|s| bytes.len() > s) {
            return Err(line.error(at, "more bytes than the heading announces".to_string()));
        }
    }
    finish(current.take(), &mut packets)?;
    Ok(Packets {
        packets,
        tool: "tshark -x",
        derived,
    })
}

/// A tcpdump line's offset (`0x0010:`) and the rest of the line.
fn tcpdump_offset<'a>(line: &Line<'a>) -> Option<(usize, &'a str)> {
    let text = line.text.trim_start();
    let rest = text.strip_prefix("0x")?;
    let (offset, rest) = rest.split_once(':')?;
    (offset.len() == 4 && offset.bytes().all(|b| b.is_ascii_hexdigit()) && rest.starts_with("  "))
        .then(|| (usize::from_str_radix(offset, 16).unwrap_or(0), rest))
}

fn tcpdump(lines: &[Line]) -> Result<Packets, DumpError> {
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in lines {
        if line.text.trim().is_empty() {
            continue;
        }
        let Some((offset, rest)) = tcpdump_offset(line) else {
            // A packet's summary line starts the next packet.
            packets.extend(current.take());
            continue;
        };
        if offset == 0 {
            packets.extend(current.take());
        }
        let bytes = current.get_or_insert_with(Vec::new);
        let column = line.text.find("0x").unwrap_or(0);
        follows(
            line,
            column,
            offset,
            bytes.len(),
            format!("offset 0x{offset:04x}"),
        )?;
        // Groups of four hex digits (two for a last odd byte), one space
        // apart; -X's ASCII column comes after two spaces or more.
        let hex = rest.trim_start().split("  ").next().unwrap_or("");
        for (n, group) in hex.split(' ').filter(|g| !g.is_empty()).enumerate() {
            let ok = matches!(group.len(), 2 | 4) && group.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok || n >= 8 {
                return Err(line.error(
                    column,
                    format!(
                        "expected at most eight groups of four hex digits after the offset, found '{}'",
                        quote(group)
                    ),
                ));
            }
            for i in (0..group.len()).step_by(2) {
                bytes.push(u8::from_str_radix(&group[i..i + 2], 16).unwrap_or(0));
            }
        }
    }
    packets.extend(current.take());
    Ok(Packets {
        packets,
        tool: "tcpdump -x, -xx or -X",
        derived: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSHARK: &str = include_str!("../../../../tests/data/echo-deflate.tshark-x.txt");
    const TSHARK_WS: &str =
        include_str!("../../../../tests/data/echo-deflate.tshark-x-websocket.txt");
    const TCPDUMP_X: &str = include_str!("../../../../tests/data/echo-deflate.tcpdump-x.txt");
    const TCPDUMP_XX: &str = include_str!("../../../../tests/data/echo-deflate.tcpdump-xx.txt");
    const TCPDUMP_XA: &str = include_str!("../../../../tests/data/echo-deflate.tcpdump-X.txt");

    #[test]
    fn every_packet_of_each_tool() {
        let t = read(TSHARK).unwrap().unwrap();
        assert_eq!(t.tool, "tshark -x");
        // A packet a blank line apart; headed ones as long as their heading
        // says (checked while reading), derived blocks left out.
        assert_eq!(
            t.packets.len(),
            TSHARK
                .split("\n\n")
                .filter(|b| !b.trim().is_empty())
                .count()
        );
        assert_eq!(
            t.derived,
            TSHARK.matches(" bytes):").count() - TSHARK.matches("Frame (").count()
        );
        let xx = read(TCPDUMP_XX).unwrap().unwrap();
        let x = read(TCPDUMP_X).unwrap().unwrap();
        let xa = read(TCPDUMP_XA).unwrap().unwrap();
        // The same packets: tshark and tcpdump -xx from the link header,
        // tcpdump -x and -X from the IP header (14 bytes of Ethernet less).
        assert_eq!(t.packets, xx.packets);
        assert_eq!(x.packets, xa.packets);
        assert_eq!(x.packets.len(), xx.packets.len());
        for (a, b) in xx.packets.iter().zip(&x.packets) {
            assert_eq!(&a[14..], &b[..]);
        }
        let ws = read(TSHARK_WS).unwrap().unwrap();
        assert!(ws.packets.len() < t.packets.len());
        assert!(ws.packets.iter().all(|p| t.packets.contains(p)));
    }

    #[test]
    fn a_packet_cut_short_or_out_of_order_is_refused_where() {
        let cut: String = TSHARK_WS
            .lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect();
        let e = read(&cut).unwrap().unwrap_err();
        assert_eq!((e.line, e.column), (1, 1), "{e}");
        assert!(e.message.contains("announces 79 bytes"), "{e}");
        let e = read("\t0x0000:  4500 003c\n\t0x0020:  7f00 0001\n")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("does not follow on"), "{e}");
        let e = read("Frame (3 bytes):\n0000  45 00  E.\n")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        // Other spellings are not packet dumps.
        assert!(read("81 83 3d 54 23 06 70 10 6d").is_none());
        assert!(read("00000000: 8183 3d54 2306 7010 6d  ..=T#.p.m").is_none());
    }
}

/// Both sides of one TCP conversation, as Wireshark's "Follow TCP Stream"
/// shows it in its hex view (`tshark -z follow,tcp,hex,N` prints the
/// same): the bytes each node sent, in the order they were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Each run of bytes one node sent: node 0 (the one that sent first)
    /// or 1, and the bytes.
    pub chunks: Vec<(usize, Vec<u8>)>,
    /// The nodes' addresses, when the dump names them (tshark's `Node 0:`
    /// and `Node 1:` lines).
    pub nodes: [Option<String>; 2],
    /// How it was printed, for the summary.
    pub view: &'static str,
    /// What was taken on trust in reading it, to be said.
    pub guess: Option<&'static str>,
}

/// A line of the Follow TCP Stream hex view: the node (0 unindented, 1
/// indented), its offset in that node's bytes, and the line after it.
fn follow_line<'a>(line: &Line<'a>) -> Option<(usize, usize, &'a str, usize)> {
    let text = line.text;
    let (node, body) = if let Some(b) = text.strip_prefix('\t') {
        (1, b)
    } else if let Some(b) = text.strip_prefix("    ") {
        (1, b)
    } else {
        (0, text)
    };
    let (offset, rest) = (body.get(..8)?, body.get(8..)?);
    let ok = offset.bytes().all(|b| b.is_ascii_hexdigit()) && rest.starts_with("  ");
    let at = text.len() - body.len();
    ok.then(|| {
        (
            node,
            usize::from_str_radix(offset, 16).unwrap_or(0),
            rest,
            at,
        )
    })
}

/// The conversation in `text`, when it is a Follow TCP Stream hex view:
/// tshark's (with its `Follow: tcp,hex` header), or Wireshark's copied
/// (lines of both nodes, the second indented).
pub fn follow(text: &str) -> Option<Result<Conversation, DumpError>> {
    let lines: Vec<Line> = super::lines(text).collect();
    if lines.iter().any(|l| c_array_start(l).is_some()) {
        return Some(follow_c_arrays(&lines));
    }
    if let Some(raw) = follow_raw(&lines) {
        return Some(raw);
    }
    let header = lines.iter().any(|l| l.text.trim() == "Follow: tcp,hex");
    let mut seen = [false; 2];
    for l in &lines {
        if let Some((node, ..)) = follow_line(l) {
            seen[node] = true;
        }
    }
    if !(header || seen[0] && seen[1]) {
        return None;
    }
    let mut nodes: [Option<String>; 2] = [None, None];
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut sent = [0usize; 2];
    for line in &lines {
        let t = line.text.trim();
        if let Some(addr) = t.strip_prefix("Node 0: ") {
            nodes[0] = Some(addr.to_string());
            continue;
        }
        if let Some(addr) = t.strip_prefix("Node 1: ") {
            nodes[1] = Some(addr.to_string());
            continue;
        }
        let Some((node, offset, rest, at)) = follow_line(line) else {
            // tshark's frame of `=` lines, its header, blank lines.
            continue;
        };
        let what = format!("offset {offset:08X} of node {node}");
        if let Err(e) = follows(line, at, offset, sent[node], what) {
            return Some(Err(e));
        }
        // Bytes sit in fixed columns: two groups of eight, the ASCII
        // column after them, which is never read as bytes.
        let area: String = rest.chars().skip(2).take(49).collect();
        let mut bytes = Vec::with_capacity(16);
        for token in area.split_whitespace() {
            match hex_byte(token) {
                Some(b) => bytes.push(b),
                None => {
                    return Some(Err(line.error(
                        at,
                        format!(
                            "expected up to 16 bytes as two hex digits each after the offset, found '{}'",
                            quote(token)
                        ),
                    )))
                }
            }
        }
        sent[node] += bytes.len();
        match chunks.last_mut() {
            Some((n, b)) if *n == node => b.extend_from_slice(&bytes),
            _ => chunks.push((node, bytes)),
        }
    }
    chunks.retain(|(_, b)| !b.is_empty());
    Some(Ok(Conversation {
        chunks,
        nodes,
        view: "Follow TCP Stream, hex view",
        guess: None,
    }))
}

/// Follow TCP Stream's raw view as tshark prints it (`-z
/// follow,tcp,raw`): a line of hex digits per run of bytes, node 1's
/// indented. Without tshark's header, only when both nodes' lines are
/// there: a column of plain hex lines is an ordinary dump.
fn follow_raw(lines: &[Line]) -> Option<Result<Conversation, DumpError>> {
    let header = lines.iter().any(|l| l.text.trim() == "Follow: tcp,raw");
    fn hex_line<'a>(l: &Line<'a>) -> Option<(usize, &'a str)> {
        let (node, body) = if let Some(b) = l.text.strip_prefix('\t') {
            (1, b)
        } else if let Some(b) = l.text.strip_prefix("    ") {
            (1, b)
        } else {
            (0, l.text)
        };
        let body = body.trim_end();
        (!body.is_empty() && body.bytes().all(|b| b.is_ascii_hexdigit())).then_some((node, body))
    }
    let chunky: Vec<_> = lines
        .iter()
        .filter_map(|l| hex_line(l).map(|(n, _)| n))
        .collect();
    let both = chunky.contains(&0) && chunky.contains(&1);
    let other = lines.iter().any(|l| {
        let t = l.text.trim();
        !t.is_empty()
            && hex_line(l).is_none()
            && !t.starts_with("===")
            && !t.starts_with("Follow:")
            && !t.starts_with("Filter:")
            && !t.starts_with("Node ")
    });
    if !(header || both && !other) {
        return None;
    }
    let mut nodes: [Option<String>; 2] = [None, None];
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    for line in lines {
        let t = line.text.trim();
        if let Some(addr) = t.strip_prefix("Node 0: ") {
            nodes[0] = Some(addr.to_string());
            continue;
        }
        if let Some(addr) = t.strip_prefix("Node 1: ") {
            nodes[1] = Some(addr.to_string());
            continue;
        }
        let Some((node, body)) = hex_line(line) else {
            continue;
        };
        if body.len() % 2 == 1 {
            let at = line.text.len() - line.text.trim_start().len();
            return Some(Err(line.error(
                at,
                format!(
                    "an odd number of hex digits ({}): a byte needs two",
                    body.len()
                ),
            )));
        }
        let bytes: Vec<u8> = (0..body.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&body[i..i + 2], 16).unwrap_or(0))
            .collect();
        match chunks.last_mut() {
            Some((n, b)) if *n == node => b.extend_from_slice(&bytes),
            _ => chunks.push((node, bytes)),
        }
    }
    Some(Ok(Conversation {
        chunks,
        nodes,
        view: "Follow TCP Stream, raw view",
        // Without tshark's header, only the indentation tells the sides.
        guess: (!header).then_some(
            "read as Follow TCP Stream's raw view: the indented lines as one side's, the others \
             as the other's; take out the indentation to read them all as one side",
        ),
    }))
}

/// `char peer1_3[] = { /* Packet 9 */` (the comment since Wireshark 1.12):
/// the node that sent the array's bytes.
fn c_array_start(line: &Line) -> Option<usize> {
    let rest = line.text.trim().strip_prefix("char peer")?;
    let node = match rest.as_bytes().first()? {
        b'0' => 0,
        b'1' => 1,
        _ => return None,
    };
    let rest = rest[1..].strip_prefix('_')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && rest[digits..].trim_start().starts_with("[] = {")).then_some(node)
}

/// Follow TCP Stream's "C Arrays" view: an array per run of bytes, named
/// for the node that sent it (`peer0_N`, `peer1_N`), eight `0x..` values a
/// line, the last followed by `};`.
fn follow_c_arrays(lines: &[Line]) -> Result<Conversation, DumpError> {
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut open = false;
    for line in lines {
        if let Some(node) = c_array_start(line) {
            if open {
                return Err(line.error(
                    0,
                    "an array starts before the one above it ends with '};'".into(),
                ));
            }
            chunks.push((node, Vec::new()));
            open = true;
            continue;
        }
        let text = line.text.trim();
        if text.is_empty() {
            continue;
        }
        if !open {
            return Err(line.error(
                0,
                format!(
                    "expected an array of Follow TCP Stream's C Arrays view ('char peer0_0[] = {{'), found '{}'",
                    quote(text)
                ),
            ));
        }
        let (values, ends) = match text.strip_suffix("};") {
            Some(v) => (v, true),
            None => (text, false),
        };
        let bytes = &mut chunks.last_mut().expect("an array is open").1;
        for token in values.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let value = token.strip_prefix("0x").and_then(hex_byte).ok_or_else(|| {
                let at = line.text.find(token).unwrap_or(0);
                line.error(
                    at,
                    format!(
                        "expected a byte as 0x and two hex digits, found '{}'",
                        quote(token)
                    ),
                )
            })?;
            bytes.push(value);
        }
        open = !ends;
    }
    if open {
        let last = lines.iter().rev().find(|l| !l.text.trim().is_empty());
        if let Some(l) = last {
            return Err(l.error(
                0,
                "the last array does not end with '};': paste it whole".into(),
            ));
        }
    }
    // Runs of one node in a row are one run.
    let mut merged: Vec<(usize, Vec<u8>)> = Vec::new();
    for (node, bytes) in chunks {
        match merged.last_mut() {
            Some((n, b)) if *n == node => b.extend_from_slice(&bytes),
            _ => merged.push((node, bytes)),
        }
    }
    merged.retain(|(_, b)| !b.is_empty());
    Ok(Conversation {
        chunks: merged,
        nodes: [None, None],
        view: "Follow TCP Stream, C Arrays view",
        guess: None,
    })
}

#[cfg(test)]
mod follow_tests {
    use super::*;

    const FOLLOW: &str = include_str!("../../../../tests/data/echo-deflate.follow-hex.txt");

    #[test]
    fn both_nodes_in_the_order_they_spoke() {
        let c = follow(FOLLOW).unwrap().unwrap();
        assert_eq!(
            c.nodes,
            [
                Some("127.0.0.1:48794".into()),
                Some("127.0.0.1:18765".into())
            ]
        );
        assert_eq!(c.chunks[0].0, 0);
        assert!(c.chunks[0].1.starts_with(b"GET /chat HTTP/1.1\r\n"));
        assert!(c.chunks[1].1.starts_with(b"HTTP/1.1 101 "));
        // Nodes take turns; each node's bytes are whole (its offsets were
        // checked while reading).
        assert!(c.chunks.windows(2).all(|w| w[0].0 != w[1].0));
        // Wireshark's copy: four spaces for node 1, no header.
        let copied: String = FOLLOW
            .lines()
            .filter(|l| l.starts_with('0') || l.starts_with('\t'))
            .map(|l| format!("{}\n", l.replacen('\t', "    ", 1)))
            .collect();
        let w = follow(&copied).unwrap().unwrap();
        assert_eq!(w.chunks, c.chunks);
        assert_eq!(w.nodes, [None, None]);
        // A line out of place is refused where it is.
        let broken = copied.replacen("00000010", "00000020", 1);
        let e = follow(&broken).unwrap().unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(follow("81 83 3d 54").is_none());
    }

    /// The C Arrays view, written as Wireshark's FollowStreamDialog writes
    /// it (eight `0x%02x` a line, `, ` between, `};` after the last).
    fn c_arrays(chunks: &[(usize, Vec<u8>)]) -> String {
        let mut out = String::new();
        let mut count = [0; 2];
        for (i, (node, bytes)) in chunks.iter().enumerate() {
            out.push_str(&format!(
                "char peer{node}_{}[] = {{ /* Packet {} */\n",
                count[*node],
                i + 4
            ));
            count[*node] += 1;
            for (j, line) in bytes.chunks(8).enumerate() {
                for (k, b) in line.iter().enumerate() {
                    out.push_str(&format!("0x{b:02x}"));
                    if j * 8 + k + 1 < bytes.len() {
                        out.push(',');
                    }
                    out.push(' ');
                }
                if j * 8 + line.len() == bytes.len() {
                    out.push_str("};");
                }
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn the_raw_view_says_when_only_indentation_tells_the_sides() {
        let with_header = "Follow: tcp,raw\n474554\n\t485454\n";
        let c = follow(with_header).unwrap().unwrap();
        assert_eq!(c.chunks, [(0, b"GET".to_vec()), (1, b"HTT".to_vec())]);
        assert_eq!(c.guess, None);
        let copied = follow("474554\n    485454\n").unwrap().unwrap();
        assert_eq!(copied.chunks, c.chunks);
        assert!(copied.guess.is_some_and(|g| g.contains("indented lines")));
        // All at one indentation: an ordinary dump.
        assert!(follow("474554\n485454\n").is_none());
    }

    #[test]
    fn the_c_arrays_view_gives_the_same_runs() {
        let c = follow(FOLLOW).unwrap().unwrap();
        let text = c_arrays(&c.chunks);
        let a = follow(&text).unwrap().unwrap();
        assert_eq!(a.chunks, c.chunks);
        let cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
        let e = follow(&cut).unwrap().unwrap_err();
        assert!(e.message.contains("does not end"), "{e}");
        let e = follow("char peer0_0[] = {\n0x47, 0xzz };\n")
            .unwrap()
            .unwrap_err();
        assert_eq!((e.line, e.column), (2, 7), "{e}");
    }
}
