//! Wireshark as an independent oracle for `wsdbg decode --json`.
//!
//! A deterministic stream of frames (every opcode 0x0-0xF, the three length
//! forms with minimal and non-minimal encodings, masked and not, FIN set and
//! clear, RSV bits, close codes and reasons, fragmented text messages with
//! control frames in between) is written to a file and decoded twice:
//!
//! * by `wsdbg decode --raw --file PATH --json`;
//! * by Wireshark's dissector: the stream is cut into TCP segments of
//!   random sizes (1 byte to 60000, so that headers and payloads straddle
//!   segments and tshark has to reassemble), wrapped in TCP/IP by
//!   `text2pcap -T`, and read back with
//!   `tshark -d tcp.port==8765,websocket -T json -x`.
//!
//! Every frame must be seen by both, in the same order, and each field must
//! agree: FIN, RSV1-3, opcode, MASK, the 7-bit length field, the extended
//! length (and so the length form), the payload length, the header length,
//! the masking key, the payload as on the wire, the unmasked payload, the
//! close code and reason, and the reassembled text of each text message.
//! Wireshark's view is also checked against what was generated, so that a
//! bug in the encoder used to build the stream cannot hide.
//!
//! tshark and text2pcap must be installed (Debian: `apt-get install
//! tshark`); without them the test fails, unless `WSDBG_SKIP_WIRESHARK=1`
//! is set, in which case it says it was skipped and passes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;
use wsdbg::protocol::frame::{encode_frame, FrameHeader, LengthForm};
use wsdbg::protocol::opcode::OpCode;

/// The made-up server port the dissector is attached to with `-d`.
const SERVER_PORT: u16 = 8765;
/// The client port: the stream flows client -> server, as masked frames do.
const CLIENT_PORT: u16 = 40000;
/// Largest TCP segment; an IPv4 packet cannot exceed 65535 bytes.
const MAX_SEGMENT: usize = 60_000;

// ---------------------------------------------------------------------------
// Deterministic generation
// ---------------------------------------------------------------------------

/// xorshift64: small, deterministic, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A value in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// Printable characters of 1 to 4 bytes; nothing a display layer would
/// escape (no controls, no bidi or zero-width characters).
const TEXT_CHARS: &[char] = &[
    'a', 'b', 'z', 'Q', '0', '7', ' ', '.', '!', '{', '~', 'é', 'ß', 'κ', 'ж', '€', '✓', '中',
    '😀', '𝄞',
];

/// Valid UTF-8 of exactly `n` bytes.
fn utf8_text(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        let c = TEXT_CHARS[rng.below(TEXT_CHARS.len() as u64) as usize];
        if s.len() + c.len_utf8() <= n {
            s.push(c);
        }
    }
    s.into_bytes()
}

/// One frame to put in the stream.
#[derive(Debug, Clone)]
struct Planned {
    fin: bool,
    rsv: [bool; 3],
    opcode: u8,
    key: Option<[u8; 4]>,
    form: LengthForm,
    payload: Vec<u8>,
}

/// What a data message is made of before payloads are filled in.
struct MessagePlan {
    text: bool,
    /// (form, masked, payload length) of each fragment, first one first.
    fragments: Vec<(LengthForm, bool, u64)>,
}

struct Stream {
    bytes: Vec<u8>,
    frames: Vec<Planned>,
    /// Offset of each frame in `bytes`.
    offsets: Vec<usize>,
    /// Frames from this index on deliberately break fragmentation rules;
    /// message reassembly is not compared there (it is undefined).
    tail_start: usize,
}

/// A payload length for a frame written in `form`; `k` cycles through the
/// edge values so that each of them is used.
fn pick_len(rng: &mut Rng, form: LengthForm, k: usize) -> u64 {
    match form {
        LengthForm::Short => [0, 1, 125, rng.range(2, 124)][k % 4],
        // The last one is a non-minimal encoding of a short length.
        LengthForm::Medium => [126, 300, rng.range(127, 1500), rng.range(0, 125)][k % 4],
        // Non-minimal encodings of small lengths; big ones are set by hand.
        LengthForm::Long => [rng.range(0, 125), rng.range(126, 2000)][k % 2],
    }
}

/// Lengths that need the 16-bit or 64-bit form for real, given to a few
/// chosen (opcode, form, masked) combinations so the stream stays under a
/// megabyte.
fn big_len(op: u8, form: LengthForm, masked: bool) -> Option<u64> {
    use LengthForm::*;
    match (op, form, masked) {
        (0x1, Long, true) => Some(70_000),
        (0x2, Long, false) => Some(65_536),
        (0x0, Long, true) => Some(65_536),
        (0x0, Long, false) => Some(70_000),
        (0x9, Long, false) => Some(65_536),
        (0x3, Long, true) => Some(65_536),
        (0xc, Long, true) => Some(70_000),
        (0x2, Medium, true) => Some(65_535),
        (0x1, Medium, false) => Some(65_535),
        (0x8, Medium, true) => Some(65_535),
        _ => None,
    }
}

