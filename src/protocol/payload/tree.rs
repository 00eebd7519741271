//! MessagePack and CBOR messages read into a tree of values, shown as
//! JSON-like text. Lengths are checked against the bytes present before
//! anything is allocated, and nesting is bounded, so a hostile message
//! cannot claim gigabytes or run the stack out.

use std::fmt::Write;

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    /// nil / null.
    Nil,
    /// CBOR's undefined.
    Undefined,
    /// true or false.
    Bool(bool),
    /// An integer (CBOR's reach −2⁶⁴ to 2⁶⁴−1 included).
    Int(i128),
    /// A float (16-, 32- or 64-bit as sent).
    Float(f64),
    /// A text string.
    Str(String),
    /// A byte string.
    Bin(Vec<u8>),
    /// An array.
    Array(Vec<Tree>),
    /// A map, its pairs in their order.
    Map(Vec<(Tree, Tree)>),
    /// MessagePack's extension: its type and data.
    Ext(i8, Vec<u8>),
    /// CBOR's tag on a value.
    Tag(u64, Box<Tree>),
    /// CBOR's other simple values.
    Simple(u8),
}

/// Why bytes are not the format, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeError {
    /// Byte offset.
    pub offset: usize,
    /// What was expected and found.
    pub what: String,
}

/// How deep arrays, maps and tags may nest.
pub const MAX_DEPTH: usize = 128;

impl Tree {
    /// As JSON-like text on one line: maps as `{k: v}`, byte strings as
    /// `h'..'`, extensions as `ext(T, h'..')`, tags as `N(v)`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, s: &mut String) {
        match self {
            Tree::Nil => s.push_str("null"),
            Tree::Undefined => s.push_str("undefined"),
            Tree::Bool(b) => {
                let _ = write!(s, "{b}");
            }
            Tree::Int(i) => {
                let _ = write!(s, "{i}");
            }
            Tree::Float(f) => {
                let _ = write!(s, "{f:?}");
            }
            Tree::Str(t) => {
                let _ = write!(s, "{}", serde_json::Value::String(t.clone()));
            }
            Tree::Bin(b) => {
                let _ = write!(s, "h'{}'", hex::encode(b));
            }
            Tree::Array(items) => {
                s.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    v.write(s);
                }
                s.push(']');
            }
            Tree::Map(pairs) => {
                s.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    k.write(s);
                    s.push_str(": ");
                    v.write(s);
                }
                s.push('}');
            }
            Tree::Ext(t, d) => {
                let _ = write!(s, "ext({t}, h'{}')", hex::encode(d));
            }
            Tree::Tag(t, v) => {
                let _ = write!(s, "{t}(");
                v.write(s);
                s.push(')');
            }
            Tree::Simple(v) => {
                let _ = write!(s, "simple({v})");
            }
        }
    }
}

struct Bytes<'a> {
    b: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn err(&self, what: impl Into<String>) -> TreeError {
        TreeError {
            offset: self.at,
            what: what.into(),
        }
    }

    fn take(&mut self, n: u64) -> Result<&[u8], TreeError> {
        let left = (self.b.len() - self.at) as u64;
        if n > left {
            return Err(self.err(format!("expected {n} more bytes, found {left}")));
        }
        let s = &self.b[self.at..self.at + n as usize];
        self.at += n as usize;
        Ok(s)
    }

    fn uint(&mut self, n: u64) -> Result<u64, TreeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |v, b| (v << 8) | u64::from(*b)))
    }

    /// A count of items, each at least one byte: no more than the bytes
    /// left.
    fn count(&self, n: u64, per: u64) -> Result<usize, TreeError> {
        let left = (self.b.len() - self.at) as u64;
        if n.saturating_mul(per) > left {
            return Err(self.err(format!(
                "a length of {n} items, but only {left} bytes are left"
            )));
        }
        Ok(n as usize)
    }

    fn text(&mut self, n: u64) -> Result<String, TreeError> {
        let at = self.at;
        let raw = self.take(n)?.to_vec();
        String::from_utf8(raw).map_err(|_| TreeError {
            offset: at,
            what: "a text string that is not UTF-8".into(),
        })
    }
}

