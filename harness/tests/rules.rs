//! Every built-in case (cases/, both roles) quotes the sentence it enforces, the quote is in the
//! section its `spec:` cites, and its `level` follows the quote's keyword.
//!
//! # What is checked, per case
//! - It has a `spec:` and a `rule:`.
//! - When the first document its `spec:` names is held in specs/ (RFC 9110, 9112, 9113, 6455),
//!   the quote occurs, normalised, inside one of the sections `spec:` lists for that document
//!   (a section includes its subsections). The failure names the section where the quote was
//!   found instead, or the longest start of the quote found in the cited section.
//! - The level: the strongest BCP 14 keyword in the quote sets it. MUST, MUST NOT, REQUIRED,
//!   SHALL, SHALL NOT → `must`; SHOULD, SHOULD NOT, (NOT) RECOMMENDED → `should`; MAY, OPTIONAL or
//!   none → `may`. In RFC text only the uppercase words count (RFC 8174). WHATWG texts (HTML,
//!   Fetch) write their RFC 2119 keywords in lowercase ("For readability, these words do not
//!   appear in all uppercase letters in this specification"), so for a quote from them the
//!   words count in any case. Their algorithms state each step without a keyword and bind the
//!   whole algorithm by one sentence ("Lines must be processed, in the order they are received,
//!   as follows:", "When a user agent is to reestablish the connection, the user agent must run
//!   the following steps."): a case enforcing a step quotes that sentence and names the step in
//!   a parenthesis of `spec:`. A step no "must" binds (the format's MIME type, what a server
//!   sends) is quoted as it stands, at `may`.
//! - Cases whose quote comes from a text not held (RFC 7541, 1945, 7692, 8441, WHATWG HTML...)
//!   are printed as checked by hand; their level is still checked against the quote.
//!
//! # How `spec:` is read
//! Parenthesised notes are dropped. A document name (`RFC 9113`, `WHATWG HTML`, `Fetch`) starts a
//! document; each `§N.N` (or `Appendix C.2.2`) after it, up to the next document name, is one of
//! its sections. `item 5.4` (a list item inside the section) is ignored. The quote comes from the
//! **first** document named; any section listed for it may hold the quote. Examples:
//! - `RFC 9113 §5.4.1` → RFC 9113, section 5.4.1 (with 5.4.1.x).
//! - `RFC 9113 §6.2, §6.10` → RFC 9113, section 6.2 or 6.10.
//! - `RFC 9112 §9.6; RFC 9110 §7.6.1` → RFC 9112 §9.6 (the RFC 9110 section is context).
//! - `RFC 6455 §4.2.1 item 5.4, §5.5.1` → RFC 6455, section 4.2.1 or 5.5.1.
//! - `RFC 9112 §9.3, Appendix C.2.2` → RFC 9112, section 9.3 or appendix C.2.2.
//! - `WHATWG HTML §9.2.6 (dispatch); RFC 9112 §6.3` → WHATWG HTML: not held, checked by hand.
//!
//! # Normalisation (quote and text alike)
//! Runs of whitespace become one space; curly quotes become straight ones; an em dash becomes
//! `--`. In the plain-text RFCs, page headers and footers are dropped and a line ending in a
//! hyphen joins the next without a space (`end-\n of-stream` → `end-of-stream`). In the HTML ones,
//! tags are removed (block tags become a space, inline ones — `<em>`, `<a>`, `<cite>`... —
//! nothing), entities are decoded, and the pilcrows, soft hyphens and zero-width spaces go.
//!
//! # Subsets
//! `PEERSPEC_RULES_ONLY=cases/h2,cases/client/h2 cargo test --locked --test rules` checks only the
//! case files under those folders (or files), and fails on any problem there. Without it, every
//! folder of [`DONE`] is held to the checks and the problems elsewhere are only counted.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use peerspec::case::Level;
use peerspec::run::plan::load_paths;
use regex::Regex;

/// Where every case is held to its quote and level: every built-in case.
const DONE: &[&str] = &["cases"];

