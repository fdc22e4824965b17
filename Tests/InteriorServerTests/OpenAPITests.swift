import Foundation
import InteriorCore
@testable import InteriorServer
import Replicate
import Testing
import TestSupport
import Vapor

/// `openapi.yaml` against what the server does: the routes that answer, the error codes and
/// their statuses, the OpenAPI rules (an independent validator), and real responses of the
/// running application against the documented schemas. (References that dangle, and handlers
/// that do not fit the generated types, already fail the build.)
@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("GET /openapi.json serves the OpenAPI 3.1 document itself, as JSON outside the envelope")
    func servesTheDocument() async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/openapi.json")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            #expect(response.headers.first(name: "X-Request-Id") != nil)
            let served = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            #expect(served["openapi"] as? String == "3.1.0")
            #expect(served["success"] == nil)
            let info = try #require(served["info"] as? [String: Any])
            #expect(info["title"] as? String == "Interior")
            #expect(info["version"] as? String != nil)
            #expect(response.body == t.app.interior.runtime.current.openAPIDocument)
        }
    }

    @Test("GET /openapi.json is openapi.yaml as PyYAML reads it, but for the parts the instance writes in")
    func servedIsTheYAML() async throws {
        let yaml = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/InteriorAPI/openapi.yaml").standardizedFileURL
        // Compares a JSON document with the YAML file, both without the parts named after it.
        let script = """
            import json, sys, yaml
            source, served = yaml.safe_load(open(sys.argv[1])), json.load(open(sys.argv[2]))
            for document in (source, served):
                for name in sys.argv[3:]:
                    kind, key = name.split("/")
                    document["components"][kind].pop(key)
            differing = sorted(k for k in set(source) | set(served) if source.get(k) != served.get(k))
            print("same" if not differing else "differs: " + ", ".join(differing))
            """
        try await withTemporaryDirectory { directory in
            let scriptFile = directory.appendingPathComponent("compare.py")
            try Data(script.utf8).write(to: scriptFile)
            let whole = directory.appendingPathComponent("whole.json")
            try OpenAPIController.body.write(to: whole)
            #expect(try Python.run([scriptFile.path, yaml.path, whole.path]).output.trimmingCharacters(in: .whitespacesAndNewlines) == "same")

            try await withTestApp(environment: ["AUTH_JWT_SECRET": "", "AUTH_MODE": "dev"], backgroundWork: false) { t in
                let served = directory.appendingPathComponent("served.json")
                try await t.client.get("/openapi.json").body.write(to: served)
                let instanceParts = ["schemas/SubmitForm", "schemas/SubmitJSON", "parameters/ModeFilter",
                                     "parameters/RoomTypeFilter", "parameters/StyleFilter", "parameters/Cursor"]
                #expect(try Python.run([scriptFile.path, yaml.path, served.path] + instanceParts).output
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "same")
                // The control: the instance did write its choices in, so the comparison above is not of two copies.
                #expect(try Python.run([scriptFile.path, yaml.path, served.path]).output.hasPrefix("differs: components"))
            }
        }
    }

    @Test("the submit form's parts are the document's: its images by hand, its text fields the JSON body's")
    func submitFormPartsAreTheDocuments() throws {
        // The generator does not model a form's binary parts, so `SubmitForm.Image` names them;
        // the text parts are the generated `SubmitJSON` keys other than the input URLs.
        let schemas = try #require((OpenAPIDocument.root()["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let form = try #require((schemas["SubmitForm"] as? [String: Any])?["properties"] as? [String: [String: Any]])
        let binary = Set(form.filter { $0.value["format"] as? String == "binary" }.keys)
        #expect(binary == Set(SubmitForm.Image.allCases.map(\.rawValue)))
        #expect(binary.allSatisfy(SubmitForm.isFormFile) && !binary.contains(where: SubmitForm.isFormText))
        let text = Set(form.keys).subtracting(binary)
        #expect(text.allSatisfy(SubmitForm.isFormText))
        let json = try #require((schemas["SubmitJSON"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(Set(json.keys).filter(SubmitForm.isFormText) == text, "the form's text parts and the JSON fields agree")
        #expect(SubmitForm.Image.allCases.allSatisfy { json[$0.urlField.rawValue] != nil && !SubmitForm.isFormText($0.urlField.rawValue) })
    }

    @Test("in each auth mode, the served document lists exactly the routes that answer (dev-only ones in dev mode only)")
    func routesAndPathsAgree() async throws {
        let document = try Document.load()
        let devOnly = Set(document.operations.filter { $0.value["x-interior-dev-only"] as? Bool == true }.map(\.key))
        #expect(devOnly == ["POST /api/v1/auth/dev-token"])
        for environment in [["AUTH_JWT_SECRET": "", "AUTH_MODE": "dev"], [:]] {
            try await withTestApp(environment: environment, backgroundWork: false) { t in
                let served = try await t.client.get("/openapi.json")
                let documented = Set(try Document(data: served.body).operations.map(\.key))
                let routed = Set(t.app.routes.all.map { Document.operationKey(method: $0.method.rawValue, path: $0.path) })
                #expect(routed.subtracting(documented).sorted() == [], "routes the document does not describe (\(t.settings.auth))")
                #expect(documented.subtracting(routed).sorted() == [], "documented operations no route answers (\(t.settings.auth))")
                if case .dev = t.settings.auth {
                    #expect(documented.isSuperset(of: devOnly))
                } else {
                    #expect(documented.isDisjoint(with: devOnly))
                    // The mapping itself: parameters and catch-alls become documented path parameters.
                    #expect(routed.contains("GET /api/v1/generations/{id}"))
                    #expect(routed.contains("GET /storage/v1/object/public/{bucket}/{path}"))
                    #expect(routed.contains("GET /openapi.json"))
                }
            }
        }
    }

    // (`APIErrorCode` is the document's `ErrorCode`, so the two lists cannot drift apart.)
    @Test("each error response lists codes that are answered with its own status")
    func errorCodes() throws {
        let document = try Document.load()
        var statusesSeen = 0
        for operation in document.operations {
            let responses = operation.value["responses"] as? [String: Any] ?? [:]
            #expect(!responses.isEmpty, "\(operation.key) documents no response")
            for (status, value) in responses {
                let response = try document.resolved(value)
                let headers = response["headers"] as? [String: Any] ?? [:]
                #expect(headers["X-Request-Id"] != nil, "\(operation.key) \(status) does not document X-Request-Id")
                guard let code = Int(status), code >= 400 else { continue }
                statusesSeen += 1
                let codes = Document.errorCodes(of: response)
                #expect(!codes.isEmpty, "\(operation.key) \(status) lists no error code")
                for name in codes {
                    let apiCode = APIErrorCode(rawValue: name)
                    #expect(apiCode != nil, "\(operation.key) \(status): \(name) is not an error code")
                    #expect(apiCode.map { Int($0.status.code) } == code, "\(operation.key) \(status): \(name) is answered with another status")
                }
            }
            let security = operation.value["security"] as? [[String: Any]] ?? document.root["security"] as? [[String: Any]] ?? []
            if security.contains(where: { $0["bearerAuth"] != nil }) {
                #expect(Document.errorCodes(of: try document.resolved(responses["401"] ?? [:])) == ["UNAUTHORIZED"],
                        "\(operation.key) needs a token but does not document 401 UNAUTHORIZED")
            }
            if operation.key.contains("/{id}") {
                #expect(responses["404"] != nil, "\(operation.key) takes an id but documents no 404")
            }
        }
        #expect(statusesSeen > 40)
    }

    @Test("openapi-spec-validator accepts the document and refuses a broken copy of it")
    func independentValidator() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("openapi.json")
            try OpenAPIController.body.write(to: file)
            let accepted = try Python.run(["-m", "openapi_spec_validator", file.path])
            #expect(accepted.status == 0, "openapi-spec-validator refused the document:\n\(accepted.output)")
            #expect(accepted.output.contains("OK"))

            // The control: a dangling reference must fail, so a pass above means something.
            let broken = directory.appendingPathComponent("broken.json")
            try Data(String(decoding: OpenAPIController.body, as: UTF8.self).replacingOccurrences(
                of: "\"#/components/schemas/HealthEnvelope\"", with: "\"#/components/schemas/NoSuchSchema\"").utf8).write(to: broken)
            let refused = try Python.run(["-m", "openapi_spec_validator", broken.path])
            #expect(refused.status != 0, "openapi-spec-validator accepted a document with a dangling reference")
        }
    }

    @Test("real responses of the service, account, storage and webhook routes and of refused requests match the document")
    func responsesMatchTheDocument() async throws {
        try await Self.withApp { t in
            var exchanges = Exchanges(client: t.client)
            let token = t.token("hs256_valid")
            let owner = TokenFixtures.shared.subject

            // Service and account.
            try await exchanges.send(.GET, "/openapi.json", expect: .ok)
            try await exchanges.send(.GET, "/api/v1/health", expect: .ok)
            try await exchanges.send(.GET, "/api/v1/config", expect: .ok)
            try await exchanges.send(.GET, "/api/v1/auth/me", expect: .unauthorized)
            try await exchanges.send(.GET, "/api/v1/auth/me", token: token, expect: .ok)
            try await exchanges.send(.GET, "/api/v1/usage", token: token, expect: .ok)

            // Submits refused before anything is created.
            let submit = "/api/v1/generations"
            try await exchanges.send(.POST, submit, expect: .unauthorized)
            try await exchanges.send(.POST, submit, token: token, body: Data("mode=imagine".utf8), contentType: "text/plain",
                                     expect: .unsupportedMediaType)
            try await exchanges.send(.POST, submit, token: token, json: ["prompt": "a calm reading nook"], expect: .badRequest)
            try await exchanges.send(.POST, submit, token: token, json: ["mode": "imagine", "prompt": String(repeating: "timber ", count: 10_000)],
                                     expect: .payloadTooLarge)
            let boundary = "interior-openapi-\(UUID().uuidString)"
            let notAnImage = Data("""
                --\(boundary)\r
                Content-Disposition: form-data; name="mode"\r
                \r
                redesign\r
                --\(boundary)\r
                Content-Disposition: form-data; name="input1"; filename="room.jpg"\r
                Content-Type: image/jpeg\r
                \r
                this is not a photo of a room\r
                --\(boundary)--\r

                """.utf8)
            try await exchanges.send(.POST, submit, token: token, body: notAnImage, contentType: "multipart/form-data; boundary=\(boundary)",
                                     expect: .unsupportedMediaType)

            // A job in flight: it is shown, it blocks other submits, it cannot be retried, and its
            // idempotency key cannot be reused for another request.
            let key = UUID()
            let inFlight = try await Self.insertJob(t, owner: owner, idempotencyKey: key)
            let job = "/api/v1/generations/{id}", retry = "/api/v1/generations/{id}/retry", cancel = "/api/v1/generations/{id}/cancel"
            try await exchanges.send(.GET, job, "/api/v1/generations/\(inFlight.id.apiString)", token: token, expect: .ok)
            try await exchanges.send(.GET, job, "/api/v1/generations/\(UUID().uuidString)", token: token, expect: .notFound)
            try await exchanges.send(.GET, job, "/api/v1/generations/not-a-uuid", token: token, expect: .notFound)
            try await exchanges.send(.GET, submit, "\(submit)?limit=1", token: token, expect: .ok)
            try await exchanges.send(.GET, submit, "\(submit)?limit=0", token: token, expect: .badRequest)
            try await exchanges.send(.GET, submit, "\(submit)?cursor=not-a-cursor", token: token, expect: .badRequest)
            try await exchanges.send(.POST, submit, token: token, json: ["mode": "imagine", "prompt": "a Scandi nursery"], expect: .conflict)
            try await exchanges.send(.POST, submit, token: token, headers: [("Idempotency-Key", key.uuidString)],
                                     json: ["mode": "imagine", "prompt": "a moody Federation dining room"], expect: .unprocessableEntity)
            try await exchanges.send(.POST, retry, "/api/v1/generations/\(inFlight.id.apiString)/retry", token: token, expect: .conflict)
            try await exchanges.send(.POST, retry, "/api/v1/generations/\(UUID().uuidString)/retry", token: token, expect: .notFound)
            try await exchanges.send(.POST, cancel, "/api/v1/generations/\(UUID().uuidString)/cancel", token: token, expect: .notFound)

            // The gallery, empty.
            let renders = "/api/v1/renders", render = "/api/v1/renders/{id}"
            try await exchanges.send(.GET, renders, token: token, expect: .ok)
            try await exchanges.send(.GET, renders, "\(renders)?mode=sculpture", token: token, expect: .badRequest)
            try await exchanges.send(.GET, renders, "\(renders)?style=no-such-style", token: token, expect: .badRequest)
            try await exchanges.send(.GET, renders, expect: .unauthorized)
            try await exchanges.send(.GET, render, "\(renders)/\(UUID().uuidString)", token: token, expect: .notFound)
            try await exchanges.send(.DELETE, render, "\(renders)/\(UUID().uuidString)", token: token, expect: .notFound)

            // Objects of the local storage backend.
            let publicObject = "/storage/v1/object/public/{bucket}/{path}"
            let outputPath = StoragePaths.output(render: UUID(), index: 0)
            try await t.app.interior.store.put(bucket: t.settings.publicBucket, path: outputPath, data: Data("webp".utf8), contentType: "image/webp")
            let publicPath = try t.app.interior.store.publicURL(bucket: t.settings.publicBucket, path: outputPath).path
            let image = try await exchanges.send(.GET, publicObject, publicPath, expect: .ok)
            #expect(image.headers.first(name: "Content-Type") == "image/webp")
            let etag = try #require(image.headers.first(name: "ETag"))
            try await exchanges.send(.GET, publicObject, publicPath, headers: [("If-None-Match", etag)], expect: .notModified)
            try await exchanges.send(.GET, publicObject, "/storage/v1/object/public/\(t.settings.publicBucket)/renders/none.webp", expect: .notFound)
            try await exchanges.send(.GET, publicObject, "/storage/v1/object/public/\(t.settings.privateBucket)/\(outputPath)", expect: .notFound)

            let signedObject = "/storage/v1/object/sign/{bucket}/{path}"
            let inputPath = "\(owner.apiString)/inputs/\(UUID().uuidString.lowercased()).jpg"
            try await t.app.interior.store.put(bucket: t.settings.privateBucket, path: inputPath, data: Data("jpeg".utf8), contentType: "image/jpeg")
            let signed = try await t.app.interior.store.signedURL(bucket: t.settings.privateBucket, path: inputPath, expiresIn: 600)
            let signedComponents = try #require(URLComponents(url: signed, resolvingAgainstBaseURL: false))
            let signedTarget = signedComponents.percentEncodedPath + "?" + (signedComponents.percentEncodedQuery ?? "")
            try await exchanges.send(.GET, signedObject, signedTarget, expect: .ok)
            try await exchanges.send(.GET, signedObject, signedComponents.percentEncodedPath, expect: .forbidden)
            try await exchanges.send(.GET, signedObject, signedComponents.percentEncodedPath + "?token=forged", expect: .forbidden)

            // Replicate's webhook.
            let webhook = "/api/v1/webhooks/replicate"
            let event = Data(#"{"id":"openapi-prediction","status":"processing","output":null,"error":null,"logs":null}"#.utf8)
            try await exchanges.send(.POST, webhook, body: event, expect: .unauthorized)
            let signer = WebhookSigner(secret: try WebhookSecret(TestReplicate.webhookSecret))
            let signatureHeaders = signer.headers(id: "msg_openapi", timestamp: Int(t.clock.now.timeIntervalSince1970), body: event)
                .map { ($0.name, $0.value) }
            try await exchanges.send(.POST, webhook, "\(webhook)?job=\(UUID().uuidString)", headers: signatureHeaders, body: event, expect: .ok)

            // Out of generations.
            #expect(try await Operations.setPlan(t.app, user: owner, planId: "none"))
            try await exchanges.send(.POST, submit, token: token, json: ["mode": "imagine", "prompt": "a Palm Springs lounge"],
                                     expect: .paymentRequired)

            try await exchanges.check()
        }
    }

    @Test("real responses along a job's life — failed start, retry, cancel, success, render, delete — match the document")
    func jobLifeMatchesTheDocument() async throws {
        try await Self.withApp { t in
            var exchanges = Exchanges(client: t.client)
            let token = t.token("hs256_valid")
            let owner = TokenFixtures.shared.subject
            let submit = "/api/v1/generations", job = "/api/v1/generations/{id}"
            let retry = "/api/v1/generations/{id}/retry", cancel = "/api/v1/generations/{id}/cancel"
            try await exchanges.send(.GET, "/api/v1/auth/me", token: token, expect: .ok)

            // Replicate is unreachable here: the submit fails after the lock, and is refunded.
            let upstream = try await exchanges.send(.POST, submit, token: token, headers: [("Idempotency-Key", UUID().uuidString)],
                                                    json: ["mode": "imagine", "prompt": "a sunlit Queenslander verandah", "variants": 2],
                                                    expect: .badGateway)
            #expect(upstream.errorCode == "UPSTREAM_ERROR")
            let list = try await exchanges.send(.GET, submit, token: token, expect: .ok)
            let failedId = try #require((list.data["items"] as? [[String: Any]])?.first?["id"] as? String)
            let failed = try await exchanges.send(.GET, job, "/api/v1/generations/\(failedId)", token: token, expect: .ok)
            #expect(failed.data["status"] as? String == "failed")
            try await exchanges.send(.POST, retry, "/api/v1/generations/\(failedId)/retry", token: token, expect: .badGateway)
            try await exchanges.send(.POST, cancel, "/api/v1/generations/\(failedId)/cancel", token: token, expect: .conflict)

            // Cancel a job in flight.
            let inFlight = try await Self.insertJob(t, owner: owner)
            let canceled = try await exchanges.send(.POST, cancel, "/api/v1/generations/\(inFlight.id.apiString)/cancel", token: token, expect: .ok)
            #expect(canceled.data["status"] as? String == "canceled")

            // A success, its render and its images.
            let succeeded = try await Self.insertJob(t, owner: owner)
            let renderId = try await Self.storeRender(t, job: succeeded, variants: 2)
            let done = try await exchanges.send(.GET, job, "/api/v1/generations/\(succeeded.id.apiString)", token: token, expect: .ok)
            #expect((done.data["variants"] as? [Any])?.count == 2)
            try await exchanges.send(.GET, submit, "\(submit)?limit=2", token: token, expect: .ok)
            let renders = "/api/v1/renders", render = "/api/v1/renders/{id}"
            try await exchanges.send(.GET, renders, token: token, expect: .ok)
            let style = t.settings.runtime.styles[0].id
            try await exchanges.send(.GET, renders, "\(renders)?mode=imagine&style=\(style)&limit=5", token: token, expect: .ok)
            let shown = try await exchanges.send(.GET, render, "\(renders)/\(renderId.apiString)", token: token, expect: .ok)
            let publicObject = "/storage/v1/object/public/{bucket}/{path}"
            let variant = try #require((shown.data["variants"] as? [[String: Any]])?.first?["url"] as? String)
            let variantPath = try #require(URL(string: variant)?.path)
            try await exchanges.send(.GET, publicObject, variantPath, expect: .ok)
            try await exchanges.send(.DELETE, render, "\(renders)/\(renderId.apiString)", token: token, expect: .ok)
            try await exchanges.send(.GET, render, "\(renders)/\(renderId.apiString)", token: token, expect: .notFound)
            try await exchanges.send(.GET, publicObject, variantPath, expect: .notFound)

            try await exchanges.send(.GET, "/metrics", expect: .ok)
            try await exchanges.check()
        }
    }

    /// Replicate is unreachable in these tests: a short request timeout makes the submits that
    /// try it fail in about a second rather than a minute. The `none` plan has no generations.
    private static let runtimeConfig = """
        {"timeouts": {"replicateRequest": 0.3},
         "plans": [{"id": "free", "label": "Free", "monthlyGenerations": 10},
                   {"id": "none", "label": "None", "monthlyGenerations": 0}],
         "defaultPlanId": "free"}
        """

    private static func withApp(_ body: (TestContext) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let config = directory.appendingPathComponent("runtime.json")
            try Data(runtimeConfig.utf8).write(to: config)
            try await withTestApp(environment: ["INTERIOR_CONFIG": config.path], backgroundWork: false, body)
        }
    }

    // MARK: Fixtures

    private static func insertJob(_ t: TestContext, owner: UUID, idempotencyKey: UUID? = nil) async throws -> JobRow {
        let now = t.clock.now
        let job = JobRow(
            id: UUID(), ownerId: owner, mode: .imagine, roomType: t.settings.runtime.roomTypes[0].id,
            style: t.settings.runtime.styles[0].id, aspectRatio: .square, quality: .auto, variants: 2,
            prompt: "a bright Hamptons kitchen", finalPrompt: "a bright Hamptons kitchen", input1Path: nil, input2Path: nil,
            model: "openapi/test", predictionId: nil, status: .starting, errorCode: nil, error: nil,
            idempotencyKey: idempotencyKey, requestFingerprint: idempotencyKey.map { _ in "another request" },
            createdAt: now, updatedAt: now, lastPolledAt: nil, completedAt: nil)
        let outcome = try await JobRepository(db: t.app.db).insertWithDebit(job, predictions: [], debitId: UUID())
        #expect(outcome == .inserted)
        return job
    }

    /// Stores a render for `job` the way the processor does: objects first, then the rows.
    private static func storeRender(_ t: TestContext, job: JobRow, variants count: Int) async throws -> UUID {
        let now = t.clock.now
        let renderId = StoragePaths.renderId(job: job.id)
        var variants: [VariantRow] = []
        for index in 0..<count {
            let image = StoragePaths.output(render: renderId, index: index)
            let thumb = StoragePaths.thumbnail(render: renderId, index: index)
            try await t.app.interior.store.put(bucket: t.settings.publicBucket, path: image, data: Data("image \(index)".utf8), contentType: "image/webp")
            try await t.app.interior.store.put(bucket: t.settings.publicBucket, path: thumb, data: Data("thumb \(index)".utf8), contentType: "image/webp")
            variants.append(VariantRow(id: UUID(), renderId: renderId, ownerId: job.ownerId, idx: index, imagePath: image,
                                       thumbPath: thumb, width: 1024, height: 1024, bytes: 7, createdAt: now))
        }
        let render = RenderRow(id: renderId, jobId: job.id, ownerId: job.ownerId, mode: job.mode, roomType: job.roomType,
                               style: job.style, coverVariant: 0, createdAt: now, deletedAt: nil)
        let stored = try await JobRepository(db: t.app.db).markSucceeded(job: job.id, render: render, variants: variants, now: now, redebitId: UUID())
        #expect(stored)
        return renderId
    }
}

