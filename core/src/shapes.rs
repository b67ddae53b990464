//! The output shapes as JSON Schema (with the `schema` feature): the one description of what
//! every surface answers, from which `xtask/src/codegen.rs` generates the TypeScript
//! interfaces and the Python `TypedDict`s. The shapes themselves are the serde types of this
//! crate; this module only names them.

/// `source`: `manual` or `provider`.
pub(crate) fn source_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": ["manual", "provider"]})
}

/// Every output shape by its name on the surfaces (`Credential` is the §3 credential), each
/// as a JSON Schema whose `$ref`s point into the same list.
pub fn output_schemas() -> Vec<(String, serde_json::Value)> {
    use crate::*;
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| s.definitions_path = "#/$defs/".into())
        .into_generator();
    let mut out = Vec::new();
    macro_rules! shapes {
        ($($name:literal => $ty:ty),* $(,)?) => {$(
            out.push(($name.to_owned(), generator.subschema_for::<$ty>().to_value()));
        )*};
    }
    shapes! {
        "NormalizedCredential" => NormalizedFields<'static>,
        "Credential" => Credential,
        "NumberRecord" => NumberRecord,
        "Agent" => Agent,
        "Provider" => Provider,
        "ConnectedProvider" => ConnectedProvider,
        "Usage" => UsageReport,
        "AgentUsage" => AgentUsage,
        "DeleteReport" => DeleteReport,
        "ProviderDeleteReport" => ProviderDeleteReport,
        "Finding" => Finding,
        "Cause" => Cause,
        "Diagnosis" => Diagnosis,
        "RateGroup" => RateGroup,
        "Decision" => Decision,
        "ErrorBody" => ErrorBody<'static>,
        "ErrorInfo" => ErrorInfo,
        "TokenInfo" => TokenInfo,
        "NewToken" => NewTokenView<'static>,
        "HealthRecord" => HealthRecord,
        "HealthEvent" => HealthEvent,
    }
    let defs = generator.take_definitions(true);
    out.extend(defs);
    out
}