/// Comma-separated folders (or files) to check, strictly, instead of [`DONE`].
const ONLY_VAR: &str = "PEERSPEC_RULES_ONLY";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------------------------------------
// Normalisation

/// Whitespace runs → one space; curly quotes → straight; em dash → `--`.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let mapped: &str = match c {
            '\u{201C}' | '\u{201D}' => "\"",
            '\u{2018}' | '\u{2019}' => "'",
            '\u{2014}' => "--",
            '\u{2011}' => "-",
            '\u{00AD}' | '\u{200B}' | '\u{00B6}' => "",
            c if c.is_whitespace() => {
                space = true;
                continue;
            }
            _ => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
                continue;
            }
        };
        if mapped.is_empty() {
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push_str(mapped);
    }
    out
}

/// One chunk of a document: the text under a heading, up to the next heading.
struct Chunk {
    /// The heading's section number (`5.4.1`, `C.2.2`); `None` for unnumbered headings and
    /// the front matter.
    number: Option<String>,
    text: String,
}

/// A held specification text, split at its headings.
struct SpecText {
    /// `RFC 9113`.
    name: String,
    /// Normalised text, chunks joined by a space.
    text: String,
    /// (number, start offset in `text`) per heading, in order.
    headings: Vec<(Option<String>, usize)>,
}

impl SpecText {
    fn from_chunks(name: &str, chunks: Vec<Chunk>) -> SpecText {
        let mut text = String::new();
        let mut headings = Vec::new();
        for c in chunks {
            if !text.is_empty() {
                text.push(' ');
            }
            headings.push((c.number, text.len()));
            text.push_str(&normalise(&c.text));
        }
        SpecText { name: name.to_string(), text, headings }
    }

    /// An RFC in the RFC Editor's plain-text form: headings start at column 0.
    fn from_txt(name: &str, raw: &str) -> SpecText {
        let numbered = Regex::new(r"^(?:Appendix )?([0-9A-Z]+(?:\.[0-9]+)*)\.\s").unwrap();
        let page_footer = Regex::new(r"\[Page \d+\]\s*$").unwrap();
        let page_header = Regex::new(r"^RFC \d+\s{2,}").unwrap();
        let mut chunks = vec![Chunk { number: None, text: String::new() }];
        for line in raw.lines() {
            let line = line.trim_end_matches('\u{c}');
            if page_footer.is_match(line) || page_header.is_match(line) || line.trim().is_empty() {
                continue;
            }
            if !line.starts_with(' ') {
                let number = numbered.captures(line).map(|c| c[1].to_string());
                chunks.push(Chunk { number, text: String::new() });
            }
            let cur = &mut chunks.last_mut().unwrap().text;
            // A line broken after a hyphen joins the next without a space.
            let joins = cur.ends_with('-') && cur[..cur.len() - 1].ends_with(|c: char| c.is_alphanumeric());
            if !joins {
                cur.push('\n');
            }
            cur.push_str(if joins { line.trim_start() } else { line });
        }
        SpecText::from_chunks(name, chunks)
    }