const CLOSE_CODES: &[u16] = &[
    1000, 1001, 1002, 1005, 1011, 1015, 3000, 4999, 999, 5000, 65535,
];

fn control_payload(rng: &mut Rng, op: u8, len: usize) -> Vec<u8> {
    match op {
        0x8 if len >= 2 => {
            let code = CLOSE_CODES[rng.below(CLOSE_CODES.len() as u64) as usize];
            let mut p = code.to_be_bytes().to_vec();
            p.extend(utf8_text(rng, len - 2));
            p
        }
        0x9 | 0xa if rng.chance(2) => utf8_text(rng, len),
        _ => rng.bytes(len),
    }
}

fn generate() -> Stream {
    let mut rng = Rng(0x5753_4442_4721_6455);
    let forms = [LengthForm::Short, LengthForm::Medium, LengthForm::Long];

    // Every (opcode, length form, masked) combination is needed once.
    let mut per_form = [0usize; 3];
    let mut needs: Vec<(u8, LengthForm, bool, u64)> = Vec::new();
    for op in 0u8..=0xf {
        for (fi, &form) in forms.iter().enumerate() {
            for masked in [false, true] {
                let len = big_len(op, form, masked).unwrap_or_else(|| {
                    per_form[fi] += 1;
                    pick_len(&mut rng, form, per_form[fi])
                });
                needs.push((op, form, masked, len));
            }
        }
    }
    rng.shuffle(&mut needs);

    let mut messages: Vec<MessagePlan> = Vec::new();
    let mut continuations = Vec::new();
    let mut controls = Vec::new();
    let mut reserved = Vec::new();
    for &(op, form, masked, len) in &needs {
        match op {
            0x1 | 0x2 => messages.push(MessagePlan {
                text: op == 0x1,
                fragments: vec![(form, masked, len)],
            }),
            0x0 => continuations.push((form, masked, len)),
            0x3..=0x7 => reserved.push((op, form, masked, len)),
            _ => controls.push((op, form, masked, len)),
        }
    }
    // Continuations join messages; empty ones only binary messages, so that
    // the last fragment of a text message has bytes (Wireshark shows the
    // reassembled text on that frame only when it has a payload). A few
    // small extra continuations make three-fragment messages.
    for _ in 0..6 {
        let form = forms[rng.below(3) as usize];
        let len = match form {
            LengthForm::Short => rng.range(1, 125),
            _ => rng.range(1, 400),
        };
        continuations.push((form, rng.chance(2), len));
    }
    let binary: Vec<usize> = (0..messages.len()).filter(|&i| !messages[i].text).collect();
    for c in continuations {
        let m = if c.2 == 0 {
            binary[rng.below(binary.len() as u64) as usize]
        } else {
            rng.below(messages.len() as u64) as usize
        };
        messages[m].fragments.push(c);
    }

    let mut next_key = {
        let mut masked_count = 0;
        move |rng: &mut Rng, masked: bool| {
            masked.then(|| {
                masked_count += 1;
                // One all-zero key: masked, yet the payload is unchanged.
                if masked_count == 5 {
                    [0; 4]
                } else {
                    (rng.next() as u32).to_be_bytes()
                }
            })
        }
    };
    let mut rsv_count = 0u8;
    let mut next_rsv = move |rng: &mut Rng| {
        if rng.chance(5) {
            rsv_count = rsv_count % 7 + 1;
            [rsv_count & 4 != 0, rsv_count & 2 != 0, rsv_count & 1 != 0]
        } else {
            [false; 3]
        }
    };

    // Units: whole messages (with control frames between their fragments),
    // lone control frames, lone reserved non-control frames.
    let mut units: Vec<Vec<Planned>> = Vec::new();
    let mut controls = controls.into_iter();
    for m in &messages {
        let total: u64 = m.fragments.iter().map(|f| f.2).sum();
        let data = if m.text {
            utf8_text(&mut rng, total as usize)
        } else {
            rng.bytes(total as usize)
        };
        let mut at = 0usize;
        let mut unit = Vec::new();
        let n = m.fragments.len();
        for (i, &(form, masked, len)) in m.fragments.iter().enumerate() {
            if i > 0 && rng.chance(2) {
                if let Some((op, form, masked, len)) = controls.next() {
                    unit.push(Planned {
                        fin: true,
                        rsv: next_rsv(&mut rng),
                        opcode: op,
                        key: next_key(&mut rng, masked),
                        form,
                        payload: control_payload(&mut rng, op, len as usize),
                    });
                }
            }
            unit.push(Planned {
                fin: i + 1 == n,
                rsv: next_rsv(&mut rng),
                opcode: if i == 0 {
                    if m.text {
                        0x1
                    } else {
                        0x2
                    }
                } else {
                    0x0
                },
                key: next_key(&mut rng, masked),
                form,
                payload: data[at..at + len as usize].to_vec(),
            });
            at += len as usize;
        }
        units.push(unit);
    }
    for (op, form, masked, len) in controls {
        units.push(vec![Planned {
            fin: true,
            rsv: next_rsv(&mut rng),
            opcode: op,
            key: next_key(&mut rng, masked),
            form,
            payload: control_payload(&mut rng, op, len as usize),
        }]);
    }
    for (op, form, masked, len) in reserved {
        units.push(vec![Planned {
            fin: true,
            rsv: next_rsv(&mut rng),
            opcode: op,
            key: next_key(&mut rng, masked),
            form,
            payload: rng.bytes(len as usize),
        }]);
    }
    rng.shuffle(&mut units);
    let mut frames: Vec<Planned> = units.into_iter().flatten().collect();

    // The tail breaks the fragmentation rules on purpose: frame fields must
    // still agree, message reassembly is not compared.
    let tail_start = frames.len();
    let tail: &[(bool, u8, bool, usize)] = &[
        (false, 0x5, false, 3),  // reserved non-control, FIN clear
        (true, 0x0, true, 4),    // ... continued
        (false, 0x0, false, 5),  // continuation without a start
        (true, 0x0, true, 6),    // ... and its end
        (false, 0x9, true, 7),   // fragmented ping
        (false, 0xa, false, 0),  // fragmented pong
        (false, 0xf, true, 130), // fragmented reserved control, long
        (false, 0x1, true, 9),   // text message interrupted ...
        (true, 0x1, false, 10),  // ... by another text frame
        (true, 0x8, true, 1),    // close with a 1-byte payload
        (true, 0x8, false, 0),   // close without payload
        (true, 0x8, true, 2),    // close with a code and no reason
        (false, 0x2, true, 11),  // the stream ends inside a message
    ];
    for &(fin, op, masked, len) in tail {
        let payload = match op {
            0x1 => utf8_text(&mut rng, len),
            0x8 if len == 2 => 1000u16.to_be_bytes().to_vec(),
            _ => rng.bytes(len),
        };
        frames.push(Planned {
            fin,
            rsv: next_rsv(&mut rng),
            opcode: op,
            key: next_key(&mut rng, masked),
            form: LengthForm::minimal(len as u64),
            payload,
        });
    }

    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for f in &frames {
        offsets.push(bytes.len());
        let mut h = FrameHeader::new(
            f.fin,
            OpCode::from_bits(f.opcode),
            f.key,
            f.payload.len() as u64,
        );
        h.rsv = f.rsv;
        h.length_form = f.form;
        encode_frame(&h, &f.payload, &mut bytes);
    }
    Stream {
        bytes,
        frames,
        offsets,
        tail_start,
    }
}

