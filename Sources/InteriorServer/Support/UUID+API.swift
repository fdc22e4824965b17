import Foundation

extension UUID {
    /// The canonical lower-case form every response uses (as Supabase and PostgreSQL do).
    var apiString: String { uuidString.lowercased() }
}
