import InteriorAPI
import OpenAPIRuntime
import Vapor

/// Every route of the service, in one place.
func routes(_ app: Application) throws {
    let context = app.interior
    let api = app.grouped("api", "v1")

    // MARK: The operations of openapi.yaml served through the generated protocol
    // (auth per operation as the document's `security` says; see APITransport).
    let generated = app.grouped(CurrentRequest.Middleware())
    let devAuth = if case .dev = context.settings.auth { true } else { false }
    let transport = APITransport(open: generated, signedIn: generated.grouped(UserAuthMiddleware()),
                                 devAuth: devAuth, maxBodyBytes: 64 * 1024)
    try APIHandler().registerHandlers(
        on: transport, serverURL: try Servers.Server1.url(),
        configuration: .init(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]))

    // MARK: Public
    app.get("openapi.json", use: OpenAPIController.document)
    // Dev auth mode only: the web page's "Continue as demo user".
    if case .dev = context.settings.auth { api.post("auth", "dev-token", use: DevAuthController.mint) }

    // MARK: Replicate → us (signed)
    api.on(.POST, "webhooks", "replicate", body: .collect(maxSize: "1mb"), use: WebhookController.receive).tracedByHandler()

    // MARK: Signed-in users
    let user = api.grouped(UserAuthMiddleware())
    // The submit body is streamed: limits are enforced while reading (413 at once).
    user.on(.POST, "generations", body: .stream, use: GenerationsController.submit)
    user.get("generations", use: GenerationsController.list)
    user.get("generations", ":id", use: GenerationsController.status)
    user.post("generations", ":id", "cancel", use: GenerationsController.cancel)
    user.post("generations", ":id", "retry", use: GenerationsController.retry)

    user.get("renders", use: RendersController.list)
    user.get("renders", ":id", use: RendersController.get)
    user.delete("renders", ":id", use: RendersController.delete)

    // MARK: Local storage objects (Supabase Storage's URL shapes)
    if context.localStore != nil {
        let objects = app.grouped("storage", "v1", "object")
        objects.get("public", ":bucket", "**", use: StorageController.publicObject)
        objects.get("sign", ":bucket", "**", use: StorageController.signedObject)
    }

    // MARK: Operations
    app.get("metrics", use: MetricsController.metrics)
}