/// Checks that the generator covers what the test claims to cover.
fn assert_coverage(s: &Stream) {
    let forms = [LengthForm::Short, LengthForm::Medium, LengthForm::Long];
    for op in 0u8..=0xf {
        for form in forms {
            for masked in [false, true] {
                assert!(
                    s.frames
                        .iter()
                        .any(|f| f.opcode == op && f.form == form && f.key.is_some() == masked),
                    "generator: no frame with opcode {op:#x}, {} length, masked {masked}",
                    form.name()
                );
            }
        }
    }
    for len in [0usize, 1, 125, 126, 300, 65_535, 65_536, 70_000] {
        assert!(
            s.frames.iter().any(|f| f.payload.len() == len),
            "generator: no payload of {len} bytes"
        );
    }
    for (what, ok) in [
        ("FIN clear", s.frames.iter().any(|f| !f.fin)),
        ("RSV1", s.frames.iter().any(|f| f.rsv[0])),
        ("RSV2", s.frames.iter().any(|f| f.rsv[1])),
        ("RSV3", s.frames.iter().any(|f| f.rsv[2])),
        (
            "a zero masking key",
            s.frames.iter().any(|f| f.key == Some([0; 4])),
        ),
        (
            "a non-minimal length",
            s.frames
                .iter()
                .any(|f| f.form != LengthForm::minimal(f.payload.len() as u64)),
        ),
        (
            "a control frame over 125 bytes",
            s.frames
                .iter()
                .any(|f| f.opcode & 8 != 0 && f.payload.len() > 125),
        ),
        (
            "a close frame with a reason",
            s.frames
                .iter()
                .any(|f| f.opcode == 8 && f.payload.len() > 2),
        ),
        (
            "a continuation with FIN clear (a middle fragment)",
            s.frames[..s.tail_start]
                .iter()
                .any(|f| f.opcode == 0 && !f.fin),
        ),
        (
            "a control frame between two fragments of a message",
            s.frames[..s.tail_start]
                .windows(3)
                .any(|w| w[0].opcode < 3 && !w[0].fin && w[1].opcode & 8 != 0 && w[2].opcode == 0),
        ),
    ] {
        assert!(ok, "generator: no frame with {what}");
    }
}

