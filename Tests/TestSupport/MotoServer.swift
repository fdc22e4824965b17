import Foundation
import Testing

/// `moto_server` (PyPI `moto[server]`) on a free loopback port, behind `sigv4_gateway.py`,
/// which refuses any request whose Signature V4 botocore does not reproduce — moto checks none.
public final class MotoServer: Sendable {
    public static let accessKeyId = "AKIDMOTOTEST00000000"
    public static let secretAccessKey = "moto/secret+KEY/never-printed-0123456789"

    /// The gateway: what stores under test talk to.
    public let endpoint: URL
    /// moto itself, for independent checks that should not depend on the gateway.
    public let motoEndpoint: URL
    private let moto: BackgroundProcess
    private let gateway: BackgroundProcess

    @TaskLocal public static var current: MotoServer?

    private static let gatewayScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Python/sigv4_gateway.py").path

    private init(endpoint: URL, motoEndpoint: URL, moto: BackgroundProcess, gateway: BackgroundProcess) {
        self.endpoint = endpoint
        self.motoEndpoint = motoEndpoint
        self.moto = moto
        self.gateway = gateway
    }

    public static func start() async throws -> MotoServer {
        let motoPort = try FreePort.next()
        let moto = try BackgroundProcess(name: "moto_server",
                                         [TestPython.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", String(motoPort)])
        do {
            try await moto.waitUntilServing("http://127.0.0.1:\(motoPort)/moto-api/")
        } catch {
            moto.stop()
            throw error
        }
        let gatewayPort = try FreePort.next()
        let gateway = try BackgroundProcess(name: "sigv4_gateway", [
            TestPython.executable, gatewayScript, "--port", String(gatewayPort), "--upstream-port", String(motoPort),
            "--access-key", accessKeyId, "--secret-key", secretAccessKey,
        ])
        do {
            try await gateway.waitUntilServing("http://127.0.0.1:\(gatewayPort)/")
        } catch {
            moto.stop()
            gateway.stop()
            throw error
        }
        return MotoServer(endpoint: URL(string: "http://127.0.0.1:\(gatewayPort)")!,
                          motoEndpoint: URL(string: "http://127.0.0.1:\(motoPort)")!, moto: moto, gateway: gateway)
    }

    public func stop() {
        gateway.stop()
        moto.stop()
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