/// Reads one MessagePack value from the whole of `data`.
pub fn msgpack(data: &[u8]) -> Result<Tree, TreeError> {
    let mut b = Bytes { b: data, at: 0 };
    let v = mp(&mut b, 0)?;
    if b.at < data.len() {
        return Err(b.err(format!("{} bytes after the value", data.len() - b.at)));
    }
    Ok(v)
}

fn mp(b: &mut Bytes, depth: usize) -> Result<Tree, TreeError> {
    if depth > MAX_DEPTH {
        return Err(b.err(format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let t = b.uint(1)? as u8;
    let array = |b: &mut Bytes, n: u64| -> Result<Tree, TreeError> {
        let n = b.count(n, 1)?;
        (0..n)
            .map(|_| mp(b, depth + 1))
            .collect::<Result<_, _>>()
            .map(Tree::Array)
    };
    let map = |b: &mut Bytes, n: u64| -> Result<Tree, TreeError> {
        let n = b.count(n, 2)?;
        (0..n)
            .map(|_| Ok((mp(b, depth + 1)?, mp(b, depth + 1)?)))
            .collect::<Result<_, _>>()
            .map(Tree::Map)
    };
    Ok(match t {
        0x00..=0x7f => Tree::Int(i128::from(t)),
        0x80..=0x8f => map(b, u64::from(t & 0x0f))?,
        0x90..=0x9f => array(b, u64::from(t & 0x0f))?,
        0xa0..=0xbf => Tree::Str(b.text(u64::from(t & 0x1f))?),
        0xc0 => Tree::Nil,
        0xc2 => Tree::Bool(false),
        0xc3 => Tree::Bool(true),
        0xc4..=0xc6 => {
            let n = b.uint(1 << (t - 0xc4))?;
            Tree::Bin(b.take(n)?.to_vec())
        }
        0xc7..=0xc9 => {
            let n = b.uint(1 << (t - 0xc7))?;
            let kind = b.uint(1)? as u8 as i8;
            Tree::Ext(kind, b.take(n)?.to_vec())
        }
        0xca => Tree::Float(f64::from(f32::from_bits(b.uint(4)? as u32))),
        0xcb => Tree::Float(f64::from_bits(b.uint(8)?)),
        0xcc..=0xcf => Tree::Int(i128::from(b.uint(1 << (t - 0xcc))?)),
        0xd0..=0xd3 => {
            let n = 1u64 << (t - 0xd0);
            let v = b.uint(n)?;
            let shift = 64 - 8 * n;
            Tree::Int(i128::from(((v << shift) as i64) >> shift))
        }
        0xd4..=0xd8 => {
            let kind = b.uint(1)? as u8 as i8;
            Tree::Ext(kind, b.take(1 << (t - 0xd4))?.to_vec())
        }
        0xd9..=0xdb => {
            let n = b.uint(1 << (t - 0xd9))?;
            Tree::Str(b.text(n)?)
        }
        0xdc | 0xdd => {
            let n = b.uint(if t == 0xdc { 2 } else { 4 })?;
            array(b, n)?
        }
        0xde | 0xdf => {
            let n = b.uint(if t == 0xde { 2 } else { 4 })?;
            map(b, n)?
        }
        0xe0..=0xff => Tree::Int(i128::from(t as i8)),
        0xc1 => {
            b.at -= 1;
            return Err(b.err("0xc1 is never used in MessagePack"));
        }
    })
}

/// Reads one CBOR value (RFC 8949) from the whole of `data`.
pub fn cbor(data: &[u8]) -> Result<Tree, TreeError> {
    let mut b = Bytes { b: data, at: 0 };
    let v = cb(&mut b, 0)?;
    if b.at < data.len() {
        return Err(b.err(format!("{} bytes after the value", data.len() - b.at)));
    }
    Ok(v)
}

/// The break that ends an indefinite length.
const BREAK: u8 = 0xff;

fn cb(b: &mut Bytes, depth: usize) -> Result<Tree, TreeError> {
    if depth > MAX_DEPTH {
        return Err(b.err(format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let start = b.at;
    let first = b.uint(1)? as u8;
    let (major, info) = (first >> 5, first & 0x1f);
    let arg = |b: &mut Bytes| -> Result<Option<u64>, TreeError> {
        Ok(match info {
            0..=23 => Some(u64::from(info)),
            24..=27 => Some(b.uint(1 << (info - 24))?),
            31 => None,
            _ => {
                return Err(TreeError {
                    offset: start,
                    what: format!("additional information {info} is reserved"),
                })
            }
        })
    };
    let definite = |b: &mut Bytes, what: &str| -> Result<u64, TreeError> {
        arg(b)?.ok_or_else(|| TreeError {
            offset: start,
            what: format!("{what} cannot have an indefinite length"),
        })
    };
    let at_break = |b: &Bytes| b.b.get(b.at) == Some(&BREAK);
    Ok(match major {
        0 => Tree::Int(i128::from(definite(b, "an integer")?)),
        1 => Tree::Int(-1 - i128::from(definite(b, "an integer")?)),
        2 | 3 => {
            let mut raw = Vec::new();
            match arg(b)? {
                Some(n) => raw.extend_from_slice(b.take(n)?),
                None => {
                    while !at_break(b) {
                        let chunk_at = b.at;
                        let head = b.uint(1)? as u8;
                        if head >> 5 != major || head & 0x1f == 31 {
                            return Err(TreeError {
                                offset: chunk_at,
                                what: "an indefinite string's chunk of another type".into(),
                            });
                        }
                        let n = match head & 0x1f {
                            i @ 0..=23 => u64::from(i),
                            i @ 24..=27 => b.uint(1 << (i - 24))?,
                            _ => return Err(b.err("a reserved chunk length")),
                        };
                        raw.extend_from_slice(b.take(n)?);
                    }
                    b.at += 1;
                }
            }
            if major == 2 {
                Tree::Bin(raw)
            } else {
                Tree::Str(String::from_utf8(raw).map_err(|_| TreeError {
                    offset: start,
                    what: "a text string that is not UTF-8".into(),
                })?)
            }
        }
        4 => match arg(b)? {
            Some(n) => {
                let n = b.count(n, 1)?;
                Tree::Array((0..n).map(|_| cb(b, depth + 1)).collect::<Result<_, _>>()?)
            }
            None => {
                let mut items = Vec::new();
                while !at_break(b) {
                    items.push(cb(b, depth + 1)?);
                }
                b.at += 1;
                Tree::Array(items)
            }
        },
        5 => match arg(b)? {
            Some(n) => {
                let n = b.count(n, 2)?;
                Tree::Map(
                    (0..n)
                        .map(|_| Ok((cb(b, depth + 1)?, cb(b, depth + 1)?)))
                        .collect::<Result<_, _>>()?,
                )
            }
            None => {
                let mut pairs = Vec::new();
                while !at_break(b) {
                    pairs.push((cb(b, depth + 1)?, cb(b, depth + 1)?));
                }
                b.at += 1;
                Tree::Map(pairs)
            }
        },
        6 => Tree::Tag(definite(b, "a tag")?, Box::new(cb(b, depth + 1)?)),
        _ => match info {
            20 => Tree::Bool(false),
            21 => Tree::Bool(true),
            22 => Tree::Nil,
            23 => Tree::Undefined,
            24 => Tree::Simple(b.uint(1)? as u8),
            25 => Tree::Float(f16(b.uint(2)? as u16)),
            26 => Tree::Float(f64::from(f32::from_bits(b.uint(4)? as u32))),
            27 => Tree::Float(f64::from_bits(b.uint(8)?)),
            31 => {
                return Err(TreeError {
                    offset: start,
                    what: "a break outside an indefinite length".into(),
                })
            }
            i @ 0..=19 => Tree::Simple(i),
            _ => {
                return Err(TreeError {
                    offset: start,
                    what: format!("additional information {info} is reserved"),
                })
            }
        },
    })
}

/// A half-precision float (RFC 8949 Appendix D).
fn f16(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_values() {
        // {"compact": true, "schema": 0}, msgpack.org's example.
        let m = hex::decode("82a7636f6d70616374c3a6736368656d6100").unwrap();
        assert_eq!(
            msgpack(&m).unwrap().text(),
            r#"{"compact": true, "schema": 0}"#
        );
        for (h, text) in [
            ("93c0c2cb3ff8000000000000", "[null, false, 1.5]"),
            ("d0ff", "-1"),
            ("e0", "-32"),
            ("cfffffffffffffffff", "18446744073709551615"),
            ("d3ffffffffffffffff", "-1"),
            ("c40301ff02", "h'01ff02'"),
            ("d6ff00000001", "ext(-1, h'00000001')"),
            ("ca3f800000", "1.0"),
            ("d90161", "\"a\""),
        ] {
            assert_eq!(
                msgpack(&hex::decode(h).unwrap()).unwrap().text(),
                text,
                "{h}"
            );
        }
        for (h, what) in [
            ("c1", "never used"),
            ("a5616263", "expected 5 more bytes, found 3"),
            ("dd7fffffff", "a length of 2147483647 items"),
            ("c0c0", "1 bytes after"),
            ("a1ff", "not UTF-8"),
        ] {
            let e = msgpack(&hex::decode(h).unwrap()).unwrap_err();
            assert!(e.what.contains(what), "{h}: {}", e.what);
        }
        let deep = vec![0x91; MAX_DEPTH + 2];
        assert!(msgpack(&deep).unwrap_err().what.contains("nested deeper"));
    }

    // RFC 8949 Appendix A.
    #[test]
    fn cbor_appendix_a() {
        for (h, text) in [
            ("00", "0"),
            ("1903e8", "1000"),
            ("1bffffffffffffffff", "18446744073709551615"),
            ("3bffffffffffffffff", "-18446744073709551616"),
            ("3863", "-100"),
            ("f93c00", "1.0"),
            ("f9c400", "-4.0"),
            ("f90001", "5.960464477539063e-8"),
            ("fa47c35000", "100000.0"),
            ("f4", "false"),
            ("f6", "null"),
            ("f7", "undefined"),
            ("f0", "simple(16)"),
            (
                "c074323031332d30332d32315432303a30343a30305a",
                "0(\"2013-03-21T20:04:00Z\")",
            ),
            ("4401020304", "h'01020304'"),
            ("6449455446", "\"IETF\""),
            ("83010203", "[1, 2, 3]"),
            ("a201020304", "{1: 2, 3: 4}"),
            ("5f42010243030405ff", "h'0102030405'"),
            ("7f657374726561646d696e67ff", "\"streaming\""),
            ("9f018202039f0405ffff", "[1, [2, 3], [4, 5]]"),
            ("bf61610161629f0203ffff", "{\"a\": 1, \"b\": [2, 3]}"),
        ] {
            assert_eq!(cbor(&hex::decode(h).unwrap()).unwrap().text(), text, "{h}");
        }
        assert!(f16(0x7c00).is_infinite());
        assert!(f16(0x7e00).is_nan());
        for (h, what) in [
            ("1c", "reserved"),
            ("ff", "a break outside"),
            ("5f01ff", "chunk of another type"),
            ("9b00000000ffffffff", "items"),
            ("1f", "cannot have an indefinite length"),
            ("62ffff", "not UTF-8"),
            ("0000", "1 bytes after"),
        ] {
            let e = cbor(&hex::decode(h).unwrap()).unwrap_err();
            assert!(e.what.contains(what), "{h}: {}", e.what);
        }
        let deep = vec![0x81; MAX_DEPTH + 2];
        assert!(cbor(&deep).unwrap_err().what.contains("nested deeper"));
    }
}
