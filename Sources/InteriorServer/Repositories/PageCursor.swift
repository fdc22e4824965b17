import Foundation
import SQLKit

/// An opaque position in a newest-first list: the (created_at, id) of the last row shown.
/// Clients pass it back as `cursor`; it is base64url JSON, but they must not rely on that.
struct PageCursor: Codable, Equatable, Sendable {
    let createdAt: Date
    let id: UUID

    private enum CodingKeys: String, CodingKey {
        case createdAt = "t"
        case id = "i"
    }

    var encoded: String {
        let data = try! JSONEncoder().encode(self)
        return Base64URL.encode(data)
    }

    /// Nil for anything that is not a cursor this service issued (the caller answers 400).
    init?(encoded text: String) {
        guard text.utf8.count <= 200, let data = Base64URL.decode(text),
              let cursor = try? JSONDecoder().decode(PageCursor.self, from: data) else { return nil }
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
