import InteriorAPI
import OpenAPIRuntime
import Vapor

/// Every route of the service, in one place.
func routes(_ app: Application) throws {
    let context = app.interior
    let api = app.grouped("api", "v1")

    // MARK: The operations of openapi.yaml served through the generated protocol: service,
    // account, generations (but the submit), renders. Auth per operation as the document's
    // `security` says, dev-only operations in dev auth mode only (see APITransport).
    let devAuth = if case .dev = context.settings.auth { true } else { false }
    let transport = APITransport(open: app, signedIn: app.grouped(UserAuthMiddleware()), devAuth: devAuth)
    try APIHandler().registerHandlers(on: transport, serverURL: try Servers.Server1.url(), configuration: APIHandler.configuration)

    // MARK: The JSON API operations that stay Vapor routes (docs/decisions.md)
    app.get("openapi.json", use: OpenAPIController.document)
    // Replicate → us, signed over the exact bytes received.
    api.on(.POST, "webhooks", "replicate", body: .collect(maxSize: "1mb"), use: WebhookController.receive).tracedByHandler()
    // The submit body is streamed: limits are enforced while reading (413 at once).
    api.grouped(UserAuthMiddleware()).on(.POST, "generations", body: .stream, use: SubmitController.submit)

    // MARK: Local storage objects (Supabase Storage's URL shapes)
    if context.localStore != nil {
        let objects = app.grouped("storage", "v1", "object")
        objects.get("public", ":bucket", "**", use: StorageController.publicObject)
        objects.get("sign", ":bucket", "**", use: StorageController.signedObject)
    }

    // MARK: Operations
    app.get("metrics", use: MetricsController.metrics)
}
