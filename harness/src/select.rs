//! Which cases a run takes: id filters (substrings, like `cargo test`), `--skip`, protocols
//! (`--only http1,h2`) and the rules cases cite (`--spec 'RFC 9112 §7.1'`).
//!
//! Every case belongs to exactly one protocol family for `--only`: `sse` when it is a
//! Server-Sent Events case (see [`Family::of`]), otherwise its wire protocol. So `--only http1`
//! and `--only sse` split the suites the way `cases/http1` and `cases/sse` do, and the SSE
//! cases carried over HTTP/1.x or HTTP/2 are chosen with `sse`, not with `http1` or `h2`.

use std::fmt;

use crate::case::load::LoadedCase;
use crate::case::{Case, Protocol};

/// A protocol family that `--only` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `http/1.0` cases.
    Http10,
    /// `http/1.1` cases.
    Http11,
    /// `h2` cases.
    H2,
    /// `websocket` cases.
    WebSocket,
    /// Server-Sent Events cases, whatever HTTP version carries them.
    Sse,
}

/// The names `--only` accepts, for messages and help.
pub const FAMILY_NAMES: &str = "http1 (= http/1.0 + http/1.1), http/1.0, http/1.1, h2, ws (or websocket), sse";

impl Family {
    /// The family of `case`. A case is a Server-Sent Events case when it requires the `sse` or
    /// `seed-sse` capability (every built-in SSE case does), or when a folder-like segment of
    /// its id is `sse` (`sse/…`, `seed/sse/…`, `client/sse/…`), so a user's own SSE cases
    /// count when named that way.
    pub fn of(case: &Case) -> Family {
        let needs_sse = case.requires.iter().any(|r| r == "sse" || r == "seed-sse");
        let mut segments: Vec<&str> = case.id.split('/').collect();
        segments.pop(); // the last segment is the case's own name, not a folder
        if needs_sse || segments.contains(&"sse") {
            return Family::Sse;
        }
        match case.protocol {
            Protocol::Http10 => Family::Http10,
            Protocol::Http11 => Family::Http11,
            Protocol::H2 => Family::H2,
            Protocol::Ws => Family::WebSocket,
        }
    }

    /// The families one `--only` word names (`http1` names two); an unknown word is an error
    /// that lists the known ones.
    pub fn parse(word: &str) -> Result<Vec<Family>, String> {
        Ok(match word.trim().to_ascii_lowercase().as_str() {
            "http1" | "http/1" | "http/1.x" => vec![Family::Http10, Family::Http11],
            "http/1.0" | "http1.0" => vec![Family::Http10],
            "http/1.1" | "http1.1" => vec![Family::Http11],
            "h2" | "http2" | "http/2" => vec![Family::H2],
            "ws" | "websocket" => vec![Family::WebSocket],
            "sse" => vec![Family::Sse],
            _ => return Err(format!("unknown protocol `{word}`; known: {FAMILY_NAMES}")),
        })
    }
}

/// One rule a `spec:` field cites: a document (`RFC 9112`, `WHATWG HTML`) and maybe a
/// section (`7.1`, `9.2.6`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The document, compared without case and whitespace (`RFC9112` = `rfc 9112`).
    document: String,
    /// The section number after `§`, if any.
    section: Option<String>,
}

