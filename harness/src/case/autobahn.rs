//! Autobahn|Testsuite case ids, for a case's `autobahn:` field: which Autobahn case a WebSocket
//! case stands for. Only ids Autobahn has (categories 1–7, 9, 10, 12 and 13) are accepted, so a
//! typo is a load error at the value rather than a silent gap in docs/autobahn.md.

use serde::{Deserialize, Deserializer};

use super::OneOrMany;

/// Autobahn's case groups and how many cases each holds: group `g` with `n` cases has the ids
/// `g.1` … `g.n`. From Autobahn's case list (crossbario/autobahn-testsuite); the test
/// harness/tests/autobahn.rs checks it against the inventory in harness/tests/data/autobahn-cases.md.
const GROUPS: &[(&str, u32)] = &[
    ("1.1", 8),
    ("1.2", 8),
    ("2", 11),
    ("3", 7),
    ("4.1", 5),
    ("4.2", 5),
    ("5", 20),
    ("6.1", 3),
    ("6.2", 4),
    ("6.3", 2),
    ("6.4", 4),
    ("6.5", 5),
    ("6.6", 11),
    ("6.7", 4),
    ("6.8", 2),
    ("6.9", 4),
    ("6.10", 3),
    ("6.11", 5),
    ("6.12", 8),
    ("6.13", 5),
    ("6.14", 10),
    ("6.15", 1),
    ("6.16", 3),
    ("6.17", 5),
    ("6.18", 5),
    ("6.19", 5),
    ("6.20", 7),
    ("6.21", 8),
    ("6.22", 34),
    ("6.23", 7),
    ("7.1", 6),
    ("7.3", 6),
    ("7.5", 1),
    ("7.7", 13),
    ("7.9", 9),
    ("7.13", 2),
    ("9.1", 6),
    ("9.2", 6),
    ("9.3", 9),
    ("9.4", 9),
    ("9.5", 6),
    ("9.6", 6),
    ("9.7", 6),
    ("9.8", 6),
    ("10.1", 1),
    ("12.1", 18),
    ("12.2", 18),
    ("12.3", 18),
    ("12.4", 18),
    ("12.5", 18),
    ("13.1", 18),
    ("13.2", 18),
    ("13.3", 18),
    ("13.4", 18),
    ("13.5", 18),
    ("13.6", 18),
    ("13.7", 18),
];

/// Every Autobahn case id of categories 1–7, 9, 10, 12 and 13, in Autobahn's order.
pub fn ids() -> Vec<String> {
    GROUPS.iter().flat_map(|(g, n)| (1..=*n).map(move |i| format!("{g}.{i}"))).collect()
}

/// Whether `id` is an Autobahn case id of categories 1–7, 9, 10, 12 or 13.
pub fn is_known(id: &str) -> bool {
    let Some((group, last)) = id.rsplit_once('.') else { return false };
    // `last` is a plain positive decimal: no sign, no leading zero.
    let Ok(n) = last.parse::<u32>() else { return false };
    if last.starts_with(['0', '+']) {
        return false;
    }
    GROUPS.iter().any(|(g, count)| *g == group && (1..=*count).contains(&n))
}

/// Checks one id: its form (numbers joined by dots, `6.4.1`) and that Autobahn has it.
pub fn check(id: &str) -> Result<(), String> {
    let well_formed = !id.is_empty() && id.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(format!("invalid Autobahn case id \"{id}\": write numbers joined by dots, such as \"6.4.1\""));
    }
    if !is_known(id) {
        return Err(format!(
            "unknown Autobahn case id \"{id}\": not one of Autobahn's cases in categories 1-7, 9, 10, 12 and 13 \
             (harness/tests/data/autobahn-cases.md lists them)"
        ));
    }
    Ok(())
}

/// Deserializes a case's `autobahn:` (one id or a list); errors point at the value.
pub fn field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OneOrMany<String>>, D::Error> {
    let ids = OneOrMany::<String>::deserialize(d)?;
    if ids.as_slice().is_empty() {
        return Err(serde::de::Error::custom("autobahn: an empty list names no Autobahn case; leave the field out"));
    }
    for id in ids.as_slice() {
        check(id).map_err(serde::de::Error::custom)?;
    }
    Ok(Some(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_category_are_autobahns() {
        let ids = ids();
        let count = |c: &str| ids.iter().filter(|i| i.split('.').next() == Some(c)).count();
        let counts: Vec<usize> = ["1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13"].iter().map(|c| count(c)).collect();
        assert_eq!(counts, [16, 11, 7, 10, 20, 145, 37, 54, 1, 90, 126]);
    }

    #[test]
    fn ids_are_checked_for_form_and_existence() {
        for ok in ["1.1.1", "2.11", "6.22.34", "7.13.2", "10.1.1", "13.7.18"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in ["", "6.4", "6.4.0", "6.4.5", "6.04.1", "8.1.1", "2.12", "6.4.01", "x", "6..1", "6.4.1 "] {
            assert!(check(bad).is_err(), "{bad:?} accepted");
        }
    }
}