// ---------------------------------------------------------------------------
// What a decoder reports about one frame
// ---------------------------------------------------------------------------

/// The fields compared, as both tools report them (hex in lower case).
#[derive(Debug, Default, Clone)]
struct Seen {
    /// Where the frame starts in the stream: wsdbg's `offset` (Wireshark
    /// gives positions in reassembled buffers, so it is compared with the
    /// generated offset only).
    offset: Option<u64>,
    fin: bool,
    /// RSV1 is 4, RSV2 2, RSV3 1 (Wireshark's `websocket.rsv`).
    rsv: u8,
    opcode: u8,
    masked: bool,
    /// The 7-bit payload length field.
    len7: u64,
    /// "7-bit", "16-bit" or "64-bit" (wsdbg's names).
    length_form: String,
    /// The 16- or 64-bit extended length, when there is one.
    ext_len: Option<u64>,
    payload_length: u64,
    header_length: u64,
    masking_key: Option<String>,
    wire_hex: String,
    unmasked_hex: String,
    /// Close frames: the status code, when the payload has one.
    close_code: Option<u16>,
    /// Close frames with a code: the reason's bytes.
    close_reason_hex: Option<String>,
    close_reason: Option<String>,
    /// The reassembled text of the text message this frame ends.
    text_message_hex: Option<String>,
    text_message: Option<String>,
}

fn expected(f: &Planned, offset: usize) -> Seen {
    let ext = f.form.extra_bytes() as u64;
    let len = f.payload.len() as u64;
    let mut wire = f.payload.clone();
    if let Some(k) = f.key {
        for (i, b) in wire.iter_mut().enumerate() {
            *b ^= k[i % 4];
        }
    }
    let (close_code, close_reason_hex, close_reason) = match (f.opcode, f.payload.as_slice()) {
        (8, [hi, lo, reason @ ..]) => (
            Some(u16::from_be_bytes([*hi, *lo])),
            Some(hex::encode(reason)),
            Some(String::from_utf8(reason.to_vec()).expect("generated reasons are UTF-8")),
        ),
        _ => (None, None, None),
    };
    Seen {
        offset: Some(offset as u64),
        fin: f.fin,
        rsv: ((f.rsv[0] as u8) << 2) | ((f.rsv[1] as u8) << 1) | (f.rsv[2] as u8),
        opcode: f.opcode,
        masked: f.key.is_some(),
        len7: match f.form {
            LengthForm::Short => len,
            LengthForm::Medium => 126,
            LengthForm::Long => 127,
        },
        length_form: f.form.name().to_string(),
        ext_len: (ext > 0).then_some(len),
        payload_length: len,
        header_length: 2 + ext + if f.key.is_some() { 4 } else { 0 },
        masking_key: f.key.map(hex::encode),
        wire_hex: hex::encode(&wire),
        unmasked_hex: hex::encode(&f.payload),
        close_code,
        close_reason_hex,
        close_reason,
        text_message_hex: None,
        text_message: None,
    }
}

// ---------------------------------------------------------------------------
// Running the tools
// ---------------------------------------------------------------------------

fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
            .chars()
            .take(4000)
            .collect::<String>()
    )
}

/// Whether `tool` can be run; Err with a message when it cannot.
fn tool_present(tool: &str) -> Result<(), String> {
    match Command::new(tool).arg("-v").output() {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("cannot run `{tool}`: {e}")),
    }
}

fn run_wsdbg(path: &Path) -> Vec<Seen> {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--raw", "--json", "--file"])
        .arg(path)
        .output()
        .expect("run wsdbg");
    // 1: the stream breaks RFC 6455 on purpose (reserved opcodes, ...).
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "wsdbg decode failed: {}",
        show(&out)
    );
    let stdout = String::from_utf8(out.stdout).expect("wsdbg writes UTF-8");
    let mut frames = Vec::new();
    let mut summary_frames = None;
    for (n, line) in stdout.lines().enumerate() {
        let envelope: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("wsdbg line {}: not JSON: {e}", n + 1));
        let v = &envelope["data"];
        match envelope["type"].as_str() {
            Some("frame") => frames.push(wsdbg_frame(v, frames.len())),
            Some("summary") => summary_frames = v["frames"].as_u64(),
            other => panic!("wsdbg line {}: unexpected object type {other:?}", n + 1),
        }
    }
    assert_eq!(
        summary_frames,
        Some(frames.len() as u64),
        "wsdbg: the summary's frame count differs from the frame objects"
    );
    frames
}

