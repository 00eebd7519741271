//! JSON Lines: one object per handshake head, per frame, and a final
//! summary, each with `"type"`. Every field is given raw (hex of the bytes
//! on the wire) and decoded.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::escape::HardenedJson;
use super::Printer;
use crate::protocol::close::ClosePayload;
use crate::protocol::handshake::{self, Issue};
use crate::protocol::http::Header;
use crate::protocol::message::MessageKind;
use crate::protocol::opcode::OpCode;
use crate::protocol::rules::Violation;
use crate::protocol::transcript::{FrameRecord, Head, Summary};

/// Writes JSON Lines into any writer.
pub struct JsonPrinter<W: Write> {
    out: W,
}

fn text_or_null(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(s) => Value::String(s.to_string()),
        Err(_) => Value::Null,
    }
}

fn violations(vs: &[Violation]) -> Value {
    vs.iter()
        .map(|v| {
            json!({
                "rule": v.rule.id(),
                "section": v.rule.section(),
                "field": v.field.name(),
                "message": v.message,
            })
        })
        .collect()
}

fn issues(is: &[Issue]) -> Value {
    is.iter()
        .map(|i| json!({ "rule": i.rule, "header": i.header, "message": i.message, "status": i.status }))
        .collect()
}

fn headers(hs: &[Header]) -> Value {
    hs.iter()
        .map(|h| json!({ "name": h.name, "value": String::from_utf8_lossy(&h.value), "value_hex": hex::encode(&h.value) }))
        .collect()
}

impl<W: Write> JsonPrinter<W> {
    /// A printer over `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn emit(&mut self, v: Value) -> io::Result<()> {
        // A whole JSON value ends on a complete character, so the hardening
        // writer holds nothing back; the output is flushed once, at the end.
        serde_json::to_writer(HardenedJson::new(&mut self.out), &v)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn head(&mut self, head: &Head) -> io::Result<()> {
        let v = match head {
            Head::Request {
                offset,
                raw,
                request,
                issues: is,
            } => {
                let accept = request
                    .header("Sec-WebSocket-Key")
                    .map(|h| handshake::accept_key(&String::from_utf8_lossy(&h.value)));
                json!({
                    "type": "request",
                    "offset": offset,
                    "length": raw.len(),
                    "method": request.method,
                    "target": request.target,
                    "version": request.version,
                    "headers": headers(&request.headers),
                    "expected_accept": accept,
                    "valid": is.is_empty(),
                    "issues": issues(is),
                })
            }
            Head::Response {
                offset,
                raw,
                response,
                issues: is,
            } => json!({
                "type": "response",
                "offset": offset,
                "length": raw.len(),
                "version": response.version,
                "status": response.status,
                "reason": String::from_utf8_lossy(&response.reason),
                "headers": headers(&response.headers),
                "valid": is.is_empty(),
                "issues": issues(is),
            }),
            Head::Invalid {
                offset,
                message,
                truncated,
            } => json!({
                "type": "invalid_head",
                "offset": offset,
                "truncated": truncated,
                "message": message,
            }),
        };
        self.emit(v)
    }

    fn frame(&mut self, f: &FrameRecord) -> io::Result<()> {
        let mut m = Map::new();
        m.insert("type".into(), "frame".into());
        m.insert("index".into(), f.index.into());
        m.insert("offset".into(), f.offset.into());
        m.insert("length".into(), f.present().into());
        m.insert("complete".into(), (f.missing == 0).into());
        m.insert("missing".into(), f.missing.into());
        m.insert("header_hex".into(), hex::encode(f.header_bytes).into());
        if let Some(h) = f.header {
            m.insert("header_length".into(), h.len().into());
            m.insert("fin".into(), h.fin.into());
            m.insert("rsv1".into(), h.rsv[0].into());
            m.insert("rsv2".into(), h.rsv[1].into());
            m.insert("rsv3".into(), h.rsv[2].into());
            m.insert("opcode".into(), h.opcode.bits().into());
            m.insert("opcode_name".into(), h.opcode.name().into());
            m.insert("masked".into(), h.mask.is_some().into());
            m.insert("masking_key".into(), h.mask.map(hex::encode).into());
            m.insert("payload_length".into(), h.payload_len.into());
            m.insert("length_form".into(), h.length_form.name().into());
            m.insert("payload_hex".into(), hex::encode(f.wire_payload).into());
            m.insert("unmasked_hex".into(), hex::encode(&f.payload).into());
            let texty = f.fragment.map_or(
                matches!(h.opcode, OpCode::Text | OpCode::Ping | OpCode::Pong),
                |fr| fr.kind == MessageKind::Text && !fr.compressed,
            );
            m.insert(
                "text".into(),
                if texty {
                    text_or_null(&f.payload)
                } else {
                    Value::Null
                },
            );
            if h.opcode == OpCode::Close && f.missing == 0 {
                let c = ClosePayload::parse(&f.payload);
                let close = json!({
                    "code": c.code.map(|c| c.0),
                    "name": c.code.map(|c| c.name()),
                    "reason": text_or_null(c.reason),
                    "reason_hex": hex::encode(c.reason),
                });
                m.insert("close".into(), close);
            }
        }
        if let Some(fr) = f.fragment {
            m.insert(
                "fragment".into(),
                json!({
                    "message_kind": fr.kind.name(),
                    "number": fr.number,
                    "last": fr.last,
                    "compressed": fr.compressed,
                }),
            );
        }
        if let Some(msg) = &f.message {
            let text = if msg.kind == MessageKind::Text {
                text_or_null(&msg.data)
            } else {
                Value::Null
            };
            let mut message = json!({
                "kind": msg.kind.name(),
                "frames": msg.frames,
                "compressed": msg.compressed,
                "length": msg.data.len(),
            });
            // A single uncompressed frame's message is its payload, already
            // given above; repeating it would double the output.
            if msg.frames > 1 || msg.compressed {
                message["hex"] = hex::encode(&msg.data).into();
                message["text"] = text;
            }
            m.insert("message".into(), message);
        }
        m.insert("violations".into(), violations(&f.violations));
        self.emit(Value::Object(m))
    }

    fn summary(&mut self, s: &Summary, read_as: &str) -> io::Result<()> {
        self.emit(json!({
            "type": "summary",
            "input": read_as,
            "frames": s.frames,
            "control_frames": s.control,
            "messages": s.messages,
            "from": s.from.map(|r| r.name()),
            "violations": s.violations,
            "conforms": s.violations == 0,
            "unfinished_message": s.unfinished.map(|(k, n, b)| json!({"kind": k, "frames": n, "length": b})),
        }))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