// MARK: - The document as data

private struct Document {
    let root: [String: Any]

    static let methods: Set = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func load() throws -> Document {
        try Document(data: OpenAPIController.body)
    }

    init(root: [String: Any]) {
        self.root = root
    }

    init(data: Data) throws {
        let object = try JSONSerialization.jsonObject(with: data)
        self.root = try #require(object as? [String: Any], "the document is not a JSON object")
    }

    /// Every operation as `"METHOD /path"` with its object.
    var operations: [(key: String, value: [String: Any])] {
        let paths = root["paths"] as? [String: Any] ?? [:]
        return paths.sorted { $0.key < $1.key }.flatMap { path, item -> [(key: String, value: [String: Any])] in
            let item = item as? [String: Any] ?? [:]
            return item.keys.filter(Self.methods.contains).sorted().map { method in
                ("\(method.uppercased()) \(path)", item[method] as? [String: Any] ?? [:])
            }
        }
    }

    /// A route as the document names it: `:id` becomes `{id}`, a catch-all `{path}`.
    static func operationKey(method: String, path: [PathComponent]) -> String {
        let segments = path.map { component -> String in
            switch component {
            case let .constant(text): text
            case let .parameter(name): "{\(name)}"
            case .catchall: "{path}"
            case .anything: "*"
            }
        }
        return "\(method.uppercased()) /" + segments.joined(separator: "/")
    }