    /// An RFC as HTML with headings `<hN id="rfc.section.N.N">` (xml2rfc's rfc2629.xslt form).
    fn from_html(name: &str, raw: &str) -> SpecText {
        let heading = Regex::new(r#"<h[1-6](?:\s[^>]*)?>"#).unwrap();
        let id = Regex::new(r#"\bid="rfc\.section\.([0-9A-Z]+(?:\.[0-9]+)*)""#).unwrap();
        let body = raw.find("<body").map_or(raw, |i| &raw[i..]);
        let mut chunks = Vec::new();
        let mut last = 0;
        let mut number = None;
        for m in heading.find_iter(body) {
            chunks.push(Chunk { number: number.take(), text: html_to_text(&body[last..m.start()]) });
            number = id.captures(m.as_str()).map(|c| c[1].to_string());
            last = m.start();
        }
        chunks.push(Chunk { number, text: html_to_text(&body[last..]) });
        SpecText::from_chunks(name, chunks)
    }

    /// The normalised text of section `number`, with its subsections.
    fn section(&self, number: &str) -> Option<&str> {
        let i = self.headings.iter().position(|(n, _)| n.as_deref() == Some(number))?;
        let start = self.headings[i].1;
        let sub = format!("{number}.");
        let end = self.headings[i + 1..]
            .iter()
            .find(|(n, _)| !n.as_deref().is_some_and(|n| n.starts_with(&sub)))
            .map_or(self.text.len(), |(_, at)| *at);
        Some(&self.text[start..end])
    }

    /// The innermost numbered section holding byte `at` of the text.
    fn section_at(&self, at: usize) -> Option<&str> {
        self.headings.iter().take_while(|(_, start)| *start <= at).last().and_then(|(n, _)| n.as_deref())
    }
}

/// HTML to text: tags removed (block tags become a space), entities decoded.
fn html_to_text(html: &str) -> String {
    const BLOCK: &[&str] = &[
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "pre", "br", "table", "tr", "td", "th", "thead", "tbody", "caption", "section",
        "aside", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "nav", "header", "address",
    ];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>();
        if BLOCK.contains(&name.to_ascii_lowercase().as_str()) {
            out.push(' ');
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    static ENTITY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);").unwrap());
    ENTITY
        .replace_all(s, |c: &regex::Captures| {
            let e = &c[1];
            let ch = if let Some(hex) = e.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = e.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                match e {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    "shy" => Some('\u{AD}'),
                    "mdash" => Some('\u{2014}'),
                    _ => None,
                }
            };
            ch.map_or_else(|| c[0].to_string(), |c| c.to_string())
        })
        .into_owned()
}

/// The texts held in specs/, by the name `spec:` uses.
fn held_specs() -> &'static [SpecText] {
    static SPECS: LazyLock<Vec<SpecText>> = LazyLock::new(load_specs);
    &SPECS
}

fn load_specs() -> Vec<SpecText> {
    let dir = repo_root().join("specs");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("specs/{f}: {e}"));
    vec![
        SpecText::from_txt("RFC 9113", &read("rfc9113.txt")),
        SpecText::from_txt("RFC 6455", &read("rfc6455.txt")),
        SpecText::from_html("RFC 9110", &read("rfc9110.html")),
        SpecText::from_html("RFC 9112", &read("rfc9112.html")),
    ]
}

// ---------------------------------------------------------------------------------------------
// spec: and keywords

/// One document a `spec:` names, with the sections listed for it.
#[derive(Debug, PartialEq)]
struct Cited {
    /// `RFC 9113`, `WHATWG HTML`, `Fetch`.
    doc: String,
    /// `5.4.1`, `C.2.2`.
    sections: Vec<String>,
}

/// Reads a `spec:` value: documents in order, each with its sections (see the module doc).
fn parse_spec(spec: &str) -> Vec<Cited> {
    let parens = Regex::new(r"\([^()]*\)").unwrap();
    let spec = parens.replace_all(spec, " ");
    let token = Regex::new(
        r"(?P<doc>RFC\s*\d+|WHATWG\s+HTML|WHATWG\s+Fetch|Fetch)|§\s*(?P<sec>[0-9A-Z]+(?:\.[0-9]+)*)|Appendix\s+(?P<app>[A-Z](?:\.[0-9]+)*)",
    )
    .unwrap();
    let mut out: Vec<Cited> = Vec::new();
    for c in token.captures_iter(&spec) {
        if let Some(d) = c.name("doc") {
            let doc = d.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            let doc = doc.strip_prefix("RFC").map_or(doc.clone(), |n| format!("RFC {}", n.trim()));
            out.push(Cited { doc, sections: Vec::new() });
        } else if let Some(s) = c.name("sec").or(c.name("app")) {
            if let Some(last) = out.last_mut() {
                last.sections.push(s.as_str().trim_end_matches('.').to_string());
            }
        }
    }
    out
}

/// Whether a document writes its BCP 14 keywords in lowercase (the WHATWG standards).
fn lowercase_keywords(doc: &str) -> bool {
    doc.starts_with("WHATWG") || doc == "Fetch"
}

