//! Sections 12 and 13: permessage-deflate (RFC 7692), numbered as
//! Autobahn's. 12.x sends 1000 messages of each of 18 sizes (some
//! fragmented) of each of five data sets with the default offer; 13.x
//! sends the JSON set under seven offers of context takeover and window
//! bits. The data is wsdbg's own ([`super::data`]), of the same kinds as
//! Autobahn's files, so the compression ratios differ from its report but
//! the cases test the same rules.

use super::data::DataSet;
use super::{Case, Expect, Needs, Rule, Step, Want};

/// Message size, count, and largest fragment (None: one frame each), as
/// Autobahn's `MSG_SIZES`.
const SIZES: [(usize, Option<usize>); 18] = [
    (16, None),
    (64, None),
    (256, None),
    (1024, None),
    (4096, None),
    (8192, None),
    (16384, None),
    (32768, None),
    (65536, None),
    (131072, None),
    (8192, Some(256)),
    (16384, Some(256)),
    (32768, Some(256)),
    (65536, Some(256)),
    (131072, Some(256)),
    (131072, Some(1024)),
    (131072, Some(4096)),
    (131072, Some(32768)),
];

/// The offers of 13.1-13.7 (12.x uses the first).
const OFFERS: [&str; 7] = [
    "permessage-deflate; client_no_context_takeover; client_max_window_bits",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=9",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=15",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9, \
     permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, \
     permessage-deflate; client_no_context_takeover; client_max_window_bits",
];

const OFFER_NAMES: [&str; 7] = [
    "the default offer",
    "no context takeover asked of the server",
    "a server window of 9 bits asked",
    "a server window of 15 bits asked",
    "no context takeover and a 9-bit window asked",
    "no context takeover and a 15-bit window asked",
    "three offers, the strictest first",
];

const DEFLATE: Rule = Rule {
    section: "RFC 7692 §7",
    should: "agree to permessage-deflate as offered, inflate every message and echo it, compressed or not, unchanged",
};

fn case(
    id: String,
    title: String,
    set: DataSet,
    offer: &'static str,
    size: (usize, Option<usize>),
    count: usize,
) -> Case {
    Case {
        id,
        title,
        script: vec![Step::Stream {
            set,
            len: size.0,
            count,
            fragment: size.1,
        }],
        expect: Expect::echo(vec![Want::Echoes]),
        rule: DEFLATE,
        needs: Needs::Deflate(offer),
        weight: 8,
        handshake: None,
    }
}

fn title(size: (usize, Option<usize>), what: &str, count: usize) -> String {
    format!(
        "{count} messages of {} bytes{}, {what}",
        size.0,
        size.1
            .map_or(String::new(), |f| format!(" in fragments of {f}"))
    )
}

/// The cases of sections 12 and 13, with `count` messages each.
pub fn cases(count: usize) -> Vec<Case> {
    let mut all = Vec::new();
    for (j, set) in DataSet::ALL.iter().enumerate() {
        for (i, size) in SIZES.iter().enumerate() {
            all.push(case(
                format!("12.{}.{}", j + 1, i + 1),
                title(*size, set.describe(), count),
                *set,
                OFFERS[0],
                *size,
                count,
            ));
        }
    }
    for (j, offer) in OFFERS.iter().enumerate() {
        for (i, size) in SIZES.iter().enumerate() {
            all.push(case(
                format!("13.{}.{}", j + 1, i + 1),
                title(*size, OFFER_NAMES[j], count),
                DataSet::Json,
                offer,
                *size,
                count,
            ));
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autobahns_numbering() {
        let all = cases(1000);
        assert_eq!(all.len(), 216);
        assert_eq!(all[0].id, "12.1.1");
        assert_eq!(all[89].id, "12.5.18");
        assert_eq!(all[215].id, "13.7.18");
        assert!(
            matches!(all[215].needs, Needs::Deflate(o) if o.matches("permessage-deflate").count() == 3)
        );
    }
}
