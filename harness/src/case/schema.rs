//! The JSON Schema of the case format, for editors (yaml-language-server) and `peerspec schema`.
//!
//! Draft-07, the draft yaml-language-server and most editors understand best.

/// The JSON Schema of one case document, pretty-printed.
pub fn case_schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<super::Case>();
    serde_json::to_string_pretty(&schema).expect("a schema always serializes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_is_draft07_and_names_the_step_kinds() {
        let schema: serde_json::Value = serde_json::from_str(&super::case_schema_json()).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        let text = schema.to_string();
        for word in ["send", "expect", "half_close", "any_of", "ends_with", "zero-chunk"] {
            assert!(text.contains(word), "{word} missing from the schema");
        }
    }
}
