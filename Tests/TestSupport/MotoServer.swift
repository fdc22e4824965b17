import Foundation
import Testing

/// `moto_server` (PyPI `moto[server]`) on a loopback port, behind `sigv4_gateway.py`,
/// which refuses any request whose Signature V4 botocore does not reproduce — moto checks none.
public final class MotoServer: Sendable {
    public static let accessKeyId = "AKIDMOTOTEST00000000"
    public static let secretAccessKey = "moto/secret+KEY/never-printed-0123456789"

    /// The gateway: what stores under test talk to.
    public let endpoint: URL
    /// moto itself, for independent checks that should not depend on the gateway.
    public let motoEndpoint: URL
    /// The gateway's process, which runs moto as well.
    private let gateway: BackgroundProcess

    @TaskLocal public static var current: MotoServer?

    private static let gatewayScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Python/sigv4_gateway.py").path

    private init(endpoint: URL, motoEndpoint: URL, gateway: BackgroundProcess) {
        self.endpoint = endpoint
        self.motoEndpoint = motoEndpoint
        self.gateway = gateway
    }

    public static func start() async throws -> MotoServer {
        // moto runs inside the gateway's process; both bind ports the kernel picks and report
        // them, so no other server can take a port between its choice and its use.
        let gateway = try BackgroundProcess(name: "sigv4_gateway", [
            TestPython.executable, gatewayScript, "--with-moto",
            "--access-key", accessKeyId, "--secret-key", secretAccessKey,
        ])
        let ports: [String: Int]
        do {
            let line = try await gateway.waitForLine(startingWith: "READY ")
            ports = Dictionary(line.split(separator: " ").dropFirst().compactMap { field -> (String, Int)? in
                let parts = field.split(separator: "=")
                guard parts.count == 2, let port = Int(parts[1]) else { return nil }
                return (String(parts[0]), port)
            }, uniquingKeysWith: { first, _ in first })
        } catch {
            gateway.stop()
            throw error
        }
        guard let gatewayPort = ports["gateway"], let motoPort = ports["moto"] else {
            gateway.stop()
            throw ToolFailure("sigv4_gateway did not report its ports:\n\(gateway.output())")
        }
        return MotoServer(endpoint: URL(string: "http://127.0.0.1:\(gatewayPort)")!,
                          motoEndpoint: URL(string: "http://127.0.0.1:\(motoPort)")!, gateway: gateway)
    }

    public func stop() {
        gateway.stop()
    }

    /// What the gateway logged: its refusals say why a signature was rejected.
    public func gatewayLog() -> String { gateway.output() }
}

/// Runs a suite with one moto server, started before its first test and stopped after its last.
public struct MotoServerTrait: SuiteTrait, TestScoping {
    public init() {}

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await MotoServer.start()
        defer { server.stop() }
        try await MotoServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == MotoServerTrait {
    public static var motoServer: Self { MotoServerTrait() }
}
