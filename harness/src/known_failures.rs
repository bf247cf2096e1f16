//! Known-failures lists: the cases a target is known to fail, each with its reason.
//!
//! The format: one case id a line; `#` comment lines; blank lines. The reason of an id is the
//! comment paragraph above it (the `#` lines since the last blank line before the first id of
//! its group), so a list reads as rule, what the peer does, then the cases:
//!
//! ```text
//! # RFC 9113 §8.1: trailers MUST NOT include pseudo-header fields. h2 accepts `:method`.
//! h2/8.3/pseudo-header-in-trailers
//! ```
//!
//! A listed case that fails is an *expected failure*: reported with its reason, not failing the
//! run. A setup or authoring error is never forgiven (the list is about the peer, not about the
//! environment).

use crate::run::{CaseResult, Status};

/// A parsed list.
#[derive(Debug, Clone, Default)]
pub struct KnownFailures {
    /// Where the list came from, for messages (a path, or "the built-in target's list").
    pub source: String,
    entries: Vec<(String, String)>,
}

impl KnownFailures {
    /// Parses the text of a list; `source` names it in messages and in the reason of an id
    /// that has no comment.
    pub fn parse(text: &str, source: &str) -> KnownFailures {
        let mut entries = Vec::new();
        let mut paragraph: Vec<&str> = Vec::new();
        let mut after_gap = true;
        for line in text.lines().map(str::trim) {
            if line.is_empty() {
                after_gap = true;
            } else if let Some(comment) = line.strip_prefix('#') {
                if after_gap {
                    paragraph.clear();
                    after_gap = false;
                }
                paragraph.push(comment.trim());
            } else {
                after_gap = false;
                let reason = paragraph.join(" ");
                let reason = if reason.is_empty() { format!("listed in {source}") } else { reason };
                entries.push((line.to_string(), reason));
            }
        }
        KnownFailures { source: source.to_string(), entries }
    }

    /// The listed ids.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(id, _)| id.as_str())
    }

    /// The reason a listed id fails.
    pub fn reason(&self, id: &str) -> Option<&str> {
        self.entries.iter().find(|(i, _)| i == id).map(|(_, r)| r.as_str())
    }

    /// Marks a failed result as expected when the list has its id, unless it is a setup or
    /// authoring error.
    pub fn mark(&self, result: &mut CaseResult) {
        if result.status == Status::Failed && !result.is_error() {
            if let Some(reason) = self.reason(&result.id) {
                result.expected_failure = Some(reason.to_string());
            }
        }
    }

    /// Listed ids whose case passed: the list is stale.
    pub fn passed<'a>(&'a self, results: &[CaseResult]) -> Vec<&'a str> {
        self.ids().filter(|id| results.iter().any(|r| r.id == *id && r.status == Status::Passed)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_takes_the_comment_paragraph_above_its_group() {
        let list = KnownFailures::parse(
            "# A header about the whole list.\n\n# RFC 1 §2: MUST x.\n# The peer does y.\na/one\na/two\n\n# Another rule.\nb/three\nb/four\n",
            "list.txt",
        );
        assert_eq!(list.ids().collect::<Vec<_>>(), ["a/one", "a/two", "b/three", "b/four"]);
        assert_eq!(list.reason("a/one"), Some("RFC 1 §2: MUST x. The peer does y."));
        assert_eq!(list.reason("a/two"), Some("RFC 1 §2: MUST x. The peer does y."));
        assert_eq!(list.reason("b/three"), Some("Another rule."));
        let bare = KnownFailures::parse("x\n", "k.txt");
        assert_eq!(bare.reason("x"), Some("listed in k.txt"));
        assert_eq!(bare.reason("y"), None);
    }
}
