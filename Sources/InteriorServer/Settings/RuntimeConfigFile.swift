import Configuration
import Foundation
import InteriorCore

/// The runtime config file as the configuration library reads it: `ReloadingFileProvider`
/// watches the file (its modification time, polled, and on SIGHUP) and makes one of these of
/// each version. The file is a document — lists of presets, plans and model profiles — which
/// the library's key–value lookups cannot hold, so it is decoded whole (`RuntimeConfig.parse`)
/// and read as `parsed`, not key by key.
///
/// A version that does not parse or validate is kept with its error instead of thrown: thrown,
/// the library would log it at debug level and retry it every poll; kept, the reload watcher
/// refuses it with one log line per edit and the running config stays in force.
struct RuntimeConfigFile: FileConfigSnapshot {
    struct ParsingOptions: FileParsingOptions {
        /// The path errors name, as the operator wrote it (`config/runtime.json`).
        var source: String
        static var `default`: Self { .init(source: "runtime.json") }
    }

    let providerName: String
    let parsed: Result<RuntimeConfig, ConfigError>

    init(data: RawSpan, providerName: String, parsingOptions: ParsingOptions) {
        self.providerName = providerName
        parsed = Self.parse(data.withUnsafeBytes { Data($0) }, source: parsingOptions.source)
    }

    /// The file's config, or the one-line error naming the file and the key.
    static func parse(_ data: Data, source: String) -> Result<RuntimeConfig, ConfigError> {
        Result { () throws(ConfigError) in try RuntimeConfig.parse(data, source: source) }
            .mapError { $0.within(source) }
    }

    /// No key is offered one by one (see above).
    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        LookupResult(encodedKey: key.description, value: nil)
    }

    var description: String {
        switch parsed {
        case .success: "\(providerName)[valid]"
        case let .failure(error): "\(providerName)[refused: \(error)]"
        }
    }

    var debugDescription: String { description }
}
