import Foundation
import SQLKit

/// An opaque position in a newest-first list: the (created_at, id) of the last row shown.
/// Clients pass it back as `cursor` and must not rely on its shape. It is written as
/// `{seconds since 2001 as Swift prints the Double}_{uuid}` — exact, so the time compares equal
/// to the stored one, and simple enough that the OpenAPI document states it as a pattern (any
/// string of that shape is a cursor). The base64url JSON of earlier versions is still read.
struct PageCursor: Codable, Equatable, Sendable {
    let createdAt: Date
    let id: UUID

    private enum CodingKeys: String, CodingKey {
        case createdAt = "t"
        case id = "i"
    }

    /// The shape of `encoded`, for the OpenAPI document (empty is the first page).
    static let pattern = "^(-?[0-9]{1,12}(\\.[0-9]{1,12})?_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"

    var encoded: String {
        "\(createdAt.timeIntervalSinceReferenceDate)_\(id.uuidString.lowercased())"
    }

    /// Nil for anything that is not a cursor (the caller answers 400).
    init?(encoded text: String) {
        guard text.utf8.count <= 200 else { return nil }
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }),
           let seconds = Double(parts[0]), seconds.isFinite, let id = UUID(uuidString: String(parts[1])) {
            self.init(createdAt: Date(timeIntervalSinceReferenceDate: seconds), id: id)
            return
        }
        guard let data = Base64URL.decode(text), let cursor = try? JSONDecoder().decode(PageCursor.self, from: data) else { return nil }
        self = cursor
    }

    init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// Rows after this cursor in newest-first order: `(created_at, id) < (t, i)`.
    func olderThan(createdAt column: any SQLExpression, id idColumn: any SQLExpression) -> any SQLExpression {
        SQLBinaryExpression(
            SQLBinaryExpression(column, .lessThan, SQLBind(createdAt)),
            .or,
            SQLGroupExpression(SQLBinaryExpression(
                SQLBinaryExpression(column, .equal, SQLBind(createdAt)),
                .and,
                SQLBinaryExpression(idColumn, .lessThan, SQLBind(id)))))
    }

    /// Trims a `limit + 1` fetch to a page and the cursor of the page after it.
    static func page<Row>(_ rows: [Row], limit: Int, cursor: (Row) -> PageCursor) -> Page<Row> {
        guard rows.count > limit else { return Page(rows: rows, next: nil) }
        let shown = Array(rows.prefix(limit))
        return Page(rows: shown, next: shown.last.map(cursor))
    }
}