fn wsdbg_frame(v: &Value, i: usize) -> Seen {
    let field = |name: &str| -> &Value {
        v.get(name)
            .unwrap_or_else(|| panic!("wsdbg frame #{i}: no `{name}` in {}", short(v)))
    };
    let bool_ = |name: &str| {
        field(name)
            .as_bool()
            .unwrap_or_else(|| panic!("wsdbg frame #{i}: `{name}` is not a bool"))
    };
    let u64_ = |name: &str| {
        field(name)
            .as_u64()
            .unwrap_or_else(|| panic!("wsdbg frame #{i}: `{name}` is not a number"))
    };
    let str_ = |name: &str| {
        field(name)
            .as_str()
            .unwrap_or_else(|| panic!("wsdbg frame #{i}: `{name}` is not a string"))
            .to_string()
    };
    assert_eq!(
        field("complete").as_bool(),
        Some(true),
        "wsdbg frame #{i}: reported incomplete: {}",
        short(v)
    );
    let header = hex::decode(str_("header_hex")).expect("header_hex is hex");
    let len7 = u64::from(header[1] & 0x7f);
    let (close_code, close_reason_hex, close_reason) = match v.get("close") {
        Some(c) => match c["code"].as_u64() {
            Some(code) => (
                Some(code as u16),
                c["reason_hex"].as_str().map(str::to_string),
                c["reason"].as_str().map(str::to_string),
            ),
            None => (None, None, None),
        },
        None => (None, None, None),
    };
    // A message of one uncompressed frame is that frame's payload, which
    // decode --json does not repeat under "message".
    let (text_message_hex, text_message) = match v.get("message") {
        Some(m) if m["kind"] == "text" && m.get("hex").is_some() => (
            m["hex"].as_str().map(str::to_string),
            m["text"].as_str().map(str::to_string),
        ),
        Some(m) if m["kind"] == "text" => (
            v["unmasked_hex"].as_str().map(str::to_string),
            v["text"].as_str().map(str::to_string),
        ),
        _ => (None, None),
    };
    let payload_length = u64_("payload_length");
    let length_form = str_("length_form");
    Seen {
        offset: Some(u64_("offset")),
        fin: bool_("fin"),
        rsv: ((bool_("rsv1") as u8) << 2) | ((bool_("rsv2") as u8) << 1) | (bool_("rsv3") as u8),
        opcode: u64_("opcode") as u8,
        masked: bool_("masked"),
        len7,
        // wsdbg names the form; the extended field then holds the length.
        ext_len: (length_form != "7-bit").then_some(payload_length),
        length_form,
        payload_length,
        header_length: u64_("header_length"),
        masking_key: field("masking_key").as_str().map(str::to_string),
        wire_hex: str_("payload_hex"),
        unmasked_hex: str_("unmasked_hex"),
        close_code,
        close_reason_hex,
        close_reason,
        text_message_hex,
        text_message,
    }
}

/// Writes `segments` as a text2pcap hex dump: one block per packet, each
/// starting at offset 000000.
fn hex_dump(segments: &[&[u8]]) -> String {
    let mut out = String::new();
    for seg in segments {
        for (n, line) in seg.chunks(16).enumerate() {
            let _ = write!(out, "{:06x}", n * 16);
            for b in line {
                let _ = write!(out, " {b:02x}");
            }
            out.push('\n');
        }
    }
    out
}

/// Cuts the stream into TCP segments: a quarter tiny (1-16 bytes), a
/// quarter up to an Ethernet MSS, half large; and, in every fourth frame,
/// a cut inside the header (after its first byte, inside the extended
/// length, inside the masking key, in turn) so that Wireshark has to
/// reassemble headers as well as payloads.
fn segments<'a>(rng: &mut Rng, stream: &'a Stream) -> Vec<&'a [u8]> {
    let bytes = &stream.bytes;
    let mut cuts: Vec<usize> = Vec::new();
    for (i, (f, &o)) in stream.frames.iter().zip(&stream.offsets).enumerate() {
        let header = 2 + f.form.extra_bytes() + if f.key.is_some() { 4 } else { 0 };
        if i % 4 == 0 {
            cuts.push(o + 1 + (i / 4) % (header - 1));
        }
    }
    let mut cuts = cuts.into_iter().peekable();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let n = match rng.below(4) {
            0 => rng.range(1, 16),
            1 => rng.range(17, 1460),
            _ => rng.range(1461, MAX_SEGMENT as u64),
        } as usize;
        while cuts.next_if(|&c| c <= at).is_some() {}
        let end = match cuts.peek() {
            Some(&c) if c < at + n => c,
            _ => at + n,
        }
        .min(bytes.len());
        out.push(&bytes[at..end]);
        at = end;
    }
    out
}