    /// What a local JSON pointer reference (`#/components/...`) points at.
    func resolve(_ reference: String) throws -> Any {
        guard reference.hasPrefix("#/") else { throw DocumentError("\(reference) is not local") }
        var node: Any = root
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let object = node as? [String: Any], let next = object[key] {
                node = next
            } else if let array = node as? [Any], let index = Int(key), array.indices.contains(index) {
                node = array[index]
            } else {
                throw DocumentError("\(reference) does not resolve at \(key)")
            }
        }
        return node
    }

    /// A response or parameter object, following its `$ref` if it is one.
    func resolved(_ value: Any) throws -> [String: Any] {
        var object = value as? [String: Any] ?? [:]
        while let reference = object["$ref"] as? String {
            object = try resolve(reference) as? [String: Any] ?? [:]
        }
        return object
    }

    /// The codes an error response says it answers with: `error.code`'s enum.
    static func errorCodes(of response: [String: Any]) -> [String] {
        let content = response["content"] as? [String: Any]
        let schema = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
        let error = (schema?["properties"] as? [String: Any])?["error"] as? [String: Any]
        let code = (error?["properties"] as? [String: Any])?["code"] as? [String: Any]
        return code?["enum"] as? [String] ?? []
    }
}

private struct DocumentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Real exchanges, checked against the document

