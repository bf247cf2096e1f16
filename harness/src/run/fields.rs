//! Expectations on header fields (exact values, patterns, presence, absence), shared by every
//! check of a message with fields: responses, requests, handshakes.

/// Adds one "expected …, saw …" line to `problems`: the form of every mismatch in a report.
pub fn differ(problems: &mut Vec<String>, what: &str, expected: String, saw: String) {
    problems.push(format!("  {what}: expected {expected}, saw {saw}"));
}

pub use crate::case::FieldExpect;

impl FieldExpect<'_> {
    /// Adds a line to `problems` for every field that differs; `lookup` gives a field's value
    /// (repeated fields joined), by case-insensitive name.
    pub fn compare(&self, lookup: impl Fn(&str) -> Option<String>, problems: &mut Vec<String>) {
        let mut differ = |name: &str, expected: String, saw: String| differ(problems, &format!("header {name}"), expected, saw);
        for (name, value) in self.equal {
            match lookup(name) {
                Some(v) if &v == value => {}
                Some(v) => differ(name, format!("{value:?}"), format!("{v:?}")),
                None => differ(name, format!("{value:?}"), "no such field".into()),
            }
        }
        for (name, pattern) in self.matching {
            let re = regex::Regex::new(pattern).expect("patterns are validated when cases load");
            match lookup(name) {
                Some(v) if re.is_match(&v) => {}
                Some(v) => differ(name, format!("a match for /{pattern}/"), format!("{v:?}")),
                None => differ(name, format!("a match for /{pattern}/"), "no such field".into()),
            }
        }
        for name in self.present {
            if lookup(name).is_none() {
                differ(name, "present".into(), "absent".into());
            }
        }
        for name in self.absent {
            if let Some(v) = lookup(name) {
                differ(name, "absent".into(), format!("{v:?}"));
            }
        }
    }
}
