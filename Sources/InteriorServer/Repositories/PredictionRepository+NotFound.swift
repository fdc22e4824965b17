import Foundation
import InteriorCore
import SQLKit

extension PredictionRepository {
    /// Counts one more 404 from Replicate for a prediction still running (or a success whose
    /// images are still to be stored) and returns the count so far; nil when the row has ended
    /// meanwhile. One conditional UPDATE, so concurrent pollers each add one.
    func countNotFound(_ id: UUID) async throws -> Int? {
        struct Count: Decodable { let not_found_polls: Int }
        return try await (db as! any SQLDatabase).raw("""
            UPDATE generation_predictions SET not_found_polls = not_found_polls + 1
            WHERE id = \(bind: id)
              AND (status IN ('starting', 'processing') OR (status = 'succeeded' AND stored IS NULL))
            RETURNING not_found_polls
            """).first(decoding: Count.self)?.not_found_polls
    }

    /// Replicate knows the prediction after all: the count starts again.
    func resetNotFound(_ id: UUID) async throws {
        try await (db as! any SQLDatabase).update("generation_predictions")
            .set("not_found_polls", to: SQLBind(0))
            .where("id", .equal, SQLBind(id))
            .where("not_found_polls", .greaterThan, SQLBind(0))
            .run()
    }
}