/// Wireshark's frames, and the length of each TCP segment written.
fn run_wireshark(dir: &Path, stream: &Stream) -> (Vec<Seen>, Vec<usize>) {
    let mut rng = Rng(0x7473_6861_726b_0001);
    let segs = segments(&mut rng, stream);
    let dump = dir.join("stream.txt");
    let pcap = dir.join("stream.pcapng");
    std::fs::write(&dump, hex_dump(&segs)).expect("write hex dump");
    let out = Command::new("text2pcap")
        .arg("-q")
        .arg("-T")
        .arg(format!("{CLIENT_PORT},{SERVER_PORT}"))
        .arg(&dump)
        .arg(&pcap)
        .output()
        .expect("run text2pcap");
    assert!(out.status.success(), "text2pcap failed: {}", show(&out));

    let config = dir.join("wireshark-config");
    std::fs::create_dir_all(&config).expect("create config dir");
    let out = Command::new("tshark")
        // No personal preferences may change the dissection.
        .env("WIRESHARK_CONFIG_DIR", &config)
        .arg("-n")
        .args(["-o", "tcp.desegment_tcp_streams:TRUE"])
        .arg("-d")
        .arg(format!("tcp.port=={SERVER_PORT},websocket"))
        .args([
            "-T",
            "json",
            "-x",
            "--no-duplicate-keys",
            "-J",
            "websocket",
            "-r",
        ])
        .arg(&pcap)
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed: {}", show(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "tshark -T json output is not JSON: {e}\n{}",
            String::from_utf8_lossy(&out.stdout)
                .chars()
                .take(2000)
                .collect::<String>()
        )
    });
    let packets = v
        .as_array()
        .expect("tshark -T json gives an array of packets");
    assert_eq!(
        packets.len(),
        segs.len(),
        "tshark read a different number of packets than written"
    );
    let mut frames = Vec::new();
    for (p, packet) in packets.iter().enumerate() {
        let layers = &packet["_source"]["layers"];
        let ws: Vec<&Value> = match layers.get("websocket") {
            None => continue,
            Some(Value::Array(a)) => a.iter().collect(),
            Some(o @ Value::Object(_)) => vec![o],
            Some(other) => panic!("packet {}: odd websocket layer {}", p + 1, short(other)),
        };
        for w in ws {
            frames.push(wireshark_frame(w, frames.len(), p + 1));
        }
    }
    (frames, segs.iter().map(|s| s.len()).collect())
}

/// The hex of a field from its `_raw` twin (`-x`): [hex, offset, length, ...].
fn raw_hex(obj: &Value, name: &str, what: &str) -> Option<String> {
    let raw = obj.get(format!("{name}_raw"))?;
    match raw.get(0) {
        Some(Value::String(h)) => Some(h.to_ascii_lowercase()),
        _ => panic!(
            "{what}: `{name}_raw` is not [hex, ...] (a repeated field?): {}",
            short(raw)
        ),
    }
}

fn str_field<'a>(obj: &'a Value, name: &str, what: &str) -> Option<&'a str> {
    obj.get(name).map(|v| {
        v.as_str()
            .unwrap_or_else(|| panic!("{what}: `{name}` is not a string: {}", short(v)))
    })
}

fn num_field(obj: &Value, name: &str, what: &str) -> Option<u64> {
    str_field(obj, name, what).map(|s| {
        let parsed = match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16),
            None => s.parse(),
        };
        parsed.unwrap_or_else(|e| panic!("{what}: `{name}` = {s:?}: {e}"))
    })
}

fn wireshark_frame(w: &Value, i: usize, packet: usize) -> Seen {
    let what = format!("Wireshark frame #{i} (in packet {packet})");
    let need = |name: &str| {
        num_field(w, name, &what).unwrap_or_else(|| panic!("{what}: no `{name}` in {}", short(w)))
    };
    let flag = |name: &str| match need(name) {
        0 => false,
        1 => true,
        n => panic!("{what}: `{name}` = {n}"),
    };
    let masked = flag("websocket.mask");
    let len7 = need("websocket.payload_length");
    let ext16 = num_field(w, "websocket.payload_length_ext_16", &what);
    let ext64 = num_field(w, "websocket.payload_length_ext_64", &what);
    let ext_len = match (len7, ext16, ext64) {
        (0..=125, None, None) => None,
        (126, Some(n), None) | (127, None, Some(n)) => Some(n),
        _ => panic!("{what}: 7-bit length {len7} with ext_16 {ext16:?} and ext_64 {ext64:?}"),
    };
    // Empty payloads have no payload field at all.
    let unmasked_hex = raw_hex(w, "websocket.payload", &what).unwrap_or_default();
    let wire_hex = if masked {
        raw_hex(w, "websocket.masked_payload", &what).unwrap_or_default()
    } else {
        unmasked_hex.clone()
    };
    let payload = w.get("websocket.payload").filter(|p| p.is_object());
    let close = payload
        .and_then(|p| p.get("websocket.payload.close"))
        .filter(|c| c.is_object());
    let close_code = close
        .and_then(|c| num_field(c, "websocket.payload.close.status_code", &what))
        .map(|c| c as u16);
    let (close_reason_hex, close_reason) = match (close_code, close) {
        (Some(_), Some(c)) => (
            Some(raw_hex(c, "websocket.payload.close.reason", &what).unwrap_or_default()),
            Some(
                str_field(c, "websocket.payload.close.reason", &what)
                    .unwrap_or_default()
                    .to_string(),
            ),
        ),
        _ => (None, None),
    };
    let (text_message_hex, text_message) = match payload {
        Some(p) if p.get("websocket.payload.text").is_some() => (
            raw_hex(p, "websocket.payload.text", &what),
            str_field(p, "websocket.payload.text", &what).map(str::to_string),
        ),
        _ => (None, None),
    };
    let payload_length = ext_len.unwrap_or(len7);
    let length_form = match (ext16, ext64) {
        (Some(_), _) => "16-bit",
        (_, Some(_)) => "64-bit",
        _ => "7-bit",
    };
    Seen {
        offset: None,
        length_form: length_form.to_string(),
        fin: flag("websocket.fin"),
        rsv: need("websocket.rsv") as u8,
        opcode: need("websocket.opcode") as u8,
        masked,
        len7,
        ext_len,
        payload_length,
        header_length: 2
            + ext16.map_or(0, |_| 2)
            + ext64.map_or(0, |_| 8)
            + if masked { 4 } else { 0 },
        masking_key: raw_hex(w, "websocket.masking_key", &what),
        wire_hex,
        unmasked_hex,
        close_code,
        close_reason_hex,
        close_reason,
        text_message_hex,
        text_message,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}...", &s[..s.floor_char_boundary_compat(300)])
    } else {
        s
    }
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

