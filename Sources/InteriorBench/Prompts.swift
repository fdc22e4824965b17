import Foundation

/// Text inputs shaped like real traffic.
enum Prompts {
    /// About 1000 characters of the brief a client writes for a living room.
    static let livingRoom = """
        Light-filled Queenslander living room with high VJ-panelled ceilings and original \
        hoop pine floors, refinished in a soft natural matte. Keep the casement windows and \
        the fretwork above the hallway door. We'd love a relaxed coastal feel that still looks \
        grown-up: a deep linen sofa in warm oatmeal, two rattan armchairs with olive cushions, \
        and a low travertine coffee table. Add a jute rug, layered with a smaller wool rug in \
        terracotta and cream. Walls in a warm white (something like Dulux Natural White), with \
        one feature wall in sage green behind the timber sideboard. Pendant lights in woven \
        seagrass, plus a brass floor lamp beside the reading chair. Styling: ceramic vases \
        from local makers, a large fiddle-leaf fig near the window, linen curtains that pool \
        slightly on the floor, and framed botanical prints above the sofa. Budget-conscious: \
        mix secondhand finds with a few statement pieces. Ceiling fan stays. Late-afternoon \
        light, no people, photorealistic, shot at eye level from the kitchen doorway.
        """

    /// A Replicate prediction as a webhook delivers it, padded to `bytes` with log lines.
    static func webhookBody(bytes: Int) -> Data {
        var logs = ""
        var step = 0
        func json(_ logs: String) -> String {
            """
            {"id":"q7x2m4n8vd5rj0cm9k1tq3hz4w","model":"black-forest-labs/flux-kontext-pro",\
            "version":"hidden","input":{"prompt":"Redesign this living room in a coastal style",\
            "input_image":"https://media.example.com/inputs/5b0f3a52/input1.jpg","aspect_ratio":"match_input_image",\
            "output_format":"png","safety_tolerance":2},"logs":"\(logs)","output":\
            "https://replicate.delivery/xezq/q7x2m4n8vd5rj0cm9k1tq3hz4w/output.png","data_removed":false,\
            "error":null,"status":"succeeded","created_at":"2026-01-01T00:00:00.000Z",\
            "started_at":"2026-01-01T00:00:01.250Z","completed_at":"2026-01-01T00:00:09.875Z",\
            "urls":{"get":"https://api.replicate.com/v1/predictions/q7x2m4n8vd5rj0cm9k1tq3hz4w",\
            "cancel":"https://api.replicate.com/v1/predictions/q7x2m4n8vd5rj0cm9k1tq3hz4w/cancel"},\
            "metrics":{"predict_time":8.625}}
            """
        }
        while true {
            let line = "step \(step): denoising 28/28\\n"
            guard json(logs + line).utf8.count <= bytes else { break }
            logs += line
            step += 1
        }
        logs += String(repeating: " ", count: max(0, bytes - json(logs).utf8.count))
        return Data(json(logs).utf8)
    }
}
