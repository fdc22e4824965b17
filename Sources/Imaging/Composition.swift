import CVipsShim
import Foundation

/// The picture the emulator returns for a text-only prompt: a gradient between the first
/// and last palette colours, a strip of palette blocks, and the caption on a light band.
enum Composition {
    static let font = "DejaVu Sans"
    static let maxCaptionCharacters = 200
    static let fallbackPalette = [
        RGB(r: 236, g: 228, b: 214), RGB(r: 176, g: 150, b: 120), RGB(r: 96, g: 110, b: 98),
        RGB(r: 52, g: 58, b: 64),
    ]
    static let captionBackground = RGB(r: 246, g: 243, b: 238)
    static let captionInk = RGB(r: 38, g: 38, b: 42)

    static func draw(width: Int, height: Int, palette: [RGB], caption: String, withText: Bool) throws(ImagingError) -> EncodedImage {
        let colours = palette.isEmpty ? fallbackPalette : palette
        let canvas = try VipsImageRef(
            cvips_vertical_gradient(Int32(width), Int32(height), colours[0].components,
                                    (colours.count > 1 ? colours[colours.count - 1] : darker(colours[0])).components),
            orThrow: Vips.failed)

        let margin = max(1, min(width, height) / 24)
        let bandTop = height * 82 / 100
        let stripTop = height * 60 / 100
        let stripHeight = bandTop - stripTop - margin
        if stripHeight > 0 {
            let gap = max(1, margin / 2)
            let usable = width - 2 * margin - gap * (colours.count - 1)
            let blockWidth = usable / colours.count
            if blockWidth > 0 {
                for (index, colour) in colours.enumerated() {
                    try fill(canvas, colour, left: margin + index * (blockWidth + gap), top: stripTop,
                             width: blockWidth, height: stripHeight)
                }
            }
        }
        if bandTop < height {
            try fill(canvas, captionBackground, left: 0, top: bandTop, width: width, height: height - bandTop)
        }

        let text = shortened(caption)
        let box = (width: width - 2 * margin, height: height - bandTop - margin)
        if withText, !text.isEmpty, box.width >= 8, box.height >= 8 {
            let mask = try textMask(markupEscaped(text), width: box.width, height: box.height)
            let top = bandTop + max(0, (height - bandTop - mask.height) / 2)
            guard cvips_draw_mask(canvas.pointer, captionInk.components, 3, mask.pointer,
                                  Int32(margin), Int32(top)) == 0 else {
                cvips_error_clear()
                throw .processingFailed("The caption could not be drawn.")
            }
        }
        return try canvas.encode(.png, quality: 0)
    }

    /// One text rendering at a time in the process: Pango and fontconfig are not safe to enter
    /// from several threads at once (seen here as rare failures and a fault inside fontconfig
    /// when several captions were drawn side by side).
    private static let textLock = NSLock()

    /// The smallest caption size tried, in pixels; a caption too long for the box at this
    /// size runs past its bottom edge and is clipped by the canvas.
    static let minimumTextSize = 6

    /// `markup` wrapped to `width`, in the largest size (from an estimate, shrinking by steps)
    /// whose lines fit `height`. The fitting is by font size at one resolution, not libvips'
    /// own fitting, which changes Pango's resolution at each step (see `cvips_text_mask`).
    static func textMask(_ markup: String, width: Int, height: Int) throws(ImagingError) -> VipsImageRef {
        textLock.lock()
        defer { textLock.unlock() }
        // A glyph of DejaVu Sans is about 0.55 of the size wide and a line 1.2 of it high.
        let area = Double(width) * Double(height) / (0.66 * Double(max(1, markup.count)))
        var size = max(minimumTextSize, Int(min(Double(height) / 1.2, area.squareRoot())))
        while true {
            let mask = try VipsImageRef(cvips_text_mask(markup, "\(font) \(size)", Int32(width)),
                                        orThrow: .processingFailed("The caption could not be drawn."))
            if mask.height <= height || size == minimumTextSize { return mask }
            size = max(minimumTextSize, size * 17 / 20)
        }
    }

    /// Text operations alive in the process, counted while no caption is being drawn: one
    /// left over would free Pango's objects later, outside the lock.
    static func liveTextOperations() -> Int {
        textLock.lock()
        defer { textLock.unlock() }
        return Int(cvips_live_operation_count("text"))
    }

    private static func fill(_ canvas: VipsImageRef, _ colour: RGB, left: Int, top: Int, width: Int, height: Int) throws(ImagingError) {
        guard cvips_draw_rect(canvas.pointer, colour.components, 3, Int32(left), Int32(top),
                              Int32(width), Int32(height)) == 0 else {
            cvips_error_clear()
            throw Vips.failed
        }
    }

    private static func darker(_ colour: RGB) -> RGB {
        RGB(r: colour.r / 3, g: colour.g / 3, b: colour.b / 3)
    }

    static func shortened(_ caption: String) -> String {
        let printable = caption.filter { character in
            character.isWhitespace || !character.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }
        let collapsed = printable.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard collapsed.count > maxCaptionCharacters else { return collapsed }
        return collapsed.prefix(maxCaptionCharacters - 1).trimmingCharacters(in: .whitespaces) + "…"
    }

    /// libvips renders Pango markup, so a prompt containing `<` or `&` must be escaped.
    static func markupEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
