//! The data the compression cases send: five generated data sets of the
//! kinds Autobahn's section 12 uses (JSON, a bitmap, prose, HTML, a
//! compressed document), made here from a fixed seed, so that the battery
//! needs no files and every run sends the same bytes.

use std::sync::OnceLock;

/// A data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSet {
    /// JSON records (text).
    Json,
    /// A grey-scale bitmap with smooth areas and noise (binary).
    Bitmap,
    /// Prose made of a small vocabulary, with accented words (text).
    Prose,
    /// HTML markup around prose (text).
    Html,
    /// Data that does not compress, as a PDF's streams (binary).
    Noise,
}

/// How large each data set is.
const SIZE: usize = 300 * 1024;

impl DataSet {
    /// The five, in the order of Autobahn's 12.1-12.5.
    pub const ALL: [DataSet; 5] = [
        Self::Json,
        Self::Bitmap,
        Self::Prose,
        Self::Html,
        Self::Noise,
    ];

    /// Whether its messages are text (else binary).
    pub fn is_text(self) -> bool {
        matches!(self, Self::Json | Self::Prose | Self::Html)
    }

    /// What it is, for a case's title.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Json => "JSON records",
            Self::Bitmap => "a bitmap",
            Self::Prose => "prose with accented words",
            Self::Html => "HTML",
            Self::Noise => "incompressible data",
        }
    }

    /// The whole data set.
    pub fn bytes(self) -> &'static [u8] {
        static SETS: [OnceLock<Vec<u8>>; 5] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        SETS[i].get_or_init(|| generate(self))
    }

    /// `len` bytes from `from`, wrapping around at the end.
    pub fn window(self, from: usize, len: usize) -> Vec<u8> {
        let all = self.bytes();
        let mut out = Vec::with_capacity(len);
        let mut at = from % all.len();
        while out.len() < len {
            let take = (len - out.len()).min(all.len() - at);
            out.extend_from_slice(&all[at..at + take]);
            at = (at + take) % all.len();
        }
        out
    }
}

/// A small, fixed pseudo-random sequence (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "the",
    "server",
    "answers",
    "every",
    "frame",
    "with",
    "care",
    "and",
    "a",
    "client",
    "masks",
    "what",
    "it",
    "sends",
    "müssen",
    "Straße",
    "über",
    "grün",
    "déjà",
    "naïve",
    "message",
    "close",
    "code",
    "ping",
    "pong",
    "text",
    "binary",
    "window",
    "bits",
    "of",
    "compression",
    "over",
    "time",
    "Faust",
    "Gretchen",
    "Nacht",
    "Wald",
    "Licht",
    "und",
    "nicht",
    "ich",
    "du",
    "wir",
    "der",
    "die",
    "das",
    "ein",
    "eine",
];

fn prose(rng: &mut Rng, len: usize) -> String {
    let mut s = String::with_capacity(len + 32);
    let mut sentence = 0;
    while s.len() < len {
        let w = WORDS[rng.below(WORDS.len())];
        if sentence == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                s.extend(first.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
        sentence += 1;
        if sentence > 4 + rng.below(10) {
            s.push_str(if rng.below(5) == 0 { ".\n" } else { ". " });
            sentence = 0;
        } else {
            s.push(' ');
        }
    }
    s
}

/// Keeps whole characters of `s` within `len` bytes.
fn cut(mut s: String, len: usize) -> Vec<u8> {
    while s.len() > len {
        s.pop();
    }
    // Pad with ASCII so that every set has the same size.
    while s.len() < len {
        s.push(' ');
    }
    s.into_bytes()
}

fn generate(set: DataSet) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ set as u64);
    match set {
        DataSet::Json => {
            let mut s = String::from("[");
            let mut id = 0u64;
            while s.len() < SIZE {
                id += 1;
                let name = WORDS[rng.below(WORDS.len())];
                let score = rng.below(100_000) as f64 / 100.0;
                s.push_str(&format!(
                    "{{\"id\":{id},\"name\":\"{name}\",\"score\":{score},\"tags\":[\"{}\",\"{}\"],\"active\":{}}},\n",
                    WORDS[rng.below(WORDS.len())],
                    WORDS[rng.below(WORDS.len())],
                    rng.below(2) == 1
                ));
            }
            cut(s, SIZE)
        }
        DataSet::Bitmap => {
            let mut out = Vec::with_capacity(SIZE);
            let width = 512;
            while out.len() < SIZE {
                let y = out.len() / width;
                let x = out.len() % width;
                let smooth = ((x / 8 + y / 8) % 256) as u8;
                let noise = (rng.next() % 5) as u8;
                out.push(smooth.wrapping_add(noise));
            }
            out
        }
        DataSet::Prose => cut(prose(&mut rng, SIZE), SIZE),
        DataSet::Html => {
            let mut s =
                String::from("<!DOCTYPE html>\n<html><head><title>wsdbg</title></head><body>\n");
            while s.len() < SIZE {
                let tag = ["p", "li", "td", "h2"][rng.below(4)];
                let class = rng.below(20);
                let len = 40 + rng.below(200);
                let body = prose(&mut rng, len);
                s.push_str(&format!("<{tag} class=\"c{class}\">{body}</{tag}>\n"));
            }
            cut(s, SIZE)
        }
        DataSet::Noise => {
            let mut out = Vec::with_capacity(SIZE);
            while out.len() < SIZE {
                out.extend_from_slice(&rng.next().to_le_bytes());
            }
            out.truncate(SIZE);
            out
        }
    }
}

impl DataSet {
    /// The messages of a stream of `count` windows of `len` bytes, each
    /// starting where the last ended; for text sets the windows are moved
    /// to character boundaries, as Autobahn cuts its text by characters.
    pub fn messages(self, len: usize, count: usize) -> impl Iterator<Item = Vec<u8>> {
        let all = self.bytes();
        let text = self.is_text();
        let mut at = 0usize;
        (0..count).map(move |_| {
            let mut w = self.window(at, len);
            at = (at + len) % all.len();
            if text {
                // Trim partial characters at both ends.
                while w.first().is_some_and(|b| b & 0xc0 == 0x80) {
                    w.remove(0);
                }
                while let Err(e) = std::str::from_utf8(&w) {
                    w.truncate(e.valid_up_to());
                }
            }
            w
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_fixed_and_of_their_kind() {
        for set in DataSet::ALL {
            let a = set.bytes();
            assert_eq!(a.len(), SIZE);
            assert_eq!(a, generate(set).as_slice(), "generated twice alike");
            if set.is_text() {
                assert!(std::str::from_utf8(a).is_ok(), "{set:?} is UTF-8");
            }
        }
        assert!(std::str::from_utf8(DataSet::Noise.bytes()).is_err());
        assert!(std::str::from_utf8(DataSet::Prose.bytes())
            .unwrap()
            .contains("ü"));
    }

    #[test]
    fn windows_wrap_and_text_messages_stay_utf8() {
        let all = DataSet::Prose.bytes();
        let w = DataSet::Prose.window(SIZE - 3, 10);
        assert_eq!(&w[..3], &all[SIZE - 3..]);
        assert_eq!(&w[3..], &all[..7]);
        for m in DataSet::Prose.messages(1000, 400) {
            assert!(std::str::from_utf8(&m).is_ok());
            assert!(m.len() > 990 && m.len() <= 1000);
        }
        let bin: Vec<_> = DataSet::Noise.messages(16, 3).collect();
        assert_eq!(bin[1], all_of(DataSet::Noise)[16..32]);
    }

    fn all_of(set: DataSet) -> &'static [u8] {
        set.bytes()
    }
}
