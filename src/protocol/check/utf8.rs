//! The UTF-8 sequences of section 6.5-6.23, in Autobahn's order (from
//! Markus Kuhn's UTF-8 decoder stress test), each valid or not.

/// A group of sequences: its title, and each sequence with whether it is
/// valid UTF-8.
pub struct Group {
    /// What the sequences have in common.
    pub title: &'static str,
    /// The sequences.
    pub sequences: Vec<(bool, Vec<u8>)>,
}

fn group(title: &'static str, sequences: &[(bool, &[u8])]) -> Group {
    Group {
        title,
        sequences: sequences.iter().map(|(v, s)| (*v, s.to_vec())).collect(),
    }
}

/// κόσμε: Greek, two- and three-byte sequences.
pub const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

/// The last continuation byte missing, as 6.14 and 6.15 use them.
const CUT: [&[u8]; 10] = [
    b"\xc0",
    b"\xe0\x80",
    b"\xf0\x80\x80",
    b"\xf8\x80\x80\x80",
    b"\xfc\x80\x80\x80\x80",
    b"\xdf",
    b"\xef\xbf",
    b"\xf7\xbf\xbf",
    b"\xfb\xbf\xbf\xbf",
    b"\xfd\xbf\xbf\xbf\xbf",
];

/// The groups 6.5 to 6.23, in order.
pub fn groups() -> Vec<Group> {
    let mut g = Vec::new();
    g.push(group(
        "Some valid UTF-8 sequences",
        &[
            (true, b"hello$world"),
            (true, b"hello\xc2\xa2world"),
            (true, b"hello\xe2\x82\xacworld"),
            (true, b"hello\xf0\xa4\xad\xa2world"),
            (true, KOSME),
        ],
    ));
    g.push(Group {
        title: "All prefixes of a valid UTF-8 string that contains multi-byte code points",
        sequences: (1..=KOSME.len())
            .map(|n| {
                (
                    std::str::from_utf8(&KOSME[..n]).is_ok(),
                    KOSME[..n].to_vec(),
                )
            })
            .collect(),
    });
    g.push(group(
        "First possible sequence of a certain length",
        &[
            (true, b"\x00"),
            (true, b"\xc2\x80"),
            (true, b"\xe0\xa0\x80"),
            (true, b"\xf0\x90\x80\x80"),
        ],
    ));
    g.push(group(
        "First possible sequence length 5/6 (invalid codepoints)",
        &[
            (false, b"\xf8\x88\x80\x80\x80"),
            (false, b"\xfc\x84\x80\x80\x80\x80"),
        ],
    ));
    g.push(group(
        "Last possible sequence of a certain length",
        &[
            (true, b"\x7f"),
            (true, b"\xdf\xbf"),
            (true, b"\xef\xbf\xbf"),
            (true, b"\xf4\x8f\xbf\xbf"),
        ],
    ));
    g.push(group(
        "Last possible sequence length 4/5/6 (invalid codepoints)",
        &[
            (false, b"\xf7\xbf\xbf\xbf"),
            (false, b"\xfb\xbf\xbf\xbf\xbf"),
            (false, b"\xfd\xbf\xbf\xbf\xbf\xbf"),
        ],
    ));
    g.push(group(
        "Other boundary conditions",
        &[
            (true, b"\xed\x9f\xbf"),
            (true, b"\xee\x80\x80"),
            (true, b"\xef\xbf\xbd"),
            (true, b"\xf4\x8f\xbf\xbf"),
            (false, b"\xf4\x90\x80\x80"),
        ],
    ));
    let mut unexpected = group(
        "Unexpected continuation bytes",
        &[
            (false, b"\x80"),
            (false, b"\xbf"),
            (false, b"\x80\xbf"),
            (false, b"\x80\xbf\x80"),
            (false, b"\x80\xbf\x80\xbf"),
            (false, b"\x80\xbf\x80\xbf\x80"),
            (false, b"\x80\xbf\x80\xbf\x80\xbf"),
        ],
    );
    unexpected.sequences.push((false, (0x80..0xbf).collect()));
    g.push(unexpected);
    g.push(Group {
        title: "Lonely start characters",
        sequences: [
            (0xc0u8, 0xdfu8),
            (0xe0, 0xef),
            (0xf0, 0xf7),
            (0xf8, 0xfb),
            (0xfc, 0xfd),
        ]
        .iter()
        .map(|&(from, to)| (false, (from..to).flat_map(|b| [b, b' ']).collect()))
        .collect(),
    });
    g.push(Group {
        title: "Sequences with last continuation byte missing",
        sequences: CUT.iter().map(|s| (false, s.to_vec())).collect(),
    });
    g.push(Group {
        title: "Concatenation of incomplete sequences",
        sequences: vec![(false, CUT.concat())],
    });
    g.push(group(
        "Impossible bytes",
        &[
            (false, b"\xfe"),
            (false, b"\xff"),
            (false, b"\xfe\xfe\xff\xff"),
        ],
    ));
    g.push(group(
        "Examples of an overlong ASCII character",
        &[
            (false, b"\xc0\xaf"),
            (false, b"\xe0\x80\xaf"),
            (false, b"\xf0\x80\x80\xaf"),
            (false, b"\xf8\x80\x80\x80\xaf"),
            (false, b"\xfc\x80\x80\x80\x80\xaf"),
        ],
    ));
    g.push(group(
        "Maximum overlong sequences",
        &[
            (false, b"\xc1\xbf"),
            (false, b"\xe0\x9f\xbf"),
            (false, b"\xf0\x8f\xbf\xbf"),
            (false, b"\xf8\x87\xbf\xbf\xbf"),
            (false, b"\xfc\x83\xbf\xbf\xbf\xbf"),
        ],
    ));
    g.push(group(
        "Overlong representation of the NUL character",
        &[
            (false, b"\xc0\x80"),
            (false, b"\xe0\x80\x80"),
            (false, b"\xf0\x80\x80\x80"),
            (false, b"\xf8\x80\x80\x80\x80"),
            (false, b"\xfc\x80\x80\x80\x80\x80"),
        ],
    ));
    g.push(group(
        "Single UTF-16 surrogates",
        &[
            (false, b"\xed\xa0\x80"),
            (false, b"\xed\xad\xbf"),
            (false, b"\xed\xae\x80"),
            (false, b"\xed\xaf\xbf"),
            (false, b"\xed\xb0\x80"),
            (false, b"\xed\xbe\x80"),
            (false, b"\xed\xbf\xbf"),
        ],
    ));
    g.push(group(
        "Paired UTF-16 surrogates",
        &[
            (false, b"\xed\xa0\x80\xed\xb0\x80"),
            (false, b"\xed\xa0\x80\xed\xbf\xbf"),
            (false, b"\xed\xad\xbf\xed\xb0\x80"),
            (false, b"\xed\xad\xbf\xed\xbf\xbf"),
            (false, b"\xed\xae\x80\xed\xb0\x80"),
            (false, b"\xed\xae\x80\xed\xbf\xbf"),
            (false, b"\xed\xaf\xbf\xed\xb0\x80"),
            (false, b"\xed\xaf\xbf\xed\xbf\xbf"),
        ],
    ));
    let mut nonchars = vec![
        (true, b"\xef\xbf\xbe".to_vec()),
        (true, b"\xef\xbf\xbf".to_vec()),
    ];
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            // Beyond U+10FFFF, and (F0 8F) overlong: not non-characters.
            if (z1 == 0xf4 && z2 != 0x8f) || (z1 == 0xf0 && z2 == 0x8f) {
                continue;
            }
            for z3 in [0xbeu8, 0xbf] {
                nonchars.push((true, vec![z1, z2, 0xbf, z3]));
            }
        }
    }
    g.push(Group {
        title: "Non-character code points (valid UTF-8)",
        sequences: nonchars,
    });
    g.push(group(
        "Unicode specials (i.e. replacement char)",
        &[
            (true, b"\xef\xbf\xb9"),
            (true, b"\xef\xbf\xba"),
            (true, b"\xef\xbf\xbb"),
            (true, b"\xef\xbf\xbc"),
            (true, b"\xef\xbf\xbd"),
            (true, b"\xef\xbf\xbe"),
            (true, b"\xef\xbf\xbf"),
        ],
    ));
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sequence_is_what_its_flag_says() {
        let groups = groups();
        assert_eq!(groups.len(), 19, "6.5 to 6.23");
        let counts: Vec<usize> = groups.iter().map(|g| g.sequences.len()).collect();
        assert_eq!(
            counts,
            [5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7]
        );
        for g in &groups {
            for (valid, s) in &g.sequences {
                assert_eq!(
                    std::str::from_utf8(s).is_ok(),
                    *valid,
                    "{}: {s:02x?}",
                    g.title
                );
            }
        }
    }
}