impl Citation {
    /// The citations in a `spec:` text. Parenthesised remarks are dropped; citations are
    /// separated by `,` or `;`; a bare `§section` takes the document of the citation before it:
    /// `RFC 7541 §6.2.3, §5.2, RFC 9113 §4.3` cites RFC 7541 §6.2.3 and §5.2, and RFC 9113 §4.3.
    /// Words after a section number (`§6.3 item 4`) are not part of it.
    pub fn parse_all(spec: &str) -> Vec<Citation> {
        let mut plain = String::with_capacity(spec.len());
        let mut depth = 0usize;
        for c in spec.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ if depth == 0 => plain.push(c),
                _ => {}
            }
        }
        let mut citations = Vec::new();
        let mut document = String::new();
        for part in plain.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
            let (named, section) = match part.split_once('§') {
                Some((named, rest)) => {
                    let number: String = rest.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
                    (named, Some(number.trim_end_matches('.').to_ascii_lowercase()).filter(|s| !s.is_empty()))
                }
                None => (part, None),
            };
            let named = normalise(named);
            if !named.is_empty() {
                document = named;
            }
            if document.is_empty() {
                continue; // `§7.1` with no document before it cites nothing we can name
            }
            citations.push(Citation { document: document.clone(), section });
        }
        citations
    }

    /// Whether this citation (from a case) falls under `query`: the same document, and the
    /// query's section or one of its subsections (`§7.1` covers `§7.1` and `§7.1.2`, not
    /// `§7.10`). A query without a section covers the whole document.
    pub fn within(&self, query: &Citation) -> bool {
        if self.document != query.document {
            return false;
        }
        match (&query.section, &self.section) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(q), Some(s)) => s == q || s.strip_prefix(q.as_str()).is_some_and(|rest| rest.starts_with('.')),
        }
    }
}

/// Lower case, whitespace removed.
fn normalise(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// A `--spec` argument: the citations it names, and its text for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecQuery {
    /// As the user wrote it.
    pub text: String,
    citations: Vec<Citation>,
}

impl SpecQuery {
    /// Parses a `--spec` value, in the form cases use: `RFC 9112 §7.1`, `RFC 9112` (the whole
    /// document), `RFC 9113 §6.1, §8.1`, `WHATWG HTML §9.2`. A section number without `§`
    /// (`RFC 9112 7.1`) is an error rather than a document that matches nothing.
    pub fn parse(text: &str) -> Result<SpecQuery, String> {
        let citations = Citation::parse_all(text);
        if citations.is_empty() {
            return Err(format!("`{text}` names no document; write e.g. 'RFC 9112 §7.1' or 'RFC 9112'"));
        }
        for part in text.split([',', ';']) {
            let forgot_section_sign = !part.contains('§')
                && part.split_whitespace().skip(1).any(|w| w.contains('.') && w.chars().all(|c| c.is_ascii_digit() || c == '.'));
            if forgot_section_sign {
                return Err(format!("write the section with §, e.g. 'RFC 9112 §7.1' (`{}` has a number but no §)", part.trim()));
            }
        }
        Ok(SpecQuery { text: text.to_string(), citations })
    }

    /// Whether a case with this `spec:` text cites something the query covers.
    pub fn matches(&self, spec: Option<&str>) -> bool {
        let Some(spec) = spec else { return false };
        Citation::parse_all(spec).iter().any(|cited| self.citations.iter().any(|q| cited.within(q)))
    }
}

impl fmt::Display for SpecQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Everything that chooses cases; an empty selection takes every case.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Id filters: a case is taken when its id contains one (or equals one, with `exact`).
    pub filters: Vec<String>,
    /// Cases whose id contains one of these are left out.
    pub skip: Vec<String>,
    /// Filters match whole ids.
    pub exact: bool,
    /// Protocol families to take (empty: all).
    pub only: Vec<Family>,
    /// Rules to take (empty: all); a case is taken when its `spec:` cites any of them.
    pub specs: Vec<SpecQuery>,
}

impl Selection {
    /// Whether `case` is taken.
    pub fn takes(&self, case: &Case) -> bool {
        let id = &case.id;
        let by_id = self.filters.is_empty() || self.filters.iter().any(|f| if self.exact { id == f } else { id.contains(f.as_str()) });
        by_id
            && !self.skip.iter().any(|s| id.contains(s.as_str()))
            && (self.only.is_empty() || self.only.contains(&Family::of(case)))
            && (self.specs.is_empty() || self.specs.iter().any(|q| q.matches(case.spec.as_deref())))
    }

