import Testing

/// Every end-to-end suite runs inside this one, one test at a time: each test runs a server,
/// an emulator and image work, and two cores cannot run dozens of those at once without
/// turning timeouts into failures.
@Suite("Pipeline", .serialized)
struct PipelineSuite {}