/// The level the quote's strongest keyword sets.
fn keyword_level(quote: &str, lowercase_counts: bool) -> Level {
    let re = if lowercase_counts {
        Regex::new(r"(?i)\b(must|required|shall|should|recommended|may|optional)\b").unwrap()
    } else {
        Regex::new(r"\b(MUST|REQUIRED|SHALL|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b").unwrap()
    };
    let mut level = Level::May;
    for m in re.find_iter(quote) {
        match m.as_str().to_ascii_uppercase().as_str() {
            "MUST" | "REQUIRED" | "SHALL" => return Level::Must,
            "SHOULD" | "RECOMMENDED" => level = Level::Should,
            _ => {}
        }
    }
    level
}

/// What is wrong with one quote against its held text, if anything.
fn check_quote(spec: &SpecText, sections: &[String], quote: &str) -> Option<String> {
    if sections.is_empty() {
        return Some(format!("spec: names {} without a section", spec.name));
    }
    let q = normalise(quote);
    let mut found_sections = Vec::new();
    for s in sections {
        match spec.section(s) {
            Some(text) if text.contains(&q) => return None,
            Some(text) => found_sections.push((s, text)),
            None => return Some(format!("{} has no section {s}", spec.name)),
        }
    }
    let listed = sections.iter().map(|s| format!("§{s}")).collect::<Vec<_>>().join(", ");
    let mut msg = format!("quote not found in {} {listed}", spec.name);
    if let Some(at) = spec.text.find(&q) {
        msg += &format!("; it is in §{}", spec.section_at(at).unwrap_or("(front matter)"));
        return Some(msg);
    }
    // The longest start of the quote that is in a cited section, to show where it departs.
    let words: Vec<&str> = q.split(' ').collect();
    for k in (3..words.len()).rev() {
        let prefix = words[..k].join(" ");
        if let Some((s, text)) = found_sections.iter().find(|(_, t)| t.contains(&prefix)) {
            let at = text.find(&prefix).unwrap();
            let mut end = (at + q.len() + 20).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            msg += &format!("; its first {k} of {} words are in §{s}: «{}»", words.len(), &text[at..end]);
            return Some(msg);
        }
    }
    Some(msg)
}

// ---------------------------------------------------------------------------------------------
// The test over every case

struct Problem {
    rel: String,
    line: usize,
    id: String,
    spec: String,
    what: String,
}

fn in_folders(rel: &str, folders: &[String]) -> bool {
    folders.iter().any(|f| {
        let f = f.trim().trim_end_matches('/');
        f == "." || rel == f || rel.starts_with(&format!("{f}/"))
    })
}