/// A value for a message, cut after 80 characters (`first_difference`
/// shows where two long values part).
fn describe<T: std::fmt::Debug>(v: &T) -> String {
    let s = format!("{v:?}");
    if s.len() > 80 {
        format!(
            "{}... ({} chars)",
            &s[..s.floor_char_boundary_compat(80)],
            s.chars().count()
        )
    } else {
        s
    }
}

fn first_difference(a: &str, b: &str) -> String {
    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let win = |s: &str| {
        let lo = s.floor_char_boundary_compat(at.saturating_sub(8));
        let hi = s.floor_char_boundary_compat((at + 24).min(s.len()));
        s[lo..hi].to_string()
    };
    format!(
        "printed lengths {} and {}, first difference at byte {at}: {:?} vs {:?}",
        a.len(),
        b.len(),
        win(a),
        win(b)
    )
}

struct Report {
    problems: Vec<String>,
}

impl Report {
    /// Records a problem when wsdbg and Wireshark disagree, or when
    /// Wireshark (the oracle) disagrees with what was generated.
    fn field<T: PartialEq + std::fmt::Debug>(
        &mut self,
        i: usize,
        offset: usize,
        name: &str,
        gen: Option<&T>,
        wsdbg: &T,
        ws: &T,
    ) {
        let strings = |a: &T, b: &T| {
            let (sa, sb) = (format!("{a:?}"), format!("{b:?}"));
            if sa.len() > 80 || sb.len() > 80 {
                format!(" ({})", first_difference(&sa, &sb))
            } else {
                String::new()
            }
        };
        if wsdbg != ws {
            self.problems.push(format!(
                "frame #{i} (offset {offset}) `{name}`: wsdbg {} but Wireshark {}{}{}",
                describe(wsdbg),
                describe(ws),
                strings(wsdbg, ws),
                gen.map(|g| format!("; generated {}", describe(g)))
                    .unwrap_or_default()
            ));
        }
        if let Some(g) = gen {
            if g != ws {
                self.problems.push(format!(
                    "frame #{i} (offset {offset}) `{name}`: generated {} but Wireshark {}{} (the stream is not what the test meant)",
                    describe(g),
                    describe(ws),
                    strings(g, ws)
                ));
            }
        }
    }
}

/// What was compared besides the header fields, for the summary line.
#[derive(Debug, Default)]
struct Counts {
    text_messages: usize,
    fragmented_text_messages: usize,
    close_codes: usize,
}

