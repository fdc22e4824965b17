import Foundation
import NIOConcurrencyHelpers
import InteriorCore
@testable import InteriorServer
import SQLKit
import Testing

/// The rows read column by column (`DecodableRow`) are written through `Encodable`; every
/// field of each, set to a value that is not its default, must come back as it went in, and
/// as SQLKit's `Codable` decoding reads it. A field added to a row but not to its decoder
/// fails here (the fixtures are checked to leave nothing nil).
@Suite("Rows read by hand, as written")
struct RowDecodingTests {
    static let date = Date(timeIntervalSince1970: 1_780_000_000)

    static func job(owner: UUID) -> JobRow {
        JobRow(id: UUID(), ownerId: owner, mode: .staging, roomType: "kitchen", style: "japandi",
               aspectRatio: .landscape, quality: .high, variants: 3, prompt: "a calm room", finalPrompt: "the final prompt",
               input1Path: "inputs/a.jpg", input2Path: "inputs/b.jpg", model: "openai/gpt-image-1", predictionId: "p-1",
               status: .failed, errorCode: "MODEL_ERROR", error: "it failed", idempotencyKey: UUID(),
               requestFingerprint: "fingerprint", createdAt: date, updatedAt: date.addingTimeInterval(1),
               lastPolledAt: date.addingTimeInterval(2), completedAt: date.addingTimeInterval(3),
               traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    }

    /// Every optional of `value` holds something, so a dropped column cannot pass as nil.
    static func nothingNil(_ value: Any) -> Bool {
        Mirror(reflecting: value).children.allSatisfy { child in
            guard let optional = child.value as? (any OptionalProtocol) else { return true }
            return optional.hasValue
        }
    }

    @Test("a job, a render and a variant read back field for field, alone and through the status join")
    func rowsReadBack() async throws {
        try await withTestApp { t in
            let owner = try await DatabaseTests.profile(t)
            let job = Self.job(owner: owner)
            #expect(Self.nothingNil(job))
            try await DatabaseTests.insert(job, t.sql)
            let jobRow = try #require(try await t.sql.select().column(SQLLiteral.all).from("generation_jobs")
                .where("id", .equal, SQLBind(job.id)).first())
            #expect(try JobRow(RowColumns(jobRow)) == job)
            #expect(try jobRow.decode(model: JobRow.self, keyDecodingStrategy: SnakeCaseColumns.strategy) == job)

            var done = job
            done.status = .succeeded
            done.id = UUID()
            done.idempotencyKey = UUID()
            done.predictionId = "p-2"
            try await DatabaseTests.insert(done, t.sql)
            let render = RenderRow(id: UUID(), jobId: done.id, ownerId: owner, mode: .staging, roomType: "kitchen",
                                   style: "japandi", coverVariant: 1, createdAt: Self.date, deletedAt: nil)
            let variants = (0..<2).map { index in
                VariantRow(id: UUID(), renderId: render.id, ownerId: owner, idx: index, imagePath: "renders/\(index).webp",
                           thumbPath: "renders/\(index)_thumb.webp", width: 1024 + index, height: 768 - index,
                           bytes: 5000 + index, createdAt: Self.date.addingTimeInterval(Double(index)))
            }
            #expect(variants.allSatisfy(Self.nothingNil))
            #expect(try await RenderRepository(sql: t.sql).insert(render, variants: variants))

            let (statusJob, statusRender) = try #require(try await JobRepository(db: t.app.db).findWithRender(id: done.id, owner: owner))
            #expect(statusJob == done)
            #expect(statusRender?.render == render)
            #expect(statusRender?.variants == variants)
            // Another owner's job is not found.
            #expect(try await JobRepository(db: t.app.db).findWithRender(id: done.id, owner: UUID()) == nil)

            // The render's one optional, set.
            try await t.sql.update("renders").set("deleted_at", to: SQLBind(Self.date.addingTimeInterval(9)))
                .where("id", .equal, SQLBind(render.id)).run()
            var deleted = render
            deleted.deletedAt = Self.date.addingTimeInterval(9)
            #expect(Self.nothingNil(deleted))
            let renderRow = try #require(try await t.sql.select().column(SQLLiteral.all).from("renders")
                .where("id", .equal, SQLBind(render.id)).first())
            #expect(try RenderRow(RowColumns(renderRow)) == deleted)
            #expect(try renderRow.decode(model: RenderRow.self, keyDecodingStrategy: SnakeCaseColumns.strategy) == deleted)
            let variantRow = try #require(try await t.sql.select().column(SQLLiteral.all).from("render_variants")
                .where("id", .equal, SQLBind(variants[1].id)).first())
            #expect(try VariantRow(RowColumns(variantRow)) == variants[1])
        }
    }

    @Test("each hand decoder reads a column for every stored property of its row")
    func decodersReadEveryProperty() async throws {
        // A property added with a default value would be left out of a memberwise `init`
        // without a compile error, and a fixture left at that default would read back equal.
        try await withTestApp { t in
            let owner = try await DatabaseTests.profile(t)
            let job = Self.job(owner: owner)
            try await DatabaseTests.insert(job, t.sql)
            let render = RenderRow(id: UUID(), jobId: job.id, ownerId: owner, mode: .staging, roomType: "kitchen",
                                   style: "japandi", coverVariant: 0, createdAt: Self.date, deletedAt: nil)
            let variant = VariantRow(id: UUID(), renderId: render.id, ownerId: owner, idx: 0, imagePath: "renders/0.webp",
                                     thumbPath: "renders/0_thumb.webp", width: 1, height: 1, bytes: 1, createdAt: Self.date)
            #expect(try await RenderRepository(sql: t.sql).insert(render, variants: [variant]))
            #expect(try await Self.unread(JobRow.self, of: job, table: "generation_jobs", t.sql) == [])
            #expect(try await Self.unread(RenderRow.self, of: render, table: "renders", t.sql) == [])
            #expect(try await Self.unread(VariantRow.self, of: variant, table: "render_variants", t.sql) == [])
            // The check itself sees a property its decoder skips.
            #expect(try await Self.unread(SkipsOne.self, of: SkipsOne(), table: "render_variants", t.sql) == ["width"])
        }
    }

    /// The columns named by `value`'s stored properties that `R`'s decoder does not read.
    static func unread<R: DecodableRow>(_ type: R.Type, of value: R, table: String, _ sql: any SQLDatabase) async throws -> [String] {
        let row = try #require(try await sql.select().column(SQLLiteral.all).from(table).limit(1).first())
        let recording = RecordingRow(base: row)
        _ = try R(RowColumns(recording))
        let properties = Set(Mirror(reflecting: value).children.compactMap(\.label).map(SnakeCaseColumns.column(for:)))
        return properties.subtracting(recording.read.withLockedValue { $0 }).sorted()
    }

    /// A row whose decoder leaves a defaulted property out.
    struct SkipsOne: DecodableRow {
        var id = UUID()
        var width = 0

        init() {}
        init(_ c: RowColumns) throws { id = try c("id") }
    }

    @Test("a value no enum case has is an error naming the column, not a crash")
    func unknownEnumValue() async throws {
        try await withTestApp { t in
            let row = try #require(try await t.sql.raw("SELECT 'sculpt' AS mode").first())
            let error = #expect(throws: DecodingError.self) { try RowColumns(row).raw("mode", as: GenerationMode.self) }
            #expect(String(describing: error).contains("mode: unknown value \"sculpt\""))
        }
    }
}

/// A row that notes each column a decoder asks for.
struct RecordingRow: SQLRow {
    let base: any SQLRow
    let read = NIOLockedValueBox<Set<String>>([])

    var allColumns: [String] { base.allColumns }
    func contains(column: String) -> Bool { base.contains(column: column) }
    func decodeNil(column: String) throws -> Bool {
        read.withLockedValue { _ = $0.insert(column) }
        return try base.decodeNil(column: column)
    }
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        read.withLockedValue { _ = $0.insert(column) }
        return try base.decode(column: column, as: type)
    }
}

protocol OptionalProtocol {
    var hasValue: Bool { get }
}

extension Optional: OptionalProtocol {
    var hasValue: Bool { self != nil }
}
