import FluentKit

/// `generation_predictions.not_found_polls`: how many polls in a row Replicate answered 404
/// for the prediction. Counted on the row, so every poller of every instance adds to one
/// count, and a restart forgets nothing; a prediction Replicate keeps not knowing ends
/// `PREDICTION_LOST` instead of waiting out the stuck cutoff.
struct M007_AddPredictionNotFoundPolls: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("generation_predictions")
            .field("not_found_polls", .int, .required, .sql(.default(0)))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("generation_predictions").deleteField("not_found_polls").update()
    }
}
