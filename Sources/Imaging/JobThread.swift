import CVipsShim
import Foundation

/// Runs blocking libvips work on a thread of its own. A decode and encode takes tens to
/// hundreds of milliseconds; on the cooperative pool (one thread per core) a few of them
/// would stall every other task in the server. The limiter caps how many such threads
/// exist at once, and starting a thread costs microseconds next to the work it does.
enum JobThread {
    /// libvips' worker threads need little stack, but decoders called on this thread
    /// (libjpeg, libpng, libheif) keep sizeable state on it.
    static let stackSize = 8 << 20

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(ImagingError) -> T) async throws(ImagingError) -> T {
        let result: Result<T, ImagingError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let result: Result<T, ImagingError>
                do throws(ImagingError) {
                    result = .success(try work())
                } catch {
                    result = .failure(error)
                }
                // Frees libvips' per-thread buffers before the thread goes away.
                cvips_thread_shutdown()
                continuation.resume(returning: result)
            }
            thread.stackSize = stackSize
            thread.name = "interior-imaging"
            thread.start()
        }
        return try result.get()
    }
}