fn compare(stream: &Stream, wsdbg: &[Seen], ws: &[Seen]) -> (Vec<String>, Counts) {
    let mut r = Report {
        problems: Vec::new(),
    };
    let mut counts = Counts::default();
    if wsdbg.len() != ws.len() || ws.len() != stream.frames.len() {
        r.problems.push(format!(
            "frame count: wsdbg {}, Wireshark {}, generated {}",
            wsdbg.len(),
            ws.len(),
            stream.frames.len()
        ));
    }
    for (i, ((d, w), p)) in wsdbg.iter().zip(ws).zip(&stream.frames).enumerate() {
        let o = stream.offsets[i];
        let e = expected(p, o);
        if d.offset != e.offset {
            r.problems.push(format!(
                "frame #{i} `offset`: wsdbg {:?}, generated {o}",
                d.offset
            ));
        }
        macro_rules! check {
            ($($name:literal => $field:ident),* $(,)?) => {$(
                r.field(i, o, $name, Some(&e.$field), &d.$field, &w.$field);
            )*};
        }
        check! {
            "fin" => fin,
            "rsv (rsv1 rsv2 rsv3 as 3 bits)" => rsv,
            "opcode" => opcode,
            "mask bit" => masked,
            "7-bit payload length field" => len7,
            "length form" => length_form,
            "extended payload length" => ext_len,
            "payload_length" => payload_length,
            "header_length" => header_length,
            "masking_key" => masking_key,
            "payload as on the wire" => wire_hex,
            "unmasked payload" => unmasked_hex,
            "close code" => close_code,
            "close reason bytes" => close_reason_hex,
            "close reason" => close_reason,
        }
        counts.close_codes += usize::from(w.close_code.is_some());
        if i < stream.tail_start {
            // An empty text message: Wireshark has no payload to show.
            let empty = d.text_message_hex.as_deref() == Some("") && w.text_message_hex.is_none();
            if w.text_message_hex.is_some() {
                counts.text_messages += 1;
                if p.opcode == 0 {
                    counts.fragmented_text_messages += 1;
                }
            }
            if !empty {
                r.field(
                    i,
                    o,
                    "text message (reassembled, hex)",
                    None,
                    &d.text_message_hex,
                    &w.text_message_hex,
                );
                r.field(
                    i,
                    o,
                    "text message (reassembled)",
                    None,
                    &d.text_message,
                    &w.text_message,
                );
            }
        }
    }
    (r.problems, counts)
}

/// How many frame headers, and how many payloads, a segment boundary cuts.
fn splits(stream: &Stream, segment_lengths: &[usize]) -> (usize, usize) {
    let boundaries: Vec<usize> = segment_lengths
        .iter()
        .scan(0, |at, n| {
            *at += n;
            Some(*at)
        })
        .collect();
    let cuts = |lo: usize, hi: usize| boundaries.iter().any(|&b| lo < b && b < hi);
    let (mut headers, mut payloads) = (0, 0);
    for (f, &o) in stream.frames.iter().zip(&stream.offsets) {
        let header = 2 + f.form.extra_bytes() + if f.key.is_some() { 4 } else { 0 };
        headers += usize::from(cuts(o, o + header));
        payloads += usize::from(cuts(o + header, o + header + f.payload.len()));
    }
    (headers, payloads)
}

#[test]
fn decode_json_agrees_with_wireshark() {
    if std::env::var_os("WSDBG_SKIP_WIRESHARK").is_some_and(|v| v == "1") {
        eprintln!("wireshark: SKIPPED because WSDBG_SKIP_WIRESHARK=1 (tshark is not consulted)");
        return;
    }
    let missing: Vec<String> = ["tshark", "text2pcap"]
        .into_iter()
        .filter_map(|t| tool_present(t).err())
        .collect();
    assert!(
        missing.is_empty(),
        "{}.\nThis test compares `wsdbg decode --json` with Wireshark's dissector and needs tshark \
         and text2pcap (Debian/Ubuntu: `apt-get install tshark`; Fedora: `dnf install wireshark-cli`; \
         macOS: `brew install wireshark`). To skip it on purpose, set WSDBG_SKIP_WIRESHARK=1.",
        missing.join("; ")
    );

    let started = Instant::now();
    let stream = generate();
    assert_coverage(&stream);
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("stream.bin");
    std::fs::write(&bin, &stream.bytes).expect("write stream");

    let wsdbg = run_wsdbg(&bin);
    let (ws, segment_lengths) = run_wireshark(dir.path(), &stream);
    let (split_headers, split_payloads) = splits(&stream, &segment_lengths);
    // Otherwise the test would not exercise TCP reassembly.
    assert!(
        split_headers > 0 && split_payloads > 0,
        "the segmentation splits {split_headers} headers and {split_payloads} payloads; want both"
    );
    let (problems, counts) = compare(&stream, &wsdbg, &ws);

    let mut by_opcode = BTreeMap::new();
    for f in &stream.frames {
        *by_opcode.entry(f.opcode).or_insert(0) += 1;
    }
    eprintln!(
        "wireshark: {} frames ({} bytes in {} TCP segments, {} headers and {} payloads split between segments; opcodes {:?}) with {} text messages ({} fragmented) and {} close codes compared in {:.1?}: {} problems",
        stream.frames.len(),
        stream.bytes.len(),
        segment_lengths.len(),
        split_headers,
        split_payloads,
        by_opcode,
        counts.text_messages,
        counts.fragmented_text_messages,
        counts.close_codes,
        started.elapsed(),
        problems.len()
    );
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(60).map(String::as_str).collect();
        panic!(
            "wsdbg decode --json and Wireshark disagree ({} problems{}):\n{}",
            problems.len(),
            if problems.len() > shown.len() {
                ", first 60 shown"
            } else {
                ""
            },
            shown.join("\n")
        );
    }
}
