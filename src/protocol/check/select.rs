//! Which cases to run: `--cases 5.*,6.4.*,H.2` (Autobahn's spelling).

use std::fmt;

/// A list of case patterns: ids, where `*` stands for any run of
/// characters (`6.4.*`, `*`), separated by commas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFilter {
    patterns: Vec<String>,
}

/// A pattern that cannot be a case id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong.
    pub why: &'static str,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}': {}", self.pattern, self.why)
    }
}

impl CaseFilter {
    /// Every case.
    pub fn all() -> Self {
        Self {
            patterns: vec!["*".into()],
        }
    }

    /// Reads `5.*,6.4.*,H.2`.
    pub fn parse(s: &str) -> Result<Self, FilterError> {
        let mut patterns = Vec::new();
        for p in s.split(',') {
            let p = p.trim();
            let bad = |why| FilterError {
                pattern: p.to_string(),
                why,
            };
            if p.is_empty() {
                return Err(bad("an empty pattern (a comma too many?)"));
            }
            if !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '*')
            {
                return Err(bad(
                    "a case id holds digits, letters, dots and * only (5.*, 6.4.*, H.2)",
                ));
            }
            patterns.push(p.to_ascii_uppercase());
        }
        Ok(Self { patterns })
    }

    /// Whether the case `id` is picked.
    pub fn picks(&self, id: &str) -> bool {
        let id = id.to_ascii_uppercase();
        self.patterns
            .iter()
            .any(|p| glob(p.as_bytes(), id.as_bytes()))
    }

    /// The patterns that pick none of `ids`.
    pub fn unmatched<'a>(&'a self, ids: &[&str]) -> Vec<&'a str> {
        self.patterns
            .iter()
            .filter(|p| {
                !ids.iter()
                    .any(|id| glob(p.as_bytes(), id.to_ascii_uppercase().as_bytes()))
            })
            .map(String::as_str)
            .collect()
    }
}

/// `*` matches any run of bytes; everything else matches itself. A
/// pattern ending in `.*` also matches the id without it (`6.4.*` picks
/// nothing called `6.4`, but `5.*` picks `5.1`).
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_pick_what_autobahn_would() {
        let f = CaseFilter::parse("5.*, 6.4.*,h.2").unwrap();
        assert!(f.picks("5.1"));
        assert!(f.picks("5.20"));
        assert!(f.picks("6.4.3"));
        assert!(!f.picks("6.4"));
        assert!(!f.picks("6.5.1"));
        assert!(f.picks("H.2"));
        assert!(!f.picks("H.20"));
        assert!(!f.picks("15.1"));
        assert!(CaseFilter::all().picks("12.3.4"));
        assert!(CaseFilter::parse("1.1.1").unwrap().picks("1.1.1"));
        assert!(!CaseFilter::parse("1.1.1").unwrap().picks("1.1.10"));
        assert_eq!(f.unmatched(&["5.1", "H.2"]), vec!["6.4.*"]);
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        let e = CaseFilter::parse("5.*,,6.*").unwrap_err();
        assert!(e.why.contains("empty"));
        let e = CaseFilter::parse("5.[1-3]").unwrap_err();
        assert_eq!(e.pattern, "5.[1-3]");
    }
}
