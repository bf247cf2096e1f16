//! The JSON Schema of the case format, for editors (yaml-language-server) and `peerspec schema`.

/// The JSON Schema of one case document, pretty-printed.
pub fn case_schema_json() -> String {
    let schema = schemars::schema_for!(super::Case);
    serde_json::to_string_pretty(&schema).expect("a schema always serializes")
}