    /// The cases taken, in their order.
    pub fn apply(&self, cases: Vec<LoadedCase>) -> Vec<LoadedCase> {
        cases.into_iter().filter(|c| self.takes(&c.case)).collect()
    }

    /// The `--spec` queries that no case in `cases` cites (worth a warning: a typo selects
    /// nothing silently otherwise).
    pub fn unmatched_specs<'a>(&'a self, cases: &[LoadedCase]) -> Vec<&'a SpecQuery> {
        self.specs.iter().filter(|q| !cases.iter().any(|c| q.matches(c.case.spec.as_deref()))).collect()
    }
}

/// The candidates closest to `word` (edit distance at most a third of its length, at least 2;
/// or a candidate that contains it or that it contains), closest first, at most three: for
/// "did you mean" in messages.
pub fn near_matches<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| {
            let d = edit_distance(word, c);
            let contained = word.len() >= 3 && (c.contains(word) || word.contains(c) && c.len() >= 3);
            (d <= limit || contained).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn near_matches_are_close_or_contained_and_closest_first() {
        let names = ["seed-files", "sse", "websocket", "h2-concurrent-requests"];
        assert_eq!(near_matches("seed-file", names), ["seed-files"]);
        assert_eq!(near_matches("websockets", names), ["websocket"]);
        assert_eq!(near_matches("concurrent", names), ["h2-concurrent-requests"]);
        assert!(near_matches("gopher", names).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    use super::*;

    fn case(yaml: &str) -> Case {
        serde_norway::from_str(yaml).expect("a valid case")
    }

    fn query(text: &str) -> SpecQuery {
        SpecQuery::parse(text).unwrap()
    }

    #[test]
    fn a_section_matches_itself_and_its_subsections_only() {
        let q = query("RFC 9112 §7.1");
        assert!(q.matches(Some("RFC 9112 §7.1")));
        assert!(q.matches(Some("RFC 9112 §7.1.2")));
        assert!(q.matches(Some("RFC 9112 §7.1.2.3")));
        assert!(!q.matches(Some("RFC 9112 §7.10")));
        assert!(!q.matches(Some("RFC 9112 §7")));
        assert!(!q.matches(Some("RFC 9112 §17.1")));
        assert!(!q.matches(Some("RFC 9113 §7.1")), "another document");
        assert!(!q.matches(None));
    }

    #[test]
    fn every_citation_of_a_spec_counts_and_bare_sections_inherit_the_document() {
        let q = query("RFC 7541 §5.2");
        assert!(q.matches(Some("RFC 7541 §6.2.3, §5.2, RFC 9113 §4.3")));
        assert!(!q.matches(Some("RFC 7541 §6.2.3, RFC 9113 §5.2")));
        assert!(query("RFC 9113 §4.3").matches(Some("RFC 7541 §6.2.3, §5.2, RFC 9113 §4.3")));
        assert!(query("RFC 9110 §8.6").matches(Some("RFC 9112 §6.3 item 5; RFC 9110 §8.6")));
        assert!(query("RFC 9112 §6.3").matches(Some("RFC 9112 §6.3 item 5; RFC 9110 §8.6")), "words after the number are not part of it");
        assert!(query("RFC 9112 §11.2").matches(Some("RFC 9112 §6.3 item 3, §11.2")));
    }

    #[test]
    fn remarks_in_parentheses_do_not_split_or_cite() {
        let spec = "WHATWG HTML §9.2.6 (field name \"id\"; last event ID set at dispatch), §9.2.3 (reconnection time)";
        assert!(query("WHATWG HTML §9.2.3").matches(Some(spec)));
        assert!(query("WHATWG HTML §9.2").matches(Some(spec)));
        assert!(!query("WHATWG HTML §9.2.4").matches(Some(spec)));
        assert_eq!(Citation::parse_all(spec).len(), 2);
    }

    #[test]
    fn documents_compare_without_case_or_spaces_and_a_bare_document_covers_all_of_it() {
        assert!(query("rfc9112 §7.1").matches(Some("RFC 9112 §7.1.1")));
        assert!(query("RFC 6455").matches(Some("\"RFC 6455 §5.2\"".trim_matches('"'))));
        assert!(query("WHATWG HTML").matches(Some("WHATWG HTML §9.2.6; RFC 9113 §6.1, §8.1")));
        assert!(!query("RFC 9112").matches(Some("RFC 9113 §8.1")));
        assert!(query("RFC 9113 §6.1, §8.1").matches(Some("RFC 9113 §8.1.1")), "a query may cite several sections");
    }

    #[test]
    fn a_section_without_the_section_sign_or_no_document_is_an_error() {
        assert!(SpecQuery::parse("RFC 9112 7.1").unwrap_err().contains("§"));
        assert!(SpecQuery::parse("§7.1").is_err());
        assert!(SpecQuery::parse("").is_err());
        assert!(SpecQuery::parse("RFC 9112").is_ok());
    }

    #[test]
    fn protocol_words_name_families_and_unknown_words_are_errors() {
        assert_eq!(Family::parse("http1").unwrap(), vec![Family::Http10, Family::Http11]);
        assert_eq!(Family::parse("HTTP/1.0").unwrap(), vec![Family::Http10]);
        assert_eq!(Family::parse("http/1.1").unwrap(), vec![Family::Http11]);
        assert_eq!(Family::parse("h2").unwrap(), vec![Family::H2]);
        assert_eq!(Family::parse("ws").unwrap(), Family::parse("websocket").unwrap());
        assert_eq!(Family::parse("sse").unwrap(), vec![Family::Sse]);
        let e = Family::parse("http3").unwrap_err();
        assert!(e.contains("http3") && e.contains("websocket"), "{e}");
    }

    #[test]
    fn sse_cases_are_known_by_capability_or_id_folder() {
        let plain = case("id: http1.1/x\nprotocol: http/1.1\nsteps: []\n");
        assert_eq!(Family::of(&plain), Family::Http11);
        let by_capability = case("id: x\nprotocol: h2\nrequires: [sse, h2]\nsteps: []\n");
        assert_eq!(Family::of(&by_capability), Family::Sse);
        let seed = case("id: seed/sse/x\nprotocol: http/1.0\nsteps: []\n");
        assert_eq!(Family::of(&seed), Family::Sse);
        let named_sse = case("id: http1.1/sse\nprotocol: http/1.1\nsteps: []\n");
        assert_eq!(Family::of(&named_sse), Family::Http11, "only folders count, not the case's own name");
        assert_eq!(Family::of(&case("id: ws/x\nprotocol: websocket\nsteps: []\n")), Family::WebSocket);
    }

    #[test]
    fn a_selection_takes_the_intersection_of_its_parts() {
        let c = case("id: http1.1/chunked/x\nprotocol: http/1.1\nspec: RFC 9112 §7.1.2\nsteps: []\n");
        let mut s = Selection::default();
        assert!(s.takes(&c));
        s.only = Family::parse("http1").unwrap();
        assert!(s.takes(&c));
        s.specs = vec![query("RFC 9112 §7.1"), query("RFC 9113")];
        assert!(s.takes(&c));
        s.filters = vec!["chunked".into()];
        assert!(s.takes(&c));
        s.skip = vec!["/x".into()];
        assert!(!s.takes(&c));
        s.skip.clear();
        s.only = Family::parse("h2").unwrap();
        assert!(!s.takes(&c));
        s.only.clear();
        s.specs = vec![query("RFC 9112 §7.10")];
        assert!(!s.takes(&c));
        s.specs.clear();
        s.exact = true;
        assert!(!s.takes(&c), "exact filters match whole ids");
    }
}