#[test]
fn every_case_quotes_its_rule_at_its_level() {
    let root = repo_root();
    let cases = load_paths(&[root.join("cases")])
        .unwrap_or_else(|e| panic!("cases/ does not load: {}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
    let specs = held_specs();
    let only: Option<Vec<String>> =
        std::env::var(ONLY_VAR).ok().filter(|v| !v.trim().is_empty()).map(|v| v.split(',').map(String::from).collect());
    let strict: Vec<String> = only.clone().unwrap_or_else(|| DONE.iter().map(|s| s.to_string()).collect());

    let prefix = format!("{}/", root.display());
    let mut problems = Vec::new();
    let mut by_hand = Vec::new();
    let mut checked = 0;
    for lc in &cases {
        let rel = lc.file.strip_prefix(&prefix).unwrap_or(&lc.file).to_string();
        if only.as_ref().is_some_and(|o| !in_folders(&rel, o)) {
            continue;
        }
        checked += 1;
        let c = &lc.case;
        let spec = c.spec.clone().unwrap_or_default();
        let mut problem =
            |what: String| problems.push(Problem { rel: rel.clone(), line: lc.line, id: c.id.clone(), spec: spec.clone(), what });
        let cited = parse_spec(&spec);
        let Some(first) = cited.first() else {
            problem("no spec: naming a document".into());
            continue;
        };
        let held = specs.iter().find(|s| s.name == first.doc);
        let Some(rule) = c.rule.as_deref().filter(|r| !r.trim().is_empty()) else {
            // Without a quote, still say when the cited section does not exist.
            let missing: Vec<&String> =
                held.map(|h| first.sections.iter().filter(|s| h.section(s).is_none()).collect()).unwrap_or_default();
            match missing.is_empty() {
                true => problem("no rule:".into()),
                false => problem(format!("no rule:; and {} has no section {missing:?}", first.doc)),
            }
            continue;
        };
        match held {
            Some(text) => {
                if let Some(what) = check_quote(text, &first.sections, rule) {
                    problem(what);
                }
            }
            None => by_hand.push(format!("{rel}:{} {} [{spec}]", lc.line, c.id)),
        }
        let want = keyword_level(rule, lowercase_keywords(&first.doc));
        if want != c.level {
            problem(format!("level is {} but the quote's keyword makes it {}", c.level.name(), want.name()));
        }
    }

    if !by_hand.is_empty() {
        println!("{} cases quote texts not held in specs/ (checked by hand; levels checked):", by_hand.len());
        for b in &by_hand {
            println!("  {b}");
        }
    }
    let (hard, soft): (Vec<_>, Vec<_>) = problems.into_iter().partition(|p| in_folders(&p.rel, &strict));
    if !soft.is_empty() {
        let mut folders: Vec<(String, usize)> = Vec::new();
        for p in &soft {
            let folder = p.rel.rsplit_once('/').map_or(p.rel.as_str(), |(d, _)| d).to_string();
            match folders.iter_mut().find(|(f, _)| *f == folder) {
                Some((_, n)) => *n += 1,
                None => folders.push((folder, 1)),
            }
        }
        println!("not yet held to the rules check (set {ONLY_VAR}=<folder> to see them):");
        for (f, n) in folders {
            println!("  {f}: {n} problems");
        }
    }
    assert!(checked > 0, "{ONLY_VAR} matched no case file");
    let report: Vec<String> = hard.iter().map(|p| format!("{}:{} {} [spec: {}]\n    {}", p.rel, p.line, p.id, p.spec, p.what)).collect();
    assert!(report.is_empty(), "{} problems with quoted rules:\n{}", report.len(), report.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The section extraction, on known sentences

fn spec(name: &str) -> &'static SpecText {
    held_specs().iter().find(|s| s.name == name).unwrap()
}

#[test]
fn spec_values_parse_into_documents_and_sections() {
    let cited = |doc: &str, s: &[&str]| Cited { doc: doc.into(), sections: s.iter().map(|s| s.to_string()).collect() };
    assert_eq!(parse_spec("RFC 9113 §5.4.1"), vec![cited("RFC 9113", &["5.4.1"])]);
    assert_eq!(parse_spec("RFC 9113 §6.2, §6.10"), vec![cited("RFC 9113", &["6.2", "6.10"])]);
    assert_eq!(parse_spec("RFC 9112 §9.6; RFC 9110 §7.6.1"), vec![cited("RFC 9112", &["9.6"]), cited("RFC 9110", &["7.6.1"])]);
    assert_eq!(parse_spec("RFC 6455 §4.2.1 item 5.4, §5.5.1"), vec![cited("RFC 6455", &["4.2.1", "5.5.1"])]);
    assert_eq!(parse_spec("RFC 9112 §9.3, Appendix C.2.2"), vec![cited("RFC 9112", &["9.3", "C.2.2"])]);
    assert_eq!(
        parse_spec("WHATWG HTML §9.2.6 (dispatch at an empty line); RFC 9112 §6.3 item 8"),
        vec![cited("WHATWG HTML", &["9.2.6"]), cited("RFC 9112", &["6.3"])]
    );
    assert_eq!(parse_spec("RFC 7541 §4.2, RFC 9113 §6.5.2"), vec![cited("RFC 7541", &["4.2"]), cited("RFC 9113", &["6.5.2"])]);
}

#[test]
fn known_sentences_are_found_in_their_sections_and_not_elsewhere() {
    let h2 = spec("RFC 9113");
    let generic = "a generic error code (such as PROTOCOL_ERROR or INTERNAL_ERROR) can always be used in \
                   place of more specific error codes.";
    assert_eq!(check_quote(h2, &["5.4".into()], generic), None);
    // In 5.4's introduction, so also within 5 but not within 5.4.1.
    assert_eq!(check_quote(h2, &["5".into()], generic), None);
    let wrong = check_quote(h2, &["5.4.1".into()], generic).expect("not in §5.4.1");
    assert!(wrong.contains("it is in §5.4"), "{wrong}");
    // Subsections belong to their section; a section is not cut at a sibling with a longer number.
    let goaway = "An endpoint that encounters a connection error SHOULD first send a GOAWAY frame";
    assert_eq!(check_quote(h2, &["5.4".into()], goaway), None);
    assert_eq!(check_quote(h2, &["5.4.1".into()], goaway), None);
    assert!(check_quote(h2, &["5.4.2".into()], goaway).is_some());
    let cont = "A CONTINUATION frame MUST be preceded by a HEADERS, PUSH_PROMISE or CONTINUATION frame";
    assert!(check_quote(h2, &["6.1".into()], cont).is_some());
    assert_eq!(check_quote(h2, &["6.1".into(), "6.10".into()], cont), None);
    assert!(check_quote(h2, &["12.9".into()], cont).unwrap().contains("has no section 12.9"));

    // HTML: inline tags (<em class="bcp14">, links to RFC 9110, <cite>) and entities vanish.
    let h1 = spec("RFC 9112");
    let close = "A sender SHOULD send a Connection header field (Section 7.6.1 of [HTTP]) containing the \
                 \"close\" connection option when it intends to close a connection";
    assert_eq!(check_quote(h1, &["9.6".into()], close), None);
    assert!(check_quote(h1, &["9.5".into()], close).unwrap().contains("it is in §9.6"));
    let te_cl = "A sender MUST NOT send a Content-Length header field in any message that contains a \
                 Transfer-Encoding header field.";
    assert_eq!(check_quote(h1, &["6.2".into()], te_cl), None);
    assert_eq!(check_quote(h1, &["6".into()], te_cl), None);
    let sem = spec("RFC 9110");
    let host = "A user agent MUST generate a Host header field in a request unless it sends that information \
                as an \":authority\" pseudo-header field.";
    assert_eq!(check_quote(sem, &["7.2".into()], host), None);
    let departs = check_quote(sem, &["7.2".into()], "A user agent MUST generate a Host header field always.");
    assert!(departs.unwrap().contains("words are in §7.2"));

    // Plain text across a page break (RFC 6455 has page headers and footers).
    let ws = spec("RFC 6455");
    let mask = "The server MUST close the connection upon receiving a frame that is not masked.";
    assert_eq!(check_quote(ws, &["5.1".into()], mask), None);
    let ws_text = ws.section("5.1").unwrap();
    assert!(!ws_text.contains("[Page") && !ws_text.contains("Fette & Melnikov"), "page furniture left in");
}

#[test]
fn the_strongest_keyword_sets_the_level() {
    assert_eq!(keyword_level("A sender MUST NOT send", false), Level::Must);
    assert_eq!(keyword_level("It SHOULD send; it MAY close", false), Level::Should);
    assert_eq!(keyword_level("It MAY close; it MUST then stop", false), Level::Must);
    assert_eq!(keyword_level("is NOT RECOMMENDED", false), Level::Should);
    assert_eq!(keyword_level("The recipient typically echos the code", false), Level::May);
    // Lowercase counts only in WHATWG texts.
    assert_eq!(keyword_level("the user agent must fail the connection", false), Level::May);
    assert_eq!(keyword_level("the user agent must fail the connection", true), Level::Must);
    assert_eq!(keyword_level("authors should send a comment", true), Level::Should);
    // "MAYBE" or "Mustard" are not keywords.
    assert_eq!(keyword_level("MUSTARD and SHOULDERS", false), Level::May);
}