/// Requests made to the running application, each recorded with the documented path it
/// exercises, then checked against the document by an independent JSON Schema validator.
private struct Exchanges {
    struct Sample: Encodable {
        let method: String
        let template: String
        let path: String
        let status: Int
        let contentType: String?
        let body: String?
        let bodyLength: Int
    }

    let client: TestClient
    private(set) var samples: [Sample] = []

    init(client: TestClient) {
        self.client = client
    }

    /// Sends a request to `path` (by default the documented `template` itself) and records it.
    @discardableResult
    mutating func send(_ method: HTTPMethod, _ template: String, _ path: String? = nil, token: String? = nil,
                       headers: [(String, String)] = [], body: Data? = nil, contentType: String? = nil,
                       json: [String: Any]? = nil, expect status: HTTPResponseStatus,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestResponse {
        let path = path ?? template
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0) } ?? body
        let response = try await client.send(method, path, token: token, headers: headers, body: body, contentType: contentType)
        #expect(response.status == status, "\(method.rawValue) \(path): \(response.text.prefix(300))", sourceLocation: sourceLocation)
        #expect(response.headers.first(name: "X-Request-Id") != nil, "\(method.rawValue) \(path) has no X-Request-Id", sourceLocation: sourceLocation)
        let type = response.headers.first(name: "Content-Type")
        let textual = type.map { $0.hasPrefix("application/json") || $0.hasPrefix("text/") } ?? false
        samples.append(Sample(method: method.rawValue, template: template, path: path, status: Int(response.status.code),
                              contentType: type, body: textual ? response.text : nil, bodyLength: response.body.count))
        return response
    }

    /// Checks every recorded exchange: the operation and status are documented, the content
    /// type is one the response lists, and a JSON body validates against its schema with no
    /// undocumented fields.
    func check(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await withTemporaryDirectory { directory in
            let document = directory.appendingPathComponent("openapi.json")
            let samplesFile = directory.appendingPathComponent("exchanges.json")
            let script = directory.appendingPathComponent("check_exchanges.py")
            try OpenAPIController.body.write(to: document)
            try JSONEncoder().encode(samples).write(to: samplesFile)
            try Data(Self.checker.utf8).write(to: script)
            let result = try Python.run([script.path, document.path, samplesFile.path])
            #expect(result.status == 0, "exchanges that do not match the document:\n\(result.output)", sourceLocation: sourceLocation)
            #expect(result.output.contains("\(samples.count) exchanges checked"), sourceLocation: sourceLocation)
        }
    }

    /// Response schemas stay open for clients in the document; here a field the document does
    /// not name is a failure, so the document cannot fall behind the DTOs.
    static let checker = #"""
        import copy, json, sys
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        def pointer(*parts):
            return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)

        def resolve(document, reference):
            node = document
            for part in reference[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            return node

        def closed(node):
            if isinstance(node, dict):
                if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
                    node["unevaluatedProperties"] = False
                for value in node.values():
                    closed(value)
            elif isinstance(node, list):
                for value in node:
                    closed(value)

        def media_key(content, content_type):
            base = (content_type or "").split(";")[0].strip().lower()
            for key in (base, base.split("/")[0] + "/*", "*/*"):
                if key in content:
                    return key
            return None

        document = json.load(open(sys.argv[1]))
        samples = json.load(open(sys.argv[2]))
        strict = copy.deepcopy(document)
        closed(strict["components"]["schemas"])
        registry = Registry().with_resource(
            "urn:interior:openapi", Resource.from_contents(strict, default_specification=DRAFT202012))

        failures = []
        for sample in samples:
            method = sample["method"].lower()
            where = "%s %s (%s) -> %d" % (sample["method"], sample["path"], sample["template"], sample["status"])
            operation = document["paths"].get(sample["template"], {}).get(method)
            if operation is None:
                failures.append(where + ": the operation is not documented")
                continue
            status = str(sample["status"])
            response = operation["responses"].get(status)
            if response is None:
                failures.append(where + ": the status is not documented")
                continue
            location = pointer("paths", sample["template"], method, "responses", status)
            if "$ref" in response:
                location = response["$ref"][1:]
                response = resolve(document, response["$ref"])
            content = response.get("content")
            if not content:
                if sample["bodyLength"]:
                    failures.append(where + ": a body where the document has none")
                continue
            key = media_key(content, sample["contentType"])
            if key is None:
                failures.append("%s: Content-Type %r is not documented" % (where, sample["contentType"]))
                continue
            if key != "application/json":
                continue
            try:
                body = json.loads(sample["body"])
            except (TypeError, ValueError) as error:
                failures.append("%s: the body is not JSON (%s)" % (where, error))
                continue
            schema = {"$ref": "urn:interior:openapi#" + location + pointer("content", key, "schema")}
            for error in Draft202012Validator(schema, registry=registry).iter_errors(body):
                at = "/".join(str(p) for p in error.absolute_path) or "(root)"
                failures.append("%s: %s at %s" % (where, error.message, at))

        print("%d exchanges checked" % len(samples))
        for failure in failures:
            print(failure)
        sys.exit(1 if failures else 0)
        """#
}

// MARK: - Python

/// The validator scripts, run with the test virtualenv's Python; their output and errors
/// together, since both explain a refusal.
private enum Python {
    struct Result {
        let status: Int32
        let output: String
    }

    static func run(_ arguments: [String]) throws -> Result {
        let result = try ProcessRunner.run(TestPython.executable, arguments)
        var text = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        if result.status != 0, text.contains("No module named") {
            text += "\n(\(TestPython.executable) lacks the test tools: run scripts/ensure-deps.sh test and set INTERIOR_TEST_PYTHON=.build-venv/bin/python)"
        }
        return Result(status: result.status, output: text)
    }
}
