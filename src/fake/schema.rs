//! The vendored DS GraphQL schema (`schemas/ds-schema.graphql`), parsed
//! once. Its own module because both the endpoint (`graphql`, validation)
//! and the resolvers (`resolve`, type lookups) need it, and the endpoint
//! calls the resolvers, not the other way round.

use std::sync::LazyLock;

use apollo_compiler::validation::Valid;
use apollo_compiler::Schema;

static SCHEMA: LazyLock<Valid<Schema>> = LazyLock::new(|| {
    let sdl = include_str!("../../schemas/ds-schema.graphql");
    match Schema::parse_and_validate(sdl, "ds-schema.graphql") {
        Ok(schema) => schema,
        // The vendored schema is DS's own; keep serving if a stricter
        // apollo-compiler finds fault with it.
        Err(e) => Valid::assume_valid(e.partial),
    }
});

/// The vendored DS schema, parsed once.
pub(crate) fn schema() -> &'static Valid<Schema> {
    &SCHEMA
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_schema_validates() {
        let sdl = include_str!("../../schemas/ds-schema.graphql");
        if let Err(e) = Schema::parse_and_validate(sdl, "ds-schema.graphql") {
            panic!("{}", e.errors);
        }
    }

    #[test]
    fn schema_is_the_real_one() {
        assert!(schema().types.contains_key("PieceJustificativeChamp"));
        assert!(schema().get_object("Query").is_some());
    }
}
