import FluentKit

/// Every migration, in order. Shipped migrations are never edited: a change is a new one.
enum InteriorMigrations {
    static let all: [any Migration] = [
        M001_CreateProfiles(),
        M002_CreateGenerationJobs(),
        M003_CreateRenders(),
        M004_CreateUsageLedger(),
        M005_CreateWebhookEvents(),
        M006_CreateGenerationPredictions(),
        M007_AddPredictionNotFoundPolls(),
        M008_AddJobTraceParent(),
    ]
}
