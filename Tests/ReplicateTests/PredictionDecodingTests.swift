import Foundation
import Replicate
import Testing

@Suite("Prediction JSON")
struct PredictionDecodingTests {
    func decode(_ json: String) throws -> Prediction {
        try JSONDecoder().decode(Prediction.self, from: Data(json.utf8))
    }

    @Test func decodesASucceededPredictionAsReplicateSendsIt() throws {
        let prediction = try decode(#"""
        {"id":"gm3qorzdhgbfurvjtvhg6dckhu","model":"openai/gpt-image-1","version":"hidden",
         "input":{"prompt":"a room","number_of_images":2},"logs":"Generating...\n",
         "output":["https://replicate.delivery/xezq/a/out-0.png","https://replicate.delivery/xezq/b/out-1.png"],
         "data_removed":false,"error":null,"status":"succeeded","source":"api",
         "created_at":"2025-04-26T22:13:06.224088Z","started_at":"2025-04-26T22:13:06.7Z",
         "completed_at":"2025-04-26T22:13:52.1234567+00:00",
         "urls":{"cancel":"https://api.replicate.com/v1/predictions/gm3/cancel",
                 "get":"https://api.replicate.com/v1/predictions/gm3",
                 "stream":"https://stream.replicate.com/v1/files/abc","web":"https://replicate.com/p/gm3"},
         "metrics":{"predict_time":45.87,"total_time":45.89,"image_count":2},
         "deployment":null,"some_future_field":{"nested":[1,2,3]}}
        """#)
        #expect(prediction.id == "gm3qorzdhgbfurvjtvhg6dckhu")
        #expect(prediction.model == "openai/gpt-image-1")
        #expect(prediction.status == .succeeded)
        #expect(prediction.status.isTerminal)
        #expect(prediction.output.map(\.absoluteString) == [
            "https://replicate.delivery/xezq/a/out-0.png", "https://replicate.delivery/xezq/b/out-1.png",
        ])
        #expect(prediction.input?["number_of_images"]?.intValue == 2)
        #expect(prediction.predictTime == 45.87)
        #expect(prediction.urls?.get?.absoluteString == "https://api.replicate.com/v1/predictions/gm3")
        #expect(prediction.urls?.web?.absoluteString == "https://replicate.com/p/gm3")
        #expect(abs(prediction.createdAt!.timeIntervalSince1970 - 1_745_705_586.224088) < 1e-6)
        #expect(abs(prediction.startedAt!.timeIntervalSince1970 - 1_745_705_586.7) < 1e-6)
        #expect(abs(prediction.completedAt!.timeIntervalSince1970 - 1_745_705_632.1234567) < 1e-6)
        #expect(prediction.dataRemoved == false)
    }

    @Test func decodesASingleURLOutput() throws {
        let prediction = try decode(#"""
        {"id":"p1","status":"succeeded","output":"https://replicate.delivery/x/output.png",
         "created_at":"2025-01-01T00:00:00Z"}
        """#)
        #expect(prediction.output == [URL(string: "https://replicate.delivery/x/output.png")!])
        #expect(prediction.createdAt == Date(timeIntervalSince1970: 1_735_689_600))
    }

    @Test func decodesANullOutputAndMissingOptionalFields() throws {
        let prediction = try decode(#"{"id":"p2","status":"starting","output":null}"#)
        #expect(prediction.output.isEmpty)
        #expect(prediction.rawOutput == nil)
        #expect(prediction.createdAt == nil)
        #expect(prediction.urls == nil)
        #expect(prediction.dataRemoved == false)
    }

    @Test func keepsAnOutputThatIsNotURLs() throws {
        let prediction = try decode(#"{"id":"p3","status":"succeeded","output":["Hello"," world"]}"#)
        #expect(prediction.output.isEmpty)
        #expect(prediction.rawOutput == .array(["Hello", " world"]))
    }

    @Test func decodesAFailedAbortedAndRemovedPrediction() throws {
        let failed = try decode(#"{"id":"p4","status":"failed","error":"CUDA out of memory","output":null}"#)
        #expect(failed.status == .failed)
        #expect(failed.error == "CUDA out of memory")
        let aborted = try decode(#"{"id":"p5","status":"aborted","error":{"code":"E1"}}"#)
        #expect(aborted.status == .aborted)
        #expect(aborted.status.isTerminal)
        #expect(aborted.error == #"{"code":"E1"}"#)
        let removed = try decode(#"{"id":"p6","status":"succeeded","output":null,"data_removed":true}"#)
        #expect(removed.dataRemoved)
    }

    @Test func refusesAnUnknownStatusOrABadTimestamp() {
        #expect(throws: DecodingError.self) { try decode(#"{"id":"p7","status":"exploded"}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"id":"p8","status":"starting","created_at":"yesterday"}"#) }
    }

    @Test func roundTripsThroughItsOwnEncoding() throws {
        let original = try decode(#"""
        {"id":"p9","model":"o/n","version":"v","status":"processing","input":{"prompt":"x","n":1.5},
         "output":["https://example.com/a.png"],"logs":"","created_at":"2025-02-03T04:05:06.123456Z",
         "urls":{"get":"https://example.com/p9"},"metrics":{}}
        """#)
        let again = try JSONDecoder().decode(Prediction.self, from: JSONEncoder().encode(original))
        #expect(again == original)
    }

    @Test func statusTerminalityMatchesTheSpec() {
        #expect(PredictionStatus.allCases.filter(\.isTerminal) == [.succeeded, .failed, .canceled, .aborted])
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test func parsesTheShapesReplicateSends() {
        let base = 1_735_689_600.0  // 2025-01-01T00:00:00Z
        #expect(Timestamp.parse("2025-01-01T00:00:00Z")?.timeIntervalSince1970 == base)
        #expect(Timestamp.parse("2025-01-01T00:00:00.5Z")?.timeIntervalSince1970 == base + 0.5)
        #expect(Timestamp.parse("2025-01-01T10:00:00+10:00")?.timeIntervalSince1970 == base)
        #expect(Timestamp.parse("2024-12-31T19:30:00-0430")?.timeIntervalSince1970 == base)
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test func refusesMalformedTimestamps() {
        for text in ["2025-01-01", "2025-01-01T00:00:00", "2025-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                     "2025-01-01T00:00:00.Z", "2025-01-01T24:00:00Z", "2025-01-01T00:00:00Zjunk", ""]
        {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsWithMicrosecondsInUTC() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_745_705_586.224088)) == "2025-04-26T22:13:06.224088Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000000Z")
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test func ceilingsGrowFourfoldUpToTheCap() {
        let policy = RetryPolicy()
        let ceilings = (0..<5).map { (policy.ceiling(forRetry: $0).seconds * 1000).rounded() / 1000 }
        #expect(ceilings == [0.1, 0.4, 1.6, 5, 5])
    }

    @Test func jitterIsDrawnBetweenZeroAndTheCeiling() {
        let policy = RetryPolicy()
        var ranges: [ClosedRange<Double>] = []
        _ = policy.delay(forRetry: 2, retryAfter: nil) { range in
            ranges.append(range)
            return range.lowerBound
        }
        #expect(ranges.count == 1)
        #expect(ranges[0].lowerBound == 0)
        #expect(abs(ranges[0].upperBound - 1.6) < 1e-9)
    }

    @Test func retryAfterIsHonouredUpToTenSeconds() {
        let policy = RetryPolicy()
        #expect(policy.delay(forRetry: 0, retryAfter: .seconds(3)) { _ in 0 } == .seconds(3))
        #expect(policy.delay(forRetry: 0, retryAfter: .seconds(60)) { _ in 0 } == .seconds(10))
    }
}
