import Foundation

/// The one rule for how a lease is kept: its holder renews it (or touches its row) every
/// third of the lease, so one late renewal does not lose it. A row not touched for longer
/// than that has most likely lost its holder, which the lease then confirms.
enum Lease {
    static func renewalInterval(_ lease: TimeInterval) -> TimeInterval { lease / 3 }
}
